"""PostgreSQL and API plumbing for the database parts: the embedded server (or DATABASE_URL), a benchmark
database in it, tokens, and the real API served by uvicorn in its own process (so its CPU can be read alone).

Benchmark databases are named ivr_bench_*: never the API's own `ivr` database, never a test database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.db import (
    asyncpg_url,
    create_database,
    drop_database,
    make_engine,
    run_migrations,
    start_embedded,
    with_database,
)
from api.security.tokens import Role, create_token
from benchmarks.common import REPO, process_cpu_s


def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return asyncpg_url(os.environ["DATABASE_URL"])
    return start_embedded(REPO / "var" / "pg")


async def fresh_database(server: str, name: str, *, keep: bool = False) -> str:
    """The URL of database `name`, migrated; dropped and recreated first unless `keep`."""
    if not keep:
        await drop_database(server, name)
    await create_database(server, name)
    url = with_database(server, name)
    engine = make_engine(url)
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()
    return url


async def tokens(url: str, *roles: Role) -> dict[Role, str]:
    engine = make_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            now = datetime.now(UTC)
            return {role: await create_token(session, name=f"bench-{role.value}", role=role, now=now) for role in roles}
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ApiProcess:
    process: asyncio.subprocess.Process
    base_url: str

    def cpu_s(self) -> float:
        return process_cpu_s(self.process.pid)


@asynccontextmanager
async def api_process(url: str, log_path: Path, *, max_batch: int = 500) -> AsyncIterator[ApiProcess]:
    """`ivr api` as deployed (uvicorn, one process) on a free port, against database `url`."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "IVR_API_PORT": str(port),
        "IVR_API_MAX_BATCH": str(max_batch),
        "IVR_DEMO": "0",
    }
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.database", cwd=REPO, env=env, stdout=log, stderr=log
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"{base_url}/health", timeout=2)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the API did not come up; see {log_path}")
                await asyncio.sleep(0.1)  # polling /health with a deadline
        yield ApiProcess(process, base_url)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


def _serve() -> None:
    """The API the way `ivr api` serves it, minus the AMI connection (not part of these benchmarks)."""
    import uvicorn

    from api.config import ApiSettings
    from api.main import create_app

    settings = ApiSettings()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning")


if __name__ == "__main__":
    _serve()

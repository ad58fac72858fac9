"""The API served for real (uvicorn on a loopback port) on a throw-away database, for the asterisk and browser
tiers: the agi server and Chromium talk to it over HTTP like in production.

Rules: the database lives in the embedded PostgreSQL of ./var/pg (or DATABASE_URL's server) and is dropped
afterwards; the app runs in demo mode (known tokens, `DEMO_TOKENS`); every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from api.config import ApiSettings
from api.db import asyncpg_url, create_database, drop_database, start_embedded, with_database
from api.main import create_app
from api.security.tokens import DEMO_TOKENS, Role
from api.tickets.desk import RequestDesk

PROJECT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0


@contextlib.contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    server = asyncpg_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    server = server or start_embedded(PROJECT / "var" / "pg")
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(create_database(server, name))
    try:
        yield with_database(server, name)
    finally:
        asyncio.run(drop_database(server, name))


@dataclass
class LiveApi:
    url: str
    client: httpx.AsyncClient

    @staticmethod
    def auth(role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {DEMO_TOKENS[role]}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def serve_api(
    database_url: str, desk: RequestDesk, *, clock: Callable[[], datetime] | None = None, port: int | None = None
) -> AsyncIterator[LiveApi]:
    port = port or free_port()
    settings = ApiSettings(database_url=database_url, demo=True, timezone="Africa/Casablanca", port=port)
    app = create_app(settings, clock=clock or (lambda: datetime.now(UTC)))
    app.state.request_desk = desk
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if task.done() or time.monotonic() > deadline:
                raise AssertionError(f"the API did not start: {task.exception() if task.done() else 'timeout'}")
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield LiveApi(url=url, client=client)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)

"""The API served for real (uvicorn on a loopback port), for the tiers and benchmarks that talk to it over
HTTP and WebSocket as the agi server and browsers do in production.

Rules:
- One runner, `ApiServer`: it starts uvicorn on a free (or given) port and stops it; it can start again on the
  same port (an API outage, a restart). `serve_api` is the usual way in; `api_process` runs the same runner in
  a process of its own, so a benchmark can read the API's CPU alone.
- Every wait has a deadline, and each deadline is a parameter.
- The API runs in the call center's time zone, in demo mode (known tokens: `LiveApi.auth`) unless told not to.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import httpx
import uvicorn
from fastapi import FastAPI

from api.ami.service import AmiEnvironment
from api.config import ApiSettings
from api.main import PROXY_HEADERS, create_app
from api.request_config import RequestConfig
from api.security.tokens import DEMO_TOKENS, Role
from tests.support.poll import eventually
from tests.support.ports import free_port
from tests.support.processes import stop_process

REPO = Path(__file__).resolve().parents[2]
WebSocketImplementation = Literal["auto", "websockets", "websockets-sansio", "wsproto"]


class ApiServer:
    """uvicorn serving the app `make_app()` builds (a new one at each start) on 127.0.0.1:`port`."""

    def __init__(
        self,
        make_app: Callable[[], FastAPI],
        *,
        port: int | None = None,
        ws: WebSocketImplementation = "websockets-sansio",
        ws_per_message_deflate: bool = True,
        graceful_shutdown_s: int | None = None,
        start_timeout_s: float = 30.0,
        stop_timeout_s: float = 20.0,
    ) -> None:
        self.make_app = make_app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app: FastAPI | None = None
        self.ws: WebSocketImplementation = ws
        self.ws_per_message_deflate = ws_per_message_deflate
        self.graceful_shutdown_s = graceful_shutdown_s
        self.start_timeout_s = start_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app = self.make_app()
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",  # a failing start-up fails here, not at the first request
            ws=self.ws,
            ws_per_message_deflate=self.ws_per_message_deflate,
            timeout_graceful_shutdown=self.graceful_shutdown_s,
            proxy_headers=PROXY_HEADERS,  # as `ivr api` serves: forwarded addresses are api.net's business
        )
        server = self._server = uvicorn.Server(config)
        task = self._task = asyncio.create_task(server.serve())
        await eventually(lambda: server.started or task.done(), timeout_s=self.start_timeout_s, what="the API to start")
        if not server.started:
            error = task.exception()
            raise AssertionError(f"the API did not start: {error!r}") from error

    async def stop(self) -> None:
        assert self._server is not None and self._task is not None, "the API was not started"
        self._server.should_exit = True
        await asyncio.wait_for(self._task, self.stop_timeout_s)

    async def finished(self) -> None:
        """Until the server stops by itself (a signal, in `api_process`'s child)."""
        assert self._task is not None, "the API was not started"
        await self._task


@dataclass
class LiveApi:
    url: str
    client: httpx.AsyncClient
    app: FastAPI | None = None

    @staticmethod
    def auth(role: Role) -> dict[str, str]:
        """The demo API's header for `role`."""
        return {"Authorization": f"Bearer {DEMO_TOKENS[role]}"}


@contextlib.asynccontextmanager
async def serve_api(
    database_url: str,
    request_config: RequestConfig | None = None,
    *,
    demo: bool = True,
    clock: Callable[[], datetime] | None = None,
    ami: AmiEnvironment | None = None,
    port: int | None = None,
    ws: WebSocketImplementation = "websockets-sansio",
    ws_per_message_deflate: bool = True,
    start_timeout_s: float = 30.0,
    stop_timeout_s: float = 20.0,
) -> AsyncIterator[LiveApi]:
    """The API on `database_url`, in demo mode (known tokens: `LiveApi.auth`) unless not `demo`, with
    `request_config` when given; yields its URL, an HTTP client on it and the app. The rest is `ApiServer`'s."""
    port = port or free_port()
    settings = ApiSettings(database_url=database_url, demo=demo, timezone="Africa/Casablanca", port=port)

    def make_app() -> FastAPI:
        app = create_app(settings, ami=ami) if clock is None else create_app(settings, clock=clock, ami=ami)
        if request_config is not None:
            app.state.request_config = request_config
        return app

    server = ApiServer(
        make_app,
        port=port,
        ws=ws,
        ws_per_message_deflate=ws_per_message_deflate,
        start_timeout_s=start_timeout_s,
        stop_timeout_s=stop_timeout_s,
    )
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            yield LiveApi(url=server.url, client=client, app=server.app)
    finally:
        await server.stop()


@dataclass
class ApiProcess:
    process: asyncio.subprocess.Process
    url: str

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.asynccontextmanager
async def api_process(
    database_url: str,
    log_path: Path,
    *,
    max_batch: int = 500,
    start_timeout_s: float = 60.0,
    stop_timeout_s: float = 15.0,
) -> AsyncIterator[ApiProcess]:
    """The API in a process of its own (this module run as a program: uvicorn as `ivr api` serves it, without
    the AMI link), on a free port, outside demo mode, against `database_url`."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "IVR_API_PORT": str(port),
        "IVR_API_MAX_BATCH": str(max_batch),
        "IVR_DEMO": "0",
    }
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.api", cwd=REPO, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as client:

            async def healthy() -> bool:
                if process.returncode is not None:
                    raise AssertionError(f"the API exited with status {process.returncode}; see {log_path}")
                try:
                    return (await client.get("/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(healthy, timeout_s=start_timeout_s, what=f"the API process to answer (log: {log_path})")
        yield ApiProcess(process, url)
    finally:
        await stop_process(process, timeout_s=stop_timeout_s)


async def _serve_until_signalled() -> None:
    settings = ApiSettings()
    server = ApiServer(lambda: create_app(settings), port=settings.port, ws="auto", start_timeout_s=60.0)
    await server.start()
    await server.finished()  # uvicorn stops on SIGTERM or SIGINT


if __name__ == "__main__":
    asyncio.run(_serve_until_signalled())

"""Shared by the browser tier and the asterisk tier's agent tests: a throw-away database with tokens, the API
served by uvicorn on a free loopback port, and headless Chromium driven over the DevTools protocol.

Rules: every wait has a deadline and polls (a few ms between looks); everything started here is stopped here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.ami.service import AmiEnvironment
from api.config import ApiSettings
from api.db import asyncpg_url, create_database, drop_database, make_engine, run_migrations, start_embedded
from api.db import with_database as database_in
from api.main import create_app
from api.security.tokens import Role, create_token

REPO = Path(__file__).resolve().parents[1]
SEATS = ("agent1001", "agent1002")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(probe: Callable[[], Any], *, timeout_s: float, what: str) -> Any:
    """Poll `probe` (sync or async) until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        await asyncio.sleep(0.02)


@dataclass
class Database:
    url: str
    tokens: dict[str, str]  # role value or seat name -> secret


@contextlib.asynccontextmanager
async def throwaway_database() -> AsyncIterator[Database]:
    if os.environ.get("DATABASE_URL"):
        server = asyncpg_url(os.environ["DATABASE_URL"])
    else:
        server = await asyncio.to_thread(start_embedded, REPO / "var" / "pg")
    name = f"ivr_live_{os.getpid()}_{secrets.token_hex(3)}"
    await create_database(server, name)
    url = database_in(server, name)
    engine = make_engine(url)
    try:
        await run_migrations(engine)
        now = datetime.now(UTC)
        tokens: dict[str, str] = {}
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            for role in Role:
                tokens[role.value] = await create_token(session, name=f"test-{role.value}", role=role, now=now)
            for seat in SEATS:
                tokens[seat] = await create_token(session, name=seat, role=Role.AGENT, now=now)
        yield Database(url=url, tokens=tokens)
    finally:
        await engine.dispose()
        await drop_database(server, name)


@contextlib.asynccontextmanager
async def running_api(database: Database, ami: AmiEnvironment | None) -> AsyncIterator[str]:
    """The API (uvicorn, real HTTP and WebSocket) on a free port; yields its base URL."""
    settings = ApiSettings(database_url=database.url, demo=False)
    app = create_app(settings, ami=ami)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), timeout_s=20, what="uvicorn start")
        if task.done():
            task.result()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


class Page:
    """One browser tab over the DevTools protocol: navigate, evaluate JavaScript, poll for a condition."""

    def __init__(self, socket: Any) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        await self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:  # bounded by the caller's wait_for; events in between are skipped
            reply = json.loads(await asyncio.wait_for(self._socket.recv(), 15))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    async def goto(self, url: str) -> None:
        await self.send("Page.enable")
        await self.send("Page.navigate", url=url)
        await eventually(
            lambda: self.evaluate("document.readyState === 'complete' && location.href !== 'about:blank'"),
            timeout_s=10,
            what=f"load {url}",
        )

    async def wait_for(self, expression: str, *, timeout_s: float, what: str) -> Any:
        return await eventually(lambda: self.evaluate(expression), timeout_s=timeout_s, what=what)

    async def phone_viewport(self, width: int = 390, height: int = 844) -> None:
        await self.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=3, mobile=True
        )


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Callable[[], Any]]:
    """Headless Chromium; yields `new_page()` (an async function returning a Page)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise FileNotFoundError("chromium is not installed (Debian package chromium; run `make system-deps`)")
    profile = tempfile.mkdtemp(prefix="ivr-chromium-")
    process = await asyncio.create_subprocess_exec(
        binary,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "about:blank",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sockets: list[Any] = []
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        await eventually(lambda: port_file.exists() and port_file.read_text().count("\n") >= 1, timeout_s=20,
                         what="chromium DevTools port")  # fmt: skip
        port = int(port_file.read_text().split()[0])

        async def new_page() -> Page:
            async with httpx.AsyncClient() as client:
                target = (await client.put(f"http://127.0.0.1:{port}/json/new?about:blank")).json()
            socket = await websockets.connect(target["webSocketDebuggerUrl"], max_size=None)
            sockets.append(socket)
            return Page(socket)

        yield new_page
    finally:
        for socket in sockets:
            with contextlib.suppress(Exception):
                await socket.close()
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await asyncio.wait_for(process.wait(), 5)
        shutil.rmtree(profile, ignore_errors=True)

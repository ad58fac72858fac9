"""A small Chrome DevTools Protocol driver for headless Chromium (Debian's /usr/bin/chromium), over `websockets`.

Rules:
- One browser process per `Browser`; it is killed on exit, whatever happened.
- Every wait has a deadline; `wait_for` polls an expression a few milliseconds apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import websockets

CHROMIUM = "chromium"
START_TIMEOUT_S = 30.0


class BrowserError(Exception):
    pass


class Page:
    def __init__(self, browser: Browser, session_id: str) -> None:
        self._browser = browser
        self.session_id = session_id

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self._browser.send(method, session_id=self.session_id, **params)

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression!r} raised: {reply['exceptionDetails']}")
        return reply.get("result", {}).get("value")

    async def wait_for(self, expression: str, *, timeout_s: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while time.monotonic() < deadline:
            with contextlib.suppress(BrowserError):  # the page may be between two documents
                last = await self.evaluate(expression)
                if last:
                    return last
            await asyncio.sleep(0.05)
        raise AssertionError(f"{expression!r} still {last!r} after {timeout_s} s")


class Browser:
    def __init__(self, process: asyncio.subprocess.Process, socket: Any) -> None:
        self._process = process
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self._socket:
            message = json.loads(raw)
            future = self._pending.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(BrowserError(str(message["error"])))
                else:
                    future.set_result(message.get("result", {}))

    async def send(self, method: str, *, session_id: str | None = None, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session_id:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._socket.send(json.dumps(message))
        return await asyncio.wait_for(future, 15)

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        page = Page(self, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        return page


def unavailable_reason() -> str | None:
    return None if shutil.which(CHROMIUM) else "chromium is not installed (Debian package chromium; `make system-deps`)"


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


@contextlib.asynccontextmanager
async def launch(profile: Path) -> AsyncIterator[Browser]:
    process = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
        "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        seen = b""
        deadline = time.monotonic() + START_TIMEOUT_S
        url = None
        while url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"chromium did not start: {seen[-2000:]!r}")
            line = await asyncio.wait_for(process.stderr.readline(), remaining)
            if not line:
                raise BrowserError(f"chromium exited: {seen[-2000:]!r}")
            seen += line
            found = re.search(rb"DevTools listening on (ws://\S+)", line)
            url = found.group(1).decode() if found else None
        # keep reading chromium's log, or a full pipe would one day block the browser
        drain = asyncio.create_task(_drain(process.stderr))
        async with websockets.connect(url, max_size=None) as socket:
            browser = Browser(process, socket)
            try:
                yield browser
            finally:
                browser._reader.cancel()
                drain.cancel()
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()

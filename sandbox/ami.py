"""AMI: a minimal asyncio client for the demo caller and the tests, to wait for events (the API has its own,
panoramisk-based)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable

from sandbox.paths import SandboxError, SandboxPaths


def ami_secret(paths: SandboxPaths) -> str:
    """The AMI secret of the rendered sandbox (the demo-only one unless you replaced it)."""
    text = (paths.conf_dir / "manager_secrets.conf").read_text()
    match = re.search(r"^\s*secret\s*=\s*(\S+)", text, re.MULTILINE)
    if not match:
        raise SandboxError(f"no AMI secret in {paths.conf_dir / 'manager_secrets.conf'}")
    return match.group(1)


AmiMessage = dict[str, str]


class AmiClient:
    """Login, send actions, keep every event. Rules: one reader task owns the socket's read side; events are
    appended in arrival order and never dropped (a test or demo lasts seconds); waits are always bounded."""

    AMI_USER = "ivr-api"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.events: list[AmiMessage] = []
        self._responses: dict[str, asyncio.Future[AmiMessage]] = {}
        self._changed = asyncio.Event()
        self._next_id = 0
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls, *, secret: str, host: str = "127.0.0.1", port: int = 5038, timeout_s: float = 5.0
    ) -> AmiClient:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
        await asyncio.wait_for(reader.readline(), timeout_s)  # "Asterisk Call Manager/x.y"
        client = cls(reader, writer)
        client._task = asyncio.create_task(client._read_loop())
        reply = await client.action("Login", timeout_s=timeout_s, Username=cls.AMI_USER, Secret=secret)
        if reply.get("Response") != "Success":
            await client.close()
            raise SandboxError(f"AMI login refused: {reply.get('Message', reply)}")
        return client

    async def _read_loop(self) -> None:
        message: AmiMessage = {}
        while True:
            line = await self._reader.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if text:
                key, _, value = text.partition(":")
                message[key.strip()] = value.strip()
                continue
            if "Event" in message:
                self.events.append(message)
                self._changed.set()
            elif "ActionID" in message and message["ActionID"] in self._responses:
                future = self._responses.pop(message["ActionID"])
                if not future.done():
                    future.set_result(message)
            message = {}
        self._changed.set()

    async def action(self, name: str, *, timeout_s: float = 5.0, **fields: str) -> AmiMessage:
        self._next_id += 1
        action_id = f"ivr-{self._next_id}"
        future: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        self._responses[action_id] = future
        lines = [
            f"Action: {name}",
            f"ActionID: {action_id}",
            *(f"{key}: {value}" for key, value in fields.items()),
        ]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError as error:
            raise SandboxError(f"AMI action {name}: no response within {timeout_s} s") from error

    async def wait_for(
        self, predicate: Callable[[AmiMessage], bool], *, timeout_s: float, what: str = "an AMI event"
    ) -> AmiMessage:
        """The first event (already received or still to come) matching `predicate`."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout_s} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.write(b"Action: Logoff\r\n\r\n")
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

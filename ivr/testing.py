"""Test doubles reused by tests and benchmarks.

ScriptedAsterisk: a fake Asterisk peer that speaks AGI over a stream, the way res_agi does. It sends an
environment, then answers each command line from a script of (expected command prefix, reply) steps, then
from a responder that behaves like a live channel. It records every command it got and every step that did
not match, so a test asserts on `peer.commands` and `peer.mismatches`. It drives the FastAGI server over TCP
(`call_tcp`) and a process-AGI script over pipes (`call_process`).

Rules:
- A reply is sent as written (a newline is added if missing), so a step may carry several lines, e.g.
  "200 result=-1 endpos=0\\nHANGUP" for a caller hanging up mid-prompt, or a 520 usage block.
- A reply of None closes the connection instead (Asterisk dropping the session); a callable reply is awaited,
  which lets a test hold a call in progress until it chooses to.
- Every conversation has a deadline; nothing here waits forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

ReplyText = str | None
Reply = ReplyText | Callable[[str], Awaitable[ReplyText]]
Step = tuple[str, Reply]


def agi_environment(
    script: str = "echo", *, network: bool = True, **overrides: str | bytes
) -> dict[str, str | bytes]:
    """An environment as Asterisk 22 sends it (res_agi.c setup_env), for `script`. Values may be bytes to send
    non-UTF-8 text, e.g. agi_calleridname=b"Jos\\xe9"."""
    environment: dict[str, str | bytes] = {}
    if network:
        environment |= {"agi_network": "yes", "agi_network_script": script}
    request = f"agi://127.0.0.1:4573/{script}" if network else f"/usr/share/asterisk/agi-bin/{script}"
    environment |= {
        "agi_request": request,
        "agi_channel": "PJSIP/sipp-00000007",
        "agi_language": "en",
        "agi_type": "PJSIP",
        "agi_uniqueid": "1763860800.7",
        "agi_version": "22.10.1",
        "agi_callerid": "+33612345678",
        "agi_calleridname": "Jean Dupont",
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": "0800123456",
        "agi_rdnis": "unknown",
        "agi_context": "ivr-inbound",
        "agi_extension": "0800123456",
        "agi_priority": "2",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "140187365320384",
    }
    return environment | overrides


def encode_environment(environment: Mapping[str, str | bytes]) -> bytes:
    lines = [key.encode() + b": " + (value if isinstance(value, bytes) else value.encode()) + b"\n"
             for key, value in environment.items()]
    return b"".join(lines) + b"\n"


def live_channel_reply(command: str) -> str:
    """What a live channel where nobody presses anything answers (res_agi.c reply formats)."""
    verb = command.upper()
    if verb.startswith("STREAM FILE"):
        return "200 result=0 endpos=8000"
    if verb.startswith("GET DATA"):
        return "200 result= (timeout)"
    if verb.startswith("GET VARIABLE") or verb.startswith("GET FULL VARIABLE"):
        return "200 result=0"
    if verb.startswith("RECORD FILE"):
        return "200 result=0 (timeout) endpos=16000"
    if verb.startswith(("SET VARIABLE", "VERBOSE", "HANGUP")):
        return "200 result=1"
    return "200 result=0"


@dataclass
class ProcessOutcome:
    returncode: int
    stderr: str


@dataclass
class ScriptedAsterisk:
    environment: Mapping[str, str | bytes] | bytes
    script: Sequence[Step] = ()
    respond: Callable[[str], ReplyText] = live_channel_reply
    commands: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    process_id: int | None = None  # of the process AGI being driven, so a reply can SIGHUP it like Asterisk

    async def _reply_for(self, command: str, step: int) -> ReplyText:
        if step >= len(self.script):
            return self.respond(command)
        expected, reply = self.script[step]
        if not command.upper().startswith(expected.upper()):
            self.mismatches.append(f"step {step}: expected {expected!r}, got {command!r}")
        return await reply(command) if callable(reply) else reply

    async def converse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout_s: float
    ) -> None:
        """Play Asterisk on this stream until the AGI side closes it, a None reply, or the deadline."""
        environment = self.environment
        first = environment if isinstance(environment, bytes) else encode_environment(environment)
        try:
            async with asyncio.timeout(timeout_s):
                writer.write(first)
                await writer.drain()
                while line := await reader.readline():
                    command = line.decode("utf-8", errors="replace").rstrip("\n")
                    self.commands.append(command)
                    reply = await self._reply_for(command, len(self.commands) - 1)
                    if reply is None:
                        break
                    writer.write((reply if reply.endswith("\n") else reply + "\n").encode())
                    await writer.drain()
        except (ConnectionError, BrokenPipeError):
            pass  # the AGI side went away first: that is its business, the commands are recorded
        finally:
            writer.close()

    async def call_tcp(self, host: str, port: int, *, timeout_s: float = 5.0) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        await self.converse(reader, writer, timeout_s)
        await asyncio.wait_for(_wait_closed(writer), timeout_s)

    async def call_process(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout_s: float = 20.0
    ) -> ProcessOutcome:
        """Run a process AGI script the way Asterisk does (environment on stdin, commands on stdout)."""
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        self.process_id = process.pid
        try:
            conversation = self.converse(process.stdout, process.stdin, timeout_s)
            _, stderr = await asyncio.wait_for(asyncio.gather(conversation, process.stderr.read()), timeout_s)
            returncode = await asyncio.wait_for(process.wait(), timeout_s)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        return ProcessOutcome(returncode, stderr.decode("utf-8", errors="replace"))


async def _wait_closed(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()



# The scripted caller for flow tests lives in its own module; re-exported here so tests and benchmarks find both
# fakes in one place.
from ivr.fake_channel import HANGUP as HANGUP  # noqa: E402
from ivr.fake_channel import FakeChannel as FakeChannel  # noqa: E402

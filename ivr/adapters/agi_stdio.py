"""Process AGI (`AGI(inbound)` with the script in agi_scripts/): the same flows over stdin/stdout, via pyst2.

Rules:
- pyst2 (`asterisk.agi.AGI`) reads the environment and records SIGHUP; commands and replies go through the loop
  FastAGI uses too (ivr/adapters/agi_session.py) over raw lines, so both modes behave identically.
- pyst2 decodes strictly and chatters on stderr: it gets a UTF-8 stdin with errors="replace" (a non-UTF-8
  caller name must not crash the call) and a stderr that discards its debug lines. Our own log goes to stderr.
- Asterisk signals a hangup to a process AGI with SIGHUP (no HANGUP line); pyst2's handler records it, which
  is why this only runs in the main thread. Asterisk owns the process lifetime: no reply timeout here.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TextIO

from asterisk.agi import AGI, AGISIGHUPHangup

from callcenter.logs import configure_logging
from ivr import background, registry
from ivr.adapters.agi_channel import AgiChannel
from ivr.adapters.agi_session import ConnectionExecutor, call_info, run_flow
from ivr.agi import AgiConnection
from ivr.agi.connection import environment_from_mapping
from ivr.channel import Channel
from ivr.settings import Settings

logger = logging.getLogger("ivr.agi_stdio")


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def pipe_executor(agi: AGI, stdin: TextIO, stdout: TextIO) -> ConnectionExecutor:
    """The shared loop over stdin/stdout: no deadlines, SIGHUP (recorded by pyst2) is the hangup notice."""

    async def write(data: bytes) -> None:
        stdout.write(data.decode("utf-8"))
        stdout.flush()

    async def read() -> bytes:
        return stdin.readline().encode("utf-8")

    def sighup() -> bool:
        try:
            agi.test_hangup()
        except AGISIGHUPHangup:
            return True
        return False

    connection = AgiConnection(environment_read=True)
    return ConnectionExecutor(connection, write, read, deadlines=False, hangup_notices=False, sighup=sighup)


def main(argv: list[str] | None = None) -> int:
    """`agi_stdio [--demo] [--at INSTANT] FLOW [ARGS...]`: run one call of FLOW over stdin/stdout. Exit 0 unless
    the flow failed. ARGS are the flow's (Asterisk's AGI arguments), never options."""
    parser = argparse.ArgumentParser(prog="agi_stdio", description="Run one call of a flow as process AGI.")
    registry.add_arguments(parser)
    parser.add_argument("flow")
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    settings = Settings()  # the process's settings, built once here
    configure_logging(settings.log_format, level=settings.log_level)  # stderr: Asterisk's log
    flows = registry.chosen(args.demo)
    flow = flows.flows.get(args.flow)
    context = flows.build_context(args.at, settings)
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    agi = AGI(stdin=stdin, stdout=stdout, stderr=_Discard())
    info = replace(call_info(environment_from_mapping(agi.env)), script=args.flow)
    channel = AgiChannel(pipe_executor(agi, stdin, stdout), info)
    if flow is None:
        logger.warning("unknown AGI flow %r", args.flow)
        return 1
    outcome = asyncio.run(_one_call(flow, channel, context))
    return 0 if outcome in {"completed", "hung_up"} else 1


async def _one_call(flow: Callable[[Channel, Any], Awaitable[None]], channel: AgiChannel, context: object) -> str:
    outcome = await run_flow(flow, channel, context)
    await background.settle()  # the process ends with this call: finish what the flow left running
    return outcome


if __name__ == "__main__":
    sys.exit(main())

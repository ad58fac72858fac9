"""Process AGI (`AGI(inbound)` with the script in agi_scripts/): the same flows over stdin/stdout, via pyst2.

Rules:
- pyst2 (`asterisk.agi.AGI`) reads the environment and writes each command; the replies are read here as raw
  lines and parsed by the same sans-I/O `AgiConnection` as FastAGI, so both modes behave identically.
- pyst2 decodes strictly and chatters on stderr: it gets a UTF-8 stdin with errors="replace" (a non-UTF-8
  caller name must not crash the call) and a stderr that discards its debug lines. Our own log goes to stderr.
- Asterisk signals a hangup to a process AGI with SIGHUP (no HANGUP line); pyst2's handler records it, which
  is why this only runs in the main thread. Asterisk owns the process lifetime: no reply timeout here.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from dataclasses import replace
from typing import TextIO

from asterisk.agi import AGI, AGISIGHUPHangup

from ivr.adapters.agi_channel import AgiChannel, Exchange, call_info, load_registry, run_flow
from ivr.agi import AgiConnection, ConnectionClosed, Environment, HangupNotice, NeedData, ProtocolError
from ivr.agi.connection import environment_from_mapping
from ivr.channel import ChannelError, ChannelHungUp
from ivr.settings import Settings

logger = logging.getLogger("ivr.agi_stdio")


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


class PystExecutor:
    def __init__(self, agi: AGI, stdin: TextIO) -> None:
        self._agi, self._stdin = agi, stdin
        self._connection = AgiConnection(environment_read=True)

    def _sighup(self) -> bool:
        try:
            self._agi.test_hangup()
        except AGISIGHUPHangup:
            return True
        return False

    async def __call__(self, command: str, timeout_s: float) -> Exchange:
        self._connection.send_command(command)  # validates the line and expects a reply
        try:
            self._agi.send_command(command)
        except OSError as error:  # EPIPE: Asterisk is gone
            raise ChannelHungUp(f"AGI pipe closed: {error}") from error
        while True:
            event = self._connection.next_event()
            if isinstance(event, NeedData):
                self._connection.receive_data(self._stdin.readline().encode("utf-8"))
            elif isinstance(event, HangupNotice):
                continue  # not sent to process AGI, harmless if it ever is
            elif isinstance(event, ConnectionClosed):
                raise ChannelHungUp("Asterisk closed the AGI pipe")
            elif isinstance(event, ProtocolError | Environment):
                raise ChannelError(f"AGI protocol error: {event}")
            else:
                return Exchange(event, hung_up=self._sighup())


def main(argv: list[str] | None = None) -> int:
    """`agi_stdio FLOW [ARGS...]`: run one call of FLOW over stdin/stdout. Exit 0 unless the flow failed."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: agi_stdio FLOW [ARGS...]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="ivr %(levelname)s %(name)s: %(message)s")
    registry = load_registry()
    flow = registry.flows.get(args[0])
    context = registry.build_context(None, Settings())  # the process's settings, built once here
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    agi = AGI(stdin=stdin, stdout=stdout, stderr=_Discard())
    info = replace(call_info(environment_from_mapping(agi.env)), script=args[0])
    channel = AgiChannel(PystExecutor(agi, stdin), info)
    if flow is None:
        logger.warning("unknown AGI flow %r", args[0])
        return 1
    outcome = asyncio.run(run_flow(flow, channel, context))
    return 0 if outcome in {"completed", "hung_up"} else 1


if __name__ == "__main__":
    sys.exit(main())

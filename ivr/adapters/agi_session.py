"""The one AGI adapter loop, shared by FastAGI (a TCP stream) and process AGI (stdin/stdout), and a call's run.

Rules:
- A loop: write one command's bytes, hand what is read to the sans-I/O `AgiConnection` until it yields the
  reply. How bytes are written and read is a parameter; everything else is the same in both modes.
- FastAGI reads have a deadline, so a silent peer cannot hold a task forever. Process AGI has none: Asterisk
  owns the process lifetime. The deadline is one per command, kept by ONE timer per session (`Watchdog`), not
  a timer per command: a command only moves the deadline; the timer is re-armed when it fires early or when a
  command's deadline comes before it, so a session of quick replies arms about one timer per control timeout.
- FastAGI learns of a hangup from a HANGUP line; process AGI from SIGHUP (Asterisk sends it no HANGUP line, and
  a stray one is ignored there).
- After a reply timeout or a protocol error the session is unusable (a late reply would answer the wrong
  command): every further command fails with ChannelError.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Protocol

from callcenter.logs import bound
from ivr.agi import AgiConnection, ConnectionClosed, Environment, HangupNotice, NeedData, ProtocolError, Reply, Result
from ivr.channel import CallInfo, Channel, ChannelError, ChannelHungUp

logger = logging.getLogger(__name__)


class Exchange(NamedTuple):  # a tuple: one is made for every command
    reply: Reply
    hung_up: bool = False  # a HANGUP notice (or SIGHUP) arrived while waiting for this reply


class Executor(Protocol):
    async def __call__(self, command: str, timeout_s: float) -> Exchange:
        """Send one command line; return its reply. Raise ChannelHungUp if the peer is gone, ChannelError on a
        timeout or a protocol error."""
        ...


def _never() -> bool:
    return False


class Watchdog:
    """The deadline of the command in flight, kept by one timer per session (see the rules). When it passes
    while a command waits, the waiting task is cancelled and `expired` says why (the executor turns that
    cancellation into a timeout)."""

    def __init__(self) -> None:
        self._deadline = math.inf  # of the command in flight; inf: none waiting
        self._armed_at = math.inf
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.expired = False

    def start(self, timeout_s: float) -> None:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task(loop)
        self._deadline = loop.time() + timeout_s
        if self._handle is None or self._deadline < self._armed_at:
            self._arm(loop)

    def stop(self) -> None:
        self._deadline = math.inf

    def close(self) -> None:
        self.stop()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed_at = self._deadline
        self._handle = loop.call_at(self._deadline, self._fire)

    def _fire(self) -> None:
        self._handle = None
        if self._deadline == math.inf or self._task is None:
            return  # nothing waits: the next command arms it again
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._arm(loop)  # armed for an earlier command that was answered: wait for this one's deadline
            return
        self.expired = True
        self._task.cancel()


class ConnectionExecutor:
    """Sends one command through `write` and feeds what `read` returns to the connection until its reply."""

    def __init__(
        self,
        connection: AgiConnection,
        write: Callable[[bytes], Awaitable[None]],
        read: Callable[[], Awaitable[bytes]],
        *,
        deadlines: bool = True,
        hangup_notices: bool = True,
        sighup: Callable[[], bool] = _never,
    ) -> None:
        self._connection, self._write, self._read = connection, write, read
        self._deadlines, self._hangup_notices, self._sighup = deadlines, hangup_notices, sighup
        self._broken: str | None = None
        self._watchdog = Watchdog() if deadlines else None

    def close(self) -> None:
        """The session is over: its timer goes (it would only find nothing waiting)."""
        if self._watchdog is not None:
            self._watchdog.close()

    async def __call__(self, command: str, timeout_s: float) -> Exchange:
        if self._broken is not None:
            raise ChannelError(self._broken)
        data = self._connection.send_command(command)  # validates the line and expects a reply
        watchdog = self._watchdog
        if watchdog is not None:
            watchdog.start(timeout_s)
        connection = self._connection
        hung_up = False
        try:
            await self._write(data)
            while True:  # (inline, not a helper coroutine: this runs for every command)
                event = connection.next_event()
                if isinstance(event, Result):  # the usual case first
                    return Exchange(event, hung_up or self._sighup())
                if isinstance(event, NeedData):
                    connection.receive_data(await self._read())
                elif isinstance(event, HangupNotice):
                    hung_up = hung_up or self._hangup_notices
                elif isinstance(event, ConnectionClosed):
                    raise ChannelHungUp("Asterisk closed the AGI session")
                elif isinstance(event, ProtocolError | Environment):
                    self._broken = f"AGI protocol error: {event}"
                    raise ChannelError(self._broken)
                else:
                    return Exchange(event, hung_up or self._sighup())  # an error reply
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if watchdog is None or not watchdog.expired or task is None:
                raise
            watchdog.expired = False
            if task.uncancel() > 0:
                raise  # cancelled for another reason too (shutdown): that wins
            self._broken = f"no reply to {command[:60]!r} within {timeout_s:.0f} s"
            raise ChannelError(self._broken) from None
        except OSError as error:  # ECONNRESET, EPIPE: Asterisk is gone
            raise ChannelHungUp(f"AGI connection lost: {error}") from error
        finally:
            if watchdog is not None:
                watchdog.stop()


def call_info(environment: Environment) -> CallInfo:
    """What a flow may know from the AGI environment. Asterisk writes "unknown" for absent caller ID / DNID;
    linkedid is not in the environment (read CHANNEL(linkedid))."""

    def known(key: str) -> str:
        value = environment.get(key)
        return "" if value.lower() == "unknown" else value

    return CallInfo(
        script=environment.script,
        caller_number=known("agi_callerid"),
        caller_name=known("agi_calleridname"),
        dialed_number=known("agi_dnid"),
        unique_id=environment.get("agi_uniqueid"),
        channel_name=environment.get("agi_channel"),
        language=environment.get("agi_language") or "en",
        context=environment.get("agi_context"),
        extension=environment.get("agi_extension"),
        arguments=environment.arguments,
        raw=dict(environment.variables),
    )


async def run_flow(flow: Callable[[Channel, Any], Awaitable[None]], channel: Channel, context: Any) -> str:
    """Run one call's flow to its end; never raises. Returns how it ended, for the log and the tests. Every line
    logged meanwhile carries the call's uniqueid and the flow's name (callcenter.logs)."""
    name = channel.info.script
    with bound(uniqueid=channel.info.unique_id, flow=name):
        return await _run_flow(flow, channel, context)


async def _run_flow(flow: Callable[[Channel, Any], Awaitable[None]], channel: Channel, context: Any) -> str:
    name = channel.info.script
    try:
        await flow(channel, context)
    except ChannelHungUp:
        logger.info("flow %s: caller hung up (%s)", name, channel.info.unique_id)
        return "hung_up"
    except ChannelError as error:
        logger.warning("flow %s: channel error (%s): %s", name, channel.info.unique_id, error)
        return "channel_error"
    except Exception:
        logger.exception("flow %s crashed (%s)", name, channel.info.unique_id)
        return "crashed"
    return "completed"

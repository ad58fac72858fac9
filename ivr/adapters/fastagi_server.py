"""FastAGI server: one asyncio task per call, serving flows by agi_network_script.

Rules:
- A loop: read bytes, hand them to the sans-I/O `AgiConnection`, write the commands the flow sends (the loop
  itself is ivr/adapters/agi_session.py, shared with process AGI).
- Nothing a peer does may hurt the server: the environment must arrive within a deadline and within bounded
  size, TCP probes that connect and close are normal, garbage ends only that connection, a flow exception is
  logged. Every read has a deadline, so a silent peer cannot hold a task forever.
- An unknown script name is logged (and VERBOSEd to the Asterisk console) and the session closed: the dialplan
  goes on with AGISTATUS=SUCCESS and its own default route.
- A context that is a `ContextSource` (ivr.live_config.LiveContext) is asked for the current one once per call,
  when the environment has arrived: the call keeps it to its end, so a configuration change only reaches new calls.
- Start-up objects are frozen out of the cyclic GC (`gc.freeze()` in `start`): collections walk calls only, and
  less often than Python's default (`GC_THRESHOLDS`).
- `close(grace_s)`: stop accepting, let calls in progress finish for `grace_s` seconds, then cancel them. The
  process around it (settings, registry, record sender, signals) is wired in ivr/app.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ivr.adapters.agi_channel import AgiChannel
from ivr.adapters.agi_session import ConnectionExecutor, call_info, run_flow
from ivr.agi import AgiConnection, ConnectionClosed, Environment, Event, NeedData, ProtocolError
from ivr.agi.operations import CONTROL_TIMEOUT_S, MEDIA_SLACK_S
from ivr.channel import Channel, ChannelError, ChannelHungUp
from ivr.observability import AgiMetrics

logger = logging.getLogger(__name__)
READ_CHUNK = 4096
GC_THRESHOLDS = (20_000, 20, 50)  # gen0 allocations, gen0 runs per gen1, gen1 runs per gen2 (default 700, 10, 10)
Flow = Callable[[Channel, Any], Awaitable[None]]


@runtime_checkable
class ContextSource(Protocol):
    """A context that changes while the server runs: each call takes `current()` once, at its start."""

    def current(self) -> Any: ...


def stream_executor(
    connection: AgiConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> ConnectionExecutor:
    transport = writer.transport

    async def write(data: bytes) -> None:
        writer.write(data)  # sent at once when nothing is queued (a command line is far below any buffer)
        if transport.get_write_buffer_size() or transport.is_closing():
            await writer.drain()  # a backlog to wait for, or the error of a connection already lost

    return ConnectionExecutor(connection, write, functools.partial(reader.read, READ_CHUNK))


class FastAgiServer:
    def __init__(
        self,
        flows: Mapping[str, Flow],
        context: Any,
        *,
        environment_timeout_s: float = 5.0,
        max_calls: int = 2000,
        control_timeout_s: float = CONTROL_TIMEOUT_S,
        media_slack_s: float = MEDIA_SLACK_S,
        metrics: AgiMetrics | None = None,
    ) -> None:
        self._flows, self._context = flows, context
        # Asked once here, not per call: isinstance on a runtime Protocol walks its members every time.
        self._source: ContextSource | None = context if isinstance(context, ContextSource) else None
        self.metrics = metrics or AgiMetrics(flows)
        self._environment_timeout_s = environment_timeout_s
        self._control_timeout_s, self._media_slack_s = control_timeout_s, media_slack_s
        self._max_calls = max_calls
        self._server: asyncio.Server | None = None
        self._calls: set[asyncio.Task[None]] = set()
        self.outcomes: Counter[str] = Counter()  # how sessions ended: completed, hung_up, probe, ...
        self._session_ended = asyncio.Condition()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def wait_sessions(self, count: int) -> None:
        """Until `count` sessions have ended (for tests and benchmarks; bound it with a timeout)."""
        async with self._session_ended:
            await self._session_ended.wait_for(lambda: self.outcomes.total() >= count)

    async def start(self, host: str, port: int) -> None:
        # What start-up loaded (configuration, modules, tables) lives as long as the process: moved out of the
        # cyclic garbage collector's sight, so its collections only walk the calls' own objects.
        gc.freeze()
        # A call allocates thousands of short-lived objects that reference counting frees; the cyclic collector
        # only finds the few cycles exceptions and tasks leave. Collecting every 700 allocations (the default)
        # made it walk the live sessions' objects again and again: about 8% of the CPU at 1,000 calls in
        # progress (py-spy). Rarer young collections, and a full one still when the old generation grows.
        gc.set_threshold(*GC_THRESHOLDS)
        self._server = await asyncio.start_server(self._handle, host, port, limit=READ_CHUNK)

    async def close(self, grace_s: float) -> None:
        if self._server is not None:
            self._server.close()
        if self._calls:
            _, still_running = await asyncio.wait(set(self._calls), timeout=grace_s)
            for task in still_running:
                task.cancel()
            await asyncio.gather(*still_running, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._calls.add(task)
        script = ""  # the script Asterisk asked for, once its environment is read
        try:
            try:
                script, outcome = await self._session(reader, writer)
            except asyncio.CancelledError:
                # Shutdown after the grace period. This task is the root of the call: nobody awaits it, and
                # re-raising only makes asyncio's stream callback log a spurious error.
                outcome = "cancelled"
            self.outcomes[outcome] += 1
            self.metrics.session_ended(script, outcome)
        finally:
            self._calls.discard(task)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            async with self._session_ended:
                self._session_ended.notify_all()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[str, str]:
        """(script, how the session ended)."""
        if len(self._calls) > self._max_calls:
            logger.warning("refusing an AGI session: %d calls in progress", len(self._calls) - 1)
            return "", "refused"
        connection = AgiConnection()
        event = await self._read_environment(connection, reader)
        if not isinstance(event, Environment):
            # A bare connect/close is a health check; anything else is worth a line in the log.
            level = logging.DEBUG if isinstance(event, ConnectionClosed) else logging.WARNING
            logger.log(level, "AGI session without an environment: %s", event)
            return "", "probe" if isinstance(event, ConnectionClosed) else "bad_environment"
        executor = stream_executor(connection, reader, writer)
        channel = AgiChannel(
            executor,
            call_info(event),
            control_timeout_s=self._control_timeout_s,
            media_slack_s=self._media_slack_s,
        )
        try:
            flow = self._flows.get(event.script)
            if flow is None:
                logger.warning("unknown AGI script %r from %s", event.script, channel.info.channel_name)
                with contextlib.suppress(ChannelHungUp, ChannelError):
                    await channel.verbose(f"ivr: no flow named {event.script!r}; continuing in the dialplan")
                return event.script, "unknown_script"
            context = self._source.current() if self._source is not None else self._context
            in_progress = self.metrics.calls_in_progress
            in_progress.inc()  # (not the `metrics.call()` context manager: a generator per call)
            try:
                return event.script, await run_flow(flow, channel, context)
            finally:
                in_progress.dec()
        finally:
            executor.close()

    async def _read_environment(self, connection: AgiConnection, reader: asyncio.StreamReader) -> Event:
        try:
            async with asyncio.timeout(self._environment_timeout_s):
                while isinstance(event := connection.next_event(), NeedData):
                    connection.receive_data(await reader.read(READ_CHUNK))
                return event
        except TimeoutError:
            return ProtocolError(f"no complete environment within {self._environment_timeout_s} s")
        except ConnectionError as error:
            return ProtocolError(f"connection lost: {error}")

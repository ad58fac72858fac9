"""The agi process (`ivr agi`): settings built once, the registry chosen, the record sender, the FastAGI server.

Wiring only. SIGTERM/SIGINT: stop accepting, let calls in progress finish for `--grace` seconds, then cancel
them. SIGHUP (`systemctl reload ivr-agi`): re-read the call-center file for new calls, or refuse a bad one and
keep the running configuration (ivr/live_config.py); with an API token the calendar overrides administrators
enter are polled from the API (ivr/adapters/overrides_client.py). `--demo` serves ivr/adapters/agi_demo.py's
registry instead of the real flows; `--at` starts the flows' clock at an instant (demos, the after-hours tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from callcenter.loading import ConfigError, load_callcenter
from callcenter.logs import configure_logging
from ivr import registry
from ivr.adapters.fastagi_server import FastAgiServer, Flow
from ivr.adapters.outbox import Outbox
from ivr.adapters.overrides_client import OverridesFollower, api_fetch
from ivr.adapters.record_sender import OutboxSender, running_sender
from ivr.flows.context import FlowContext
from ivr.live_config import LiveContext
from ivr.observability import AgiMetrics, serve_metrics
from ivr.registry import FlowRegistry
from ivr.settings import Settings

logger = logging.getLogger("ivr.app")
FIRST_POLL_S = 2.0  # the calendar overrides' poll: the longest a down API delays the start (and each later poll)


async def serve(
    flows: Mapping[str, Flow],
    context: Any,
    *,
    host: str,
    port: int,
    grace_s: float,
    stop: asyncio.Event,
    on_listening: Callable[[int], None] | None = None,
    metrics: AgiMetrics | None = None,
) -> None:
    """Serve until `stop` is set (SIGTERM/SIGINT set it too), then shut down gracefully."""
    server = FastAgiServer(flows, context, metrics=metrics)
    await server.start(host, port)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        print(f"ivr agi: FastAGI listening on {host}:{server.port}", flush=True)
        if on_listening is not None:
            on_listening(server.port)
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await server.close(grace_s)


async def run(flows: FlowRegistry[Any], context: Any, settings: Settings, args: argparse.Namespace) -> None:
    """Serve until SIGTERM/SIGINT, sending the flows' call records to the API when a token is configured."""
    stop = asyncio.Event()
    metrics = AgiMetrics(flows.flows)
    async with contextlib.AsyncExitStack() as stack:
        outbox = getattr(context, "outbox", None)
        if isinstance(outbox, Outbox):
            metrics.watch_outbox(outbox.stats)
        if settings.metrics_port is not None:
            endpoint = serve_metrics(metrics, host=settings.metrics_host, port=settings.metrics_port)
            stack.push_async_callback(asyncio.to_thread, endpoint.close)  # its thread stops within 0.5 s
            print(f"ivr agi: metrics on http://{settings.metrics_host}:{endpoint.port}/metrics", flush=True)
        if isinstance(outbox, Outbox) and settings.api_token:
            sender = OutboxSender(outbox, api_url=settings.api_url, token=settings.api_token)
            await stack.enter_async_context(running_sender(sender))
            logger.info("sending call records from %s to %s", outbox.directory, settings.api_url)
        elif isinstance(outbox, Outbox):
            logger.warning("IVR_API_TOKEN is not set: call records stay in %s", outbox.directory)
        if isinstance(context, FlowContext):
            context = await stack.enter_async_context(live_configuration(context, settings, stop))
        await serve(
            flows.flows, context, host=args.host, port=args.port, grace_s=args.grace, stop=stop, metrics=metrics
        )


def reload_on_signal(live: LiveContext) -> None:
    """SIGHUP: the new file for new calls, or a refusal in the log and the running configuration kept."""
    try:
        live.reload_file()
    except ConfigError as error:
        logger.error("configuration reload refused, running configuration kept:\n%s", error)


@contextlib.asynccontextmanager
async def live_configuration(
    context: FlowContext, settings: Settings, stop: asyncio.Event
) -> AsyncIterator[LiveContext]:
    """The context as a LiveContext: SIGHUP re-reads the file, and the overrides are polled from the API."""
    live = LiveContext(
        context, load=lambda: load_callcenter(settings.callcenter_path), cache_path=settings.overrides_cache
    )
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, reload_on_signal, live)
    poller: asyncio.Task[None] | None = None
    client = None
    if settings.api_token:
        fetch, client = api_fetch(api_url=settings.api_url, token=settings.api_token, timeout_s=FIRST_POLL_S)
        follower = OverridesFollower(live, fetch)
        await follower.poll_once()  # before the first call: it gets the overrides in force
        poller = asyncio.create_task(follower.run(interval_s=settings.overrides_poll_s, stop=stop, wait_first=True))
    try:
        yield live
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        if poller is not None:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
        if client is not None:
            await client.aclose()


def main(argv: list[str] | None = None) -> int:
    settings = Settings()  # once for the process: the listener, the record sender and the flows' context
    parser = argparse.ArgumentParser(prog="ivr agi", description="Serve the call flows over FastAGI.")
    parser.add_argument("--host", default=settings.agi_host, help="address to listen on (default IVR_AGI_HOST)")
    parser.add_argument("--port", type=int, default=settings.agi_port, help="TCP port (IVR_AGI_PORT; 0 = any)")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds calls may finish on SIGTERM")
    registry.add_arguments(parser)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    configure_logging(settings.log_format, level=settings.log_level)
    flows = registry.chosen(args.demo)
    asyncio.run(run(flows, flows.build_context(args.at, settings), settings, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

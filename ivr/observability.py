"""The agi process's own metrics (Prometheus text format, on a loopback port) and the call fields of its log lines.

Rules:
- While a flow handles a call, every line logged carries the call's `uniqueid` and `flow` (bound by
  `run_flow`), and its `linkedid` from the moment the flow reads CHANNEL(linkedid) (`AgiChannel` binds it: the
  AGI environment does not carry it, and asking for it up front would cost every call one more command).
- The metrics live in a registry of their own (not prometheus_client's global one, so two servers in one test
  process do not collide), served by prometheus_client's small HTTP server in a thread of its own on
  IVR_METRICS_HOST:IVR_METRICS_PORT: loopback by default, off without a port. The call plane has no web framework,
  and a scrape never runs on the calls' event loop.
- Label values are bounded: a flow name Asterisk sent that is not a known flow is counted as "unknown", so a
  peer cannot grow the series without end.
- The outbox gauges come from the outbox's own statistics (`Outbox.stats()`, ivr/delivery.py `Backlog`) at
  scrape time: its backlog counts records held in memory on a full disk too, which no file listing can see.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ivr.delivery import Backlog

UNKNOWN_FLOW = "unknown"
NO_FLOW = "none"  # a session without an environment (a TCP probe, garbage)
class OutboxCollector(Collector):
    """ivr_outbox_* gauges, from the outbox's statistics when scraped."""

    def __init__(self, stats: Callable[[], Backlog]) -> None:
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        backlog = self.stats()
        gauges = (
            ("ivr_outbox_backlog", "Call records not yet stored by the API", backlog.count),
            ("ivr_outbox_oldest_age_seconds", "Age of the oldest waiting record (0: none)", backlog.oldest_age_s),
            ("ivr_outbox_rejected", "Records quarantined (ivr outbox list)", backlog.quarantined),
            ("ivr_outbox_held_in_memory", "Records the disk refused, kept in memory", backlog.held_in_memory),
            ("ivr_outbox_disk_full", "1 while the spool cannot be written (an alarm)", int(backlog.disk_full)),
            ("ivr_outbox_write_failures", "Spool writes that failed since start", backlog.write_failures),
        )  # fmt: skip
        for name, documentation, value in gauges:
            yield GaugeMetricFamily(name, documentation, value=value)


class AgiMetrics:
    """The agi process's metrics: calls in progress, sessions by flow and result, and (when watched) the outbox."""

    def __init__(self, flows: Iterable[str] = ()) -> None:
        # no `_created` twin of every series: Prometheus does not need them
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self.flows = frozenset(flows)
        self.calls_in_progress = Gauge(
            "ivr_agi_calls_in_progress", "AGI sessions running a flow right now", registry=self.registry
        )
        self.sessions = Counter(
            "ivr_agi_sessions",
            "AGI sessions ended, by flow and by how they ended (completed, hung_up, channel_error, crashed, ...)",
            ["flow", "result"],
            registry=self.registry,
        )

    def flow_label(self, script: str) -> str:
        if not script:
            return NO_FLOW
        return script if script in self.flows else UNKNOWN_FLOW

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        """Counts a flow in progress for the duration of the block."""
        self.calls_in_progress.inc()
        try:
            yield
        finally:
            self.calls_in_progress.dec()

    def session_ended(self, script: str, result: str) -> None:
        self.sessions.labels(flow=self.flow_label(script), result=result).inc()

    def watch_outbox(self, stats: Callable[[], Backlog]) -> None:
        self.registry.register(OutboxCollector(stats))


@dataclass
class MetricsServer:
    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: AgiMetrics, *, host: str, port: int) -> MetricsServer:
    """Serve `metrics` over HTTP on host:port (0: any free port) from a thread; `close()` stops it."""
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    return MetricsServer(server, thread)

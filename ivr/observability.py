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
- The outbox gauges are read from the spool directory at scrape time (`spool_counts_from_directory`): they
  depend only on the spool's file names, not on the outbox code, and can be switched to the outbox's own
  statistics object once it has one.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

UNKNOWN_FLOW = "unknown"
NO_FLOW = "none"  # a session without an environment (a TCP probe, garbage)
SPOOLED_SUFFIXES = (".json", ".sending")  # ready, and claimed by a sender (ivr/adapters/outbox.py)
REJECTED_DIRECTORIES = ("rejected", "quarantine")


@dataclass(frozen=True)
class SpoolCounts:
    backlog: int  # records not yet stored by the API (ready or being sent)
    oldest_age_s: float  # age of the oldest of them; 0 when there is none
    rejected: int  # records set aside (unparseable, or quarantined after bounded attempts)


def spool_counts_from_directory(directory: Path, *, now: float) -> SpoolCounts:
    """Count the outbox's files by name. A file that vanishes while counted (sent meanwhile) is not counted."""
    ages: list[float] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in directory.iterdir():
            if entry.name.startswith(".") or not entry.name.endswith(SPOOLED_SUFFIXES):
                continue
            with contextlib.suppress(FileNotFoundError):
                ages.append(max(0.0, now - entry.stat().st_mtime))
    rejected = 0
    for name in REJECTED_DIRECTORIES:
        with contextlib.suppress(FileNotFoundError):
            rejected += sum(1 for entry in (directory / name).iterdir() if entry.name.endswith(".json"))
    return SpoolCounts(backlog=len(ages), oldest_age_s=max(ages, default=0.0), rejected=rejected)


class OutboxCollector(Collector):
    """ivr_outbox_* gauges, read from the spool when scraped."""

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory, self.clock = directory, clock

    def collect(self) -> Iterable[Metric]:
        counts = spool_counts_from_directory(self.directory, now=self.clock())
        yield GaugeMetricFamily(
            "ivr_outbox_backlog", "Call records in the outbox not yet stored by the API", value=counts.backlog
        )
        yield GaugeMetricFamily(
            "ivr_outbox_oldest_age_seconds",
            "Age of the oldest call record waiting in the outbox (0 when empty)",
            value=counts.oldest_age_s,
        )
        yield GaugeMetricFamily(
            "ivr_outbox_rejected",
            "Call records set aside by the outbox (see its rejected directory)",
            value=counts.rejected,
        )


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

    def watch_outbox(self, directory: Path) -> None:
        self.registry.register(OutboxCollector(directory))


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

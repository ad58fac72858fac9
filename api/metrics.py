"""What the API tells Prometheus and its log: the figures of /metrics, and one log line and one count per request.

Rules:
- Figures kept in PostgreSQL (calls by outcome, request deadlines, the newest record) are read at scrape time
  (api/crud/metrics.py), so several API processes agree. The live ones (queues, the AMI link) come from this
  process's LiveService, which every API process keeps from the same Asterisk. HTTP counts are this process's
  own, like any Prometheus target's: the scraper tells the processes apart by `instance`.
- A scrape never fails because PostgreSQL does: the stored figures are bounded by a timeout and replaced by
  `ivr_database_up 0`; the live ones are still served.
- Labels stay bounded: the route is its template (`/calls/{key}`, never the raw path, which may hold a caller's
  number), an unmatched path is "unmatched"; queues and request types come from the configuration and the
  database, not from the request.
- Request log lines carry `request_id` (the client's X-Request-ID when it is a sane token, else a new one,
  echoed in the response), `method`, `path` (the template) and `status`; query strings are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import Counter as Counter_
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.ami.service import LiveService
from api.crud import metrics as stored
from api.crud.metrics import RequestDeadlines
from callcenter.logs import bound
from callcenter.records import Outcome

log = logging.getLogger("api.requests")

UNMATCHED = "unmatched"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# -- per request ------------------------------------------------------------------------------------------------


class HttpMetrics:
    """This process's request counts and durations, by method, route template and status."""

    def __init__(self) -> None:
        # no `_created` twin of every series: Prometheus does not need them
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ivr_http_requests", "HTTP requests answered, by route template and status", ["method", "route", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.duration = Histogram(
            "ivr_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
            ["method", "route"], registry=self.registry,
        )  # fmt: skip

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.duration.labels(method=method, route=route).observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's path template (set in the scope by the router), or "unmatched"."""
    path: object = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestObservabilityMiddleware:
    """Binds the request's log fields, counts it, and logs one line when it is answered (pure ASGI)."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, method = request_id_from(scope), str(scope.get("method", ""))
        status = 500  # an exception that escapes the app is answered 500 by the server around it
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        with bound(request_id=request_id, method=method):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                route = route_template(scope)
                self.metrics.observe(method=method, route=route, status=status, seconds=seconds)
                level = logging.WARNING if status >= 500 else logging.INFO
                log.log(level, "%s %s %d", method, route, status,
                        extra={"path": route, "status": status, "duration_ms": round(seconds * 1000, 1)})  # fmt: skip


# -- per scrape -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFigures:
    name: str
    waiting: int
    longest_wait_s: float
    members: Mapping[str, int]  # member state -> how many


@dataclass(frozen=True)
class AmiFigures:
    configured: bool
    up: bool
    reconnects: int  # connections after the first one, since this process started


@dataclass(frozen=True)
class StoredFigures:
    calls_by_outcome: Mapping[str, int]
    requests: list[RequestDeadlines]
    newest_call_received_at: datetime | None


@dataclass(frozen=True)
class Scrape:
    now: datetime
    stored: StoredFigures | None  # None: PostgreSQL did not answer in time
    ami: AmiFigures
    queues: list[QueueFigures] = field(default_factory=list)
    request_types: tuple[str, ...] = ()  # configured, so each has a series even at zero
    due_soon_hours: float = 8.0


async def stored_figures(
    session: AsyncSession, *, now: datetime, due_soon_before: datetime, timeout_s: float
) -> StoredFigures | None:
    try:
        async with asyncio.timeout(timeout_s):
            return StoredFigures(
                calls_by_outcome=await stored.calls_by_outcome(session),
                requests=await stored.request_deadlines(session, now=now, due_soon_before=due_soon_before),
                newest_call_received_at=await stored.newest_call_received_at(session),
            )
    except Exception:  # any database failure: the live figures are still worth serving
        log.warning("metrics: the database did not answer within %.1f s", timeout_s, exc_info=True)
        return None


def live_figures(live: LiveService | None) -> tuple[AmiFigures, list[QueueFigures]]:
    """The AMI link and the queues as this process's live service sees them (its public snapshot)."""
    if live is None:
        return AmiFigures(configured=False, up=False, reconnects=0), []
    status = live.ami_status()
    connections = live.link.connections if live.link is not None else 0
    ami = AmiFigures(
        configured=bool(status.get("configured")),
        up=status.get("status") == "connected",
        reconnects=max(0, connections - 1),
    )
    queues = []
    snapshot_queues = live.snapshot().get("queues")
    for queue in snapshot_queues if isinstance(snapshot_queues, list) else []:
        waiting, members = queue.get("waiting") or [], queue.get("members") or []
        states = Counter_(str(member.get("state")) for member in members)
        longest = float(queue.get("longest_wait_s") or 0)
        queues.append(QueueFigures(str(queue.get("name")), len(waiting), longest, dict(sorted(states.items()))))
    return ami, queues


def _gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def families(scrape: Scrape) -> list[Metric]:
    """The scrape's figures as Prometheus metric families (pure: the tests read them directly)."""
    database = _gauge("ivr_database_up", "1 when PostgreSQL answered this scrape's queries in time")
    database.add_metric([], 1 if scrape.stored is not None else 0)
    found: list[Metric] = [database]
    if scrape.stored is not None:
        calls = _gauge("ivr_calls_stored", "Calls stored, by outcome (all time; a late record may move a call "
                       "between outcomes, so a gauge: use delta())", ["outcome"])  # fmt: skip
        outcomes = sorted({outcome.value for outcome in Outcome} | set(scrape.stored.calls_by_outcome))
        for outcome in outcomes:
            calls.add_metric([outcome], scrape.stored.calls_by_outcome.get(outcome, 0))
        newest = _gauge("ivr_calls_last_received_age_seconds",
                        "Seconds since the newest call record first arrived (none before the first)")  # fmt: skip
        if scrape.stored.newest_call_received_at is not None:
            newest.add_metric([], max(0.0, (scrape.now - scrape.stored.newest_call_received_at).total_seconds()))
        by_type = {row.type_key: row for row in scrape.stored.requests}
        kinds = sorted(set(scrape.request_types) | set(by_type))
        open_, soon, late = (
            _gauge("ivr_requests_open", "Open requests (new or in progress), by request type", ["type"]),
            _gauge("ivr_requests_due_soon", f"Open requests due within {scrape.due_soon_hours:g} business hours "
                   "(IVR_DUE_SOON_HOURS), not yet overdue, by request type", ["type"]),
            _gauge("ivr_requests_overdue", "Open requests past their deadline, by request type", ["type"]),
        )  # fmt: skip
        for kind in kinds:
            row = by_type.get(kind, RequestDeadlines(kind, 0, 0, 0))
            open_.add_metric([kind], row.open)
            soon.add_metric([kind], row.due_soon)
            late.add_metric([kind], row.overdue)
        found += [calls, newest, open_, soon, late]
    configured = _gauge("ivr_ami_configured", "1 when this API process has AMI settings (IVR_AMI_SECRET)")
    configured.add_metric([], int(scrape.ami.configured))
    up = _gauge("ivr_ami_up", "1 when this API process's AMI link is connected and logged in")
    up.add_metric([], int(scrape.ami.up))
    reconnects = CounterMetricFamily("ivr_ami_reconnects", "AMI reconnections since this API process started")
    reconnects.add_metric([], scrape.ami.reconnects)
    waiting = _gauge("ivr_queue_callers_waiting", "Callers waiting in the queue now", ["queue"])
    longest = _gauge("ivr_queue_longest_wait_seconds", "Wait of the caller waiting longest in the queue", ["queue"])
    members = _gauge("ivr_queue_members", "Queue members by state (available, on_call, paused...)", ["queue", "state"])
    for queue in scrape.queues:
        waiting.add_metric([queue.name], queue.waiting)
        longest.add_metric([queue.name], queue.longest_wait_s)
        for state, count in sorted(queue.members.items()):
            members.add_metric([queue.name, state], count)
    return [*found, configured, up, reconnects, waiting, longest, members]


class _Families(Collector):
    def __init__(self, collected: list[Metric]) -> None:
        self.collected = collected

    def collect(self) -> Iterable[Metric]:
        return self.collected


def exposition(scrape: Scrape, http: HttpMetrics) -> bytes:
    """The Prometheus text format of the scrape's families, then this process's HTTP counts."""
    return generate_latest(_Families(families(scrape))) + generate_latest(http.registry)

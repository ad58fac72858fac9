"""/metrics: the Prometheus text format, for a supervisor's or an admin's token (see api/metrics.py).

A token, not an address: behind a reverse proxy on the same host every request comes from loopback, so "open on
loopback" would open it to the world. The figures are counts, never a caller's number.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import HttpMetricsDep, NowDep, OptionalLiveDep, RequestConfigDep, SessionDep, SettingsDep, SupervisorDep
from api.metrics import Scrape, exposition, live_figures, stored_figures
from api.request_rules import due_soon_cutoff

router = APIRouter(tags=["operations"])

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"  # the format every Prometheus version reads
TEXT_FORMAT = {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format"}


@router.get("/metrics", response_class=Response, responses={200: TEXT_FORMAT})
async def metrics(
    principal: SupervisorDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    config: RequestConfigDep,
    live: OptionalLiveDep,
    http: HttpMetricsDep,
) -> Response:
    """Calls by outcome, queues, the AMI link, request deadlines and HTTP requests, for Prometheus."""
    cutoff = due_soon_cutoff(config.calendar, now, config.due_soon_hours)
    ami, queues = live_figures(live)
    scrape = Scrape(
        now=now,
        stored=await stored_figures(session, now=now, due_soon_before=cutoff, timeout_s=settings.check_timeout_s),
        ami=ami,
        queues=queues,
        request_types=tuple(kind.key for kind in config.callcenter.request_types),
        due_soon_hours=config.due_soon_hours,
    )
    return Response(exposition(scrape, http), media_type=PROMETHEUS_TEXT)

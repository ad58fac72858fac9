"""Health checks, no token needed: `/health` (the database, the AMI link, the outbox as seen from here) for
operators and monitors, `/health/live` (nothing but the process) for process supervisors and load balancers.

Rules:
- /health answers 200 when every part it depends on is up (an AMI the operator did not configure counts as
  fine), 503 with the same body when one is down. Each check is bounded (IVR_API_CHECK_TIMEOUT_S).
- The outbox lives on the agi host, out of this process's sight: /health reports when the newest call record
  arrived and says "unknown", never "up" or "down" on a guess (a quiet night is not an outage). Its backlog and
  oldest record are on the agi process's metrics endpoint (ivr_outbox_backlog, ivr_outbox_oldest_age_seconds).
- /health/live touches neither the database nor the AMI: a database outage must not make a supervisor restart
  every API process.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Response

from api.crud.metrics import newest_call_received_at
from api.db import database_answers
from api.deps import NowDep, OptionalLiveDep, SessionDep, SettingsDep
from api.schemas.health import AmiHealth, DatabaseHealth, Health, Liveness, OutboxHealth, PartStatus

router = APIRouter(tags=["health"])

OUTBOX_DETAIL = "the outbox is on the agi host: see its metrics (ivr_outbox_backlog, ivr_outbox_oldest_age_seconds)"


@router.get("/health", responses={503: {"model": Health, "description": "the database or the AMI link is down"}})
async def health(
    session: SessionDep, response: Response, live: OptionalLiveDep, now: NowDep, settings: SettingsDep
) -> Health:
    """200 when the database answers and the AMI link is up (or not configured); 503 naming what is down."""
    started = time.perf_counter()
    answers = await database_answers(session, timeout_s=settings.check_timeout_s)
    database = DatabaseHealth(
        status=PartStatus.UP if answers else PartStatus.DOWN,
        latency_ms=round((time.perf_counter() - started) * 1000, 1) if answers else None,
    )
    ami = ami_health(live)
    outbox = OutboxHealth(status=PartStatus.UNKNOWN, detail=OUTBOX_DETAIL)
    if answers:
        received = await newest_call_received_at(session)
        if received is not None:
            outbox.last_record_received_at = received
            outbox.seconds_since_last_record = round(max(0.0, (now - received).total_seconds()), 1)
    down = PartStatus.DOWN in (database.status, ami.status)
    if down:
        response.status_code = 503
    return Health(status="degraded" if down else "ok", database=database, ami=ami, outbox=outbox)


def ami_health(live: OptionalLiveDep) -> AmiHealth:
    if live is None:
        return AmiHealth(status=PartStatus.DOWN, link="live state not running")
    status = live.ami_status()
    link = str(status.get("status", ""))
    if not status.get("configured"):
        return AmiHealth(status=PartStatus.NOT_CONFIGURED, link=link)
    connections = live.link.connections if live.link is not None else 0
    return AmiHealth(
        status=PartStatus.UP if link == "connected" else PartStatus.DOWN,
        link=link,
        detail=str(status.get("error", "")),
        reconnects=max(0, connections - 1),
    )


@router.get("/health/live")
async def liveness() -> Liveness:
    """200 while this process serves requests (no database or AMI round trip)."""
    return Liveness()

"""Liveness with a database round trip, for load balancers and readiness waits (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.db import database_answers
from api.deps import SessionDep
from api.schemas.health import Health

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"model": Health, "description": "the database is unreachable"}})
async def health(session: SessionDep, response: Response) -> Health:
    """200 when the API can query its database, 503 when it cannot."""
    if not await database_answers(session, timeout_s=5.0):
        response.status_code = 503
        return Health(status="degraded", database="unreachable")
    return Health(status="ok", database="ok")

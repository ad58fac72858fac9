"""Liveness with a database round trip, for load balancers and readiness waits (no token needed)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.db import SessionDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"model": Health, "description": "the database is unreachable"}})
async def health(session: SessionDep, response: Response) -> Health:
    """200 when the API can query its database, 503 when it cannot."""
    try:
        await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=5.0)
    except (SQLAlchemyError, OSError, TimeoutError):
        response.status_code = 503
        return Health(status="degraded", database="unreachable")
    return Health(status="ok", database="ok")

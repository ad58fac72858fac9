"""The few cheap queries /metrics runs at each scrape, keyword-only.

Rules:
- Every figure is read from PostgreSQL at scrape time, so every API process reports the same numbers whoever
  received the records (no counter lives in one process's memory).
- Each query is bounded by an index or a small table: calls by outcome come from the hourly rollup (api/crud/
  rollups.py), not from `calls`; open requests use ix_requests_status_due_at; the newest call is the highest id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Call, RequestRow, call_hourly
from api.request_rules import OPEN_STATUSES


@dataclass(frozen=True)
class RequestDeadlines:
    type_key: str
    open: int
    due_soon: int  # open, due from now until the due-soon cutoff
    overdue: int  # open, due before now


async def calls_by_outcome(session: AsyncSession) -> dict[str, int]:
    """Calls stored, by outcome, all time (the rollup is kept by triggers on `calls`)."""
    rows = await session.execute(
        select(call_hourly.c.outcome, func.sum(call_hourly.c.calls)).group_by(call_hourly.c.outcome)
    )
    return {outcome: int(calls) for outcome, calls in rows}


async def request_deadlines(
    session: AsyncSession, *, now: datetime, due_soon_before: datetime
) -> list[RequestDeadlines]:
    """Open requests by type: how many, how many due soon, how many overdue."""
    overdue = RequestRow.due_at < now
    due_soon = (RequestRow.due_at >= now) & (RequestRow.due_at < due_soon_before)
    rows = await session.execute(
        select(
            RequestRow.type_key,
            func.count(),
            func.count().filter(due_soon),
            func.count().filter(overdue),
        )
        .where(RequestRow.status.in_([status.value for status in OPEN_STATUSES]))
        .group_by(RequestRow.type_key)
        .order_by(RequestRow.type_key)
    )
    return [RequestDeadlines(type_key, int(total), int(soon), int(late)) for type_key, total, soon, late in rows]


async def newest_call_received_at(session: AsyncSession) -> datetime | None:
    """When the call stored last was first received (None before the first call)."""
    received: datetime | None = await session.scalar(select(Call.received_at).order_by(Call.id.desc()).limit(1))
    return received

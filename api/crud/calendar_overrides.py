"""Calendar overrides and the configuration generation in PostgreSQL: keyword-only functions, each given its session.

Rules: removing an override marks it removed (who, when) and keeps the row; listing returns the active ones,
oldest first, so the merged calendar is the same on every process. `in_force` is what request deadlines count
(api.request_config.RequestConfig.with_overrides), as the agi processes count it for call routing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.operations_models import CalendarOverrideRow, ConfigGeneration
from callcenter.config import Closure
from callcenter.overrides import CalendarOverrides


def calendar_of(rows: list[CalendarOverrideRow], generation: int) -> CalendarOverrides:
    """The active rows as the core's CalendarOverrides (a holiday row: every day from first to last)."""
    closures = tuple(
        Closure(start=row.first_day, end=row.last_day if row.last_day != row.first_day else None, reason=row.reason)
        for row in rows
        if row.kind == "closure"
    )
    holidays: dict[int, dict[str, list[date]]] = {}
    for row in rows:
        if row.kind == "holiday" and row.holiday_year is not None:
            span = (row.last_day - row.first_day).days
            holidays.setdefault(row.holiday_year, {})[row.reason] = [
                row.first_day + timedelta(days=offset) for offset in range(span + 1)
            ]
    return CalendarOverrides(closures=closures, holiday_overrides=holidays, generation=generation)


async def in_force(session: AsyncSession) -> CalendarOverrides:
    """The active closures and holiday dates (generation 0: deadlines do not need it)."""
    return calendar_of(await list_active(session), 0)


async def list_active(session: AsyncSession) -> list[CalendarOverrideRow]:
    query = select(CalendarOverrideRow).where(CalendarOverrideRow.removed_at.is_(None))
    return list((await session.scalars(query.order_by(CalendarOverrideRow.id))).all())


async def add(
    session: AsyncSession,
    *,
    kind: str,
    first_day: date,
    last_day: date,
    reason: str,
    holiday_year: int | None,
    actor: str,
    now: datetime,
) -> CalendarOverrideRow:
    row = CalendarOverrideRow(
        kind=kind,
        first_day=first_day,
        last_day=last_day,
        reason=reason,
        holiday_year=holiday_year,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    await session.commit()
    return row


async def remove(session: AsyncSession, *, override_id: int, actor: str, now: datetime) -> CalendarOverrideRow | None:
    """Mark an active override removed; None when there is no such active override."""
    row = await session.get(CalendarOverrideRow, override_id)
    if row is None or row.removed_at is not None:
        return None
    row.removed_by, row.removed_at = actor, now
    await session.commit()
    return row


async def generation(session: AsyncSession) -> int:
    value = await session.scalar(select(ConfigGeneration.generation).where(ConfigGeneration.id == 1))
    return int(value or 0)


async def bump_generation(session: AsyncSession, *, actor: str, now: datetime) -> int:
    statement = (
        update(ConfigGeneration)
        .where(ConfigGeneration.id == 1)
        .values(generation=ConfigGeneration.generation + 1, changed_by=actor, changed_at=now)
        .returning(ConfigGeneration.generation)
    )
    value = (await session.execute(statement)).scalar_one()
    await session.commit()
    return int(value)

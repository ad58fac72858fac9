"""The supervisors' summary of calls (offered, answered, abandoned, ASA, AHT, service level), read from the
hourly rollups when they answer exactly (api/crud/rollups.py), else from the calls themselves."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud import rollups
from api.crud.calls import CallFilters
from api.models import Call
from api.schemas.reports import GroupBy, SummaryRow
from callcenter.records import Outcome


def _raw_summary_query(
    *, filters: CallFilters, group_by: GroupBy, timezone: str, threshold_seconds: float
) -> Select[tuple[object, ...]]:
    local_start = func.timezone(timezone, Call.started_at)  # timestamptz -> local wall-clock timestamp
    keys: dict[GroupBy, ColumnElement[str]] = {
        GroupBy.NONE: literal("all"),
        GroupBy.LANGUAGE: func.coalesce(Call.language, ""),
        GroupBy.QUEUE: func.coalesce(Call.queue, ""),
        GroupBy.HOUR: func.to_char(local_start, 'YYYY-MM-DD"T"HH24:00'),
        GroupBy.DAY: func.to_char(local_start, "YYYY-MM-DD"),
    }
    # Group in an inner query by a named column, so PostgreSQL sees one expression (the timezone bind
    # parameter would otherwise appear twice, as two different parameters, in SELECT and GROUP BY).
    inner = (
        select(keys[group_by].label("key"), Call.outcome, Call.wait_seconds, Call.talk_seconds)
        .where(*filters.where())
        .subquery()
    )
    is_answered = inner.c.outcome == Outcome.ANSWERED.value

    def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count().filter(condition)

    within = and_(is_answered, inner.c.wait_seconds <= threshold_seconds)
    queue_offered = or_(is_answered, inner.c.outcome == Outcome.ABANDONED_QUEUE.value)
    query = (
        select(
            inner.c.key,
            func.count().label("offered"),
            count_where(is_answered).label("answered"),
            count_where(inner.c.outcome == Outcome.ABANDONED_IVR.value).label("abandoned_ivr"),
            count_where(inner.c.outcome == Outcome.ABANDONED_QUEUE.value).label("abandoned_queue"),
            count_where(queue_offered).label("offered_to_queue"),
            count_where(within).label("within"),
            func.avg(case((is_answered, inner.c.wait_seconds))).label("asa"),
            func.avg(case((is_answered, inner.c.talk_seconds))).label("aht"),
        )
        .group_by(inner.c.key)
        .order_by(inner.c.key)
    )
    return query


async def summary(
    session: AsyncSession,
    *,
    filters: CallFilters,
    group_by: GroupBy,
    timezone: str,
    threshold_seconds: float,
    use_rollups: bool = True,
) -> list[SummaryRow]:
    """Read from the hourly rollups when they answer exactly, else from the calls."""
    query = None
    if use_rollups and filters.outcome is None and filters.caller is None:
        query = rollups.summary_query(
            period_from=filters.period_from,
            period_to=filters.period_to,
            language=filters.language,
            queue=filters.queue,
            group_by=group_by,
            timezone=timezone,
            threshold_seconds=threshold_seconds,
        )
    if query is None:
        query = _raw_summary_query(
            filters=filters, group_by=group_by, timezone=timezone, threshold_seconds=threshold_seconds
        )
    rows: list[SummaryRow] = []
    for row in await session.execute(query):
        rows.append(
            SummaryRow(
                key=row.key,
                offered=row.offered,
                answered=row.answered,
                abandoned=row.abandoned_ivr + row.abandoned_queue,
                abandoned_ivr=row.abandoned_ivr,
                abandoned_queue=row.abandoned_queue,
                offered_to_queue=row.offered_to_queue,
                answered_within_threshold=row.within,
                asa_seconds=None if row.asa is None else round(float(row.asa), 3),
                aht_seconds=None if row.aht is None else round(float(row.aht), 3),
                service_level_percent=(
                    round(100.0 * row.within / row.offered_to_queue, 2) if row.offered_to_queue else None
                ),
            )
        )
    return rows

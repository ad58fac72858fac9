"""Hourly rollups of the calls table, for reports over long periods.

Rules:
- `call_hourly` holds, per UTC hour x language x queue x outcome, the counts and sums the summary report needs;
  PostgreSQL triggers on `calls` keep it right on every insert, merge (update), delete and truncate (migration
  0004), so the API code that stores calls does not know it exists.
- A summary is read from the rollups only when they answer it exactly: period bounds on the hour (UTC), a
  service-level threshold among ROLLUP_THRESHOLDS_S, no language or queue filter of "" (which the raw query
  treats differently from NULL), and for hour/day grouping a timezone whose offsets at the bounds are whole
  hours (then every call of a UTC hour falls in one local hour). Otherwise `summary_query` returns None and
  the caller reads the calls themselves: same answer, slower.
- The query returns the same columns as the raw summary (key, offered, answered, ...), so one piece of code
  turns either into SummaryRow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Select, case, func, literal, or_, select

from api.models import ROLLUP_THRESHOLDS_S, call_hourly
from api.schemas.reports import GroupBy
from callcenter.records import Outcome


def _on_the_hour(instant: datetime) -> bool:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0) == instant


def _whole_hour_offsets(timezone: str, *instants: datetime | None) -> bool:
    zone = ZoneInfo(timezone)
    now = datetime.now(UTC)
    for instant in instants:
        offset = (instant or now).astimezone(zone).utcoffset() or timedelta(0)
        if offset.total_seconds() % 3600:
            return False
    return True


def summary_query(
    *,
    period_from: datetime | None,
    period_to: datetime | None,
    language: str | None,
    queue: str | None,
    group_by: GroupBy,
    timezone: str,
    threshold_seconds: float,
) -> Select[tuple[object, ...]] | None:
    """The summary read from the rollups, or None when they cannot answer it exactly (see the rules)."""
    if threshold_seconds not in ROLLUP_THRESHOLDS_S or language == "" or queue == "":
        return None
    if any(bound is not None and not _on_the_hour(bound) for bound in (period_from, period_to)):
        return None
    if group_by in {GroupBy.HOUR, GroupBy.DAY} and not _whole_hour_offsets(timezone, period_from, period_to):
        return None
    rollup = call_hourly.c
    local_hour = func.timezone(timezone, rollup.hour)
    keys: dict[GroupBy, ColumnElement[str]] = {
        GroupBy.NONE: literal("all"),
        GroupBy.LANGUAGE: rollup.language,
        GroupBy.QUEUE: rollup.queue,
        GroupBy.HOUR: func.to_char(local_hour, 'YYYY-MM-DD"T"HH24:00'),
        GroupBy.DAY: func.to_char(local_hour, "YYYY-MM-DD"),
    }
    conditions: list[ColumnElement[bool]] = []
    if period_from is not None:
        conditions.append(rollup.hour >= period_from)
    if period_to is not None:
        conditions.append(rollup.hour < period_to)
    if language is not None:
        conditions.append(rollup.language == language)
    if queue is not None:
        conditions.append(rollup.queue == queue)
    within = rollup[f"within_{int(threshold_seconds)}s"]
    inner = (
        select(
            keys[group_by].label("key"),
            rollup.outcome,
            rollup.calls,
            rollup.wait_sum,
            rollup.wait_count,
            rollup.talk_sum,
            rollup.talk_count,
            within.label("within"),
        )
        .where(*conditions)
        .subquery()
    )
    is_answered = inner.c.outcome == Outcome.ANSWERED.value

    def total(column: ColumnElement[object], where: ColumnElement[bool] | None = None) -> ColumnElement[object]:
        summed = func.sum(column if where is None else case((where, column), else_=0))
        return func.coalesce(summed, 0)

    def count(where: ColumnElement[bool] | None = None) -> ColumnElement[int]:
        return total(inner.c.calls, where).cast(BigInteger)

    def mean(sums: ColumnElement[object], counts: ColumnElement[object]) -> ColumnElement[object]:
        return total(sums, is_answered) / func.nullif(total(counts, is_answered), 0)

    queue_offered = or_(is_answered, inner.c.outcome == Outcome.ABANDONED_QUEUE.value)
    return (
        select(
            inner.c.key,
            count().label("offered"),
            count(is_answered).label("answered"),
            count(inner.c.outcome == Outcome.ABANDONED_IVR.value).label("abandoned_ivr"),
            count(inner.c.outcome == Outcome.ABANDONED_QUEUE.value).label("abandoned_queue"),
            count(queue_offered).label("offered_to_queue"),
            total(inner.c.within, is_answered).cast(BigInteger).label("within"),
            mean(inner.c.wait_sum, inner.c.wait_count).label("asa"),
            mean(inner.c.talk_sum, inner.c.talk_count).label("aht"),
        )
        .group_by(inner.c.key)
        .having(func.sum(inner.c.calls) > 0)  # hours whose calls were all deleted or moved leave zero rows
        .order_by(inner.c.key)
    )

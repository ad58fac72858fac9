"""The ministry's report: calls, requests and satisfaction per period, language, request type or service tag.

Rules:
- Two grouped queries (calls by started_at, requests by created_at) over the same period and filters, merged by
  group key in Python; local days/weeks/months are in the call center's timezone.
- A call's service tag comes from the number it dialed (`service_lines`: each consular post may have its own
  line), a request's from its `service` field (set from the same map for voicemails, by agents or the portal).
- Callbacks = calls of the group that booked a callback (callbacks table, by linkedid) or ended as one.
- Service level = answered within the threshold / calls offered to a queue (answered + abandoned in queue).
- "On time" = answered (first answer) no later than the deadline; "overdue" = still open past its deadline at
  `now`; "late" = answered after the deadline.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.calls import in_period, matching
from api.models import Call, CallbackRow, RequestRow
from api.request_rules import OPEN_STATUSES
from api.schemas.reports import Report, ReportGroup, ReportRow
from callcenter.records import Outcome

CSV_COLUMNS = list(ReportRow.model_fields)


@dataclass(frozen=True)
class ReportFilters:
    period_from: datetime | None = None
    period_to: datetime | None = None
    language: str | None = None
    request_type: int | None = None
    service: str | None = None


def _period_key(instant: Any, group: ReportGroup, timezone: str) -> ColumnElement[str]:
    local = func.timezone(timezone, instant)
    formats = {ReportGroup.DAY: "YYYY-MM-DD", ReportGroup.WEEK: 'IYYY-"W"IW', ReportGroup.MONTH: "YYYY-MM"}
    return func.to_char(local, formats[group])


def call_service(service_lines: Mapping[str, str]) -> ColumnElement[str]:
    if not service_lines:
        return func.coalesce(Call.dialed_number, "")
    return case(
        *((Call.dialed_number == number, literal(tag)) for number, tag in service_lines.items()),
        else_=func.coalesce(Call.dialed_number, ""),
    )


def _call_key(group: ReportGroup, timezone: str, service: ColumnElement[str]) -> ColumnElement[str]:
    if group in (ReportGroup.DAY, ReportGroup.WEEK, ReportGroup.MONTH):
        return _period_key(Call.started_at, group, timezone)
    keys: dict[ReportGroup, ColumnElement[str]] = {
        ReportGroup.NONE: literal("all"),
        ReportGroup.LANGUAGE: func.coalesce(Call.language, ""),
        ReportGroup.REQUEST_TYPE: func.coalesce(cast(Call.request_type, String), ""),
        ReportGroup.SERVICE: service,
    }
    return keys[group]


def _request_key(group: ReportGroup, timezone: str) -> ColumnElement[str]:
    if group in (ReportGroup.DAY, ReportGroup.WEEK, ReportGroup.MONTH):
        return _period_key(RequestRow.created_at, group, timezone)
    keys: dict[ReportGroup, ColumnElement[str]] = {
        ReportGroup.NONE: literal("all"),
        ReportGroup.LANGUAGE: func.coalesce(RequestRow.language, ""),
        ReportGroup.REQUEST_TYPE: cast(RequestRow.request_type, String),
        ReportGroup.SERVICE: func.coalesce(RequestRow.service, ""),
    }
    return keys[group]


async def build_report(
    session: AsyncSession,
    *,
    filters: ReportFilters,
    group_by: ReportGroup,
    timezone: str,
    threshold_seconds: float,
    service_lines: Mapping[str, str],
    now: datetime,
) -> Report:
    rows: dict[str, ReportRow] = {}

    def row(key: str) -> ReportRow:
        return rows.setdefault(key, ReportRow(key=key))

    service = call_service(service_lines)
    call_where = in_period(Call.started_at, filters.period_from, filters.period_to) + matching(
        (Call.language, filters.language), (Call.request_type, filters.request_type), (service, filters.service)
    )
    # Group in an inner query by a named column (a bound timezone would otherwise be two different parameters).
    calls = (
        select(
            _call_key(group_by, timezone, service).label("key"),
            Call.outcome,
            Call.wait_seconds,
            Call.survey_rating,
            # a callback booked from this call (issue 6's callbacks table), or a record saying so
            or_(
                Call.outcome == Outcome.CALLBACK.value,
                exists().where(CallbackRow.linkedid == Call.linkedid, CallbackRow.linkedid != ""),
            ).label("callback"),
        )
        .where(*call_where)
        .subquery()
    )
    answered = calls.c.outcome == Outcome.ANSWERED.value
    abandoned = calls.c.outcome.in_([Outcome.ABANDONED_IVR.value, Outcome.ABANDONED_QUEUE.value])
    to_queue = or_(answered, calls.c.outcome == Outcome.ABANDONED_QUEUE.value)
    call_query = select(
        calls.c.key,
        func.count().label("offered"),
        func.count().filter(answered).label("answered"),
        func.count().filter(abandoned).label("abandoned"),
        func.count().filter(to_queue).label("to_queue"),
        func.count().filter(and_(answered, calls.c.wait_seconds <= threshold_seconds)).label("within"),
        func.count().filter(calls.c.callback).label("callbacks"),
        func.count().filter(calls.c.outcome == Outcome.VOICEMAIL.value).label("voicemails"),
        func.count(calls.c.survey_rating).label("surveys"),
        func.avg(calls.c.survey_rating).label("satisfaction"),
    ).group_by(calls.c.key)
    for found in await session.execute(call_query):
        target = row(found.key)
        target.calls_offered = found.offered
        target.calls_answered = found.answered
        target.calls_abandoned = found.abandoned
        target.service_level_percent = round(100.0 * found.within / found.to_queue, 2) if found.to_queue else None
        target.callbacks = found.callbacks
        target.voicemails = found.voicemails
        target.surveys = found.surveys
        target.satisfaction_average = None if found.satisfaction is None else round(float(found.satisfaction), 2)

    request_where = [
        RequestRow.source != "correction",
        *in_period(RequestRow.created_at, filters.period_from, filters.period_to),
        *matching(
            (RequestRow.language, filters.language),
            (RequestRow.request_type, filters.request_type),
            (RequestRow.service, filters.service),
        ),
    ]
    requests = (
        select(
            _request_key(group_by, timezone).label("key"),
            RequestRow.status,
            RequestRow.due_at,
            RequestRow.answered_at,
        )
        .where(*request_where)
        .subquery()
    )
    is_open = requests.c.status.in_([status.value for status in OPEN_STATUSES])
    request_query = select(
        requests.c.key,
        func.count().label("opened"),
        func.count().filter(requests.c.answered_at <= requests.c.due_at).label("on_time"),
        func.count().filter(requests.c.answered_at > requests.c.due_at).label("late"),
        func.count().filter(and_(is_open, requests.c.due_at < now)).label("overdue"),
    ).group_by(requests.c.key)
    for found in await session.execute(request_query):
        target = row(found.key)
        target.requests_opened = found.opened
        target.requests_answered_on_time = found.on_time
        target.requests_answered_late = found.late
        target.requests_overdue = found.overdue

    return Report(
        group_by=group_by,
        timezone=timezone,
        threshold_seconds=threshold_seconds,
        period_from=filters.period_from,
        period_to=filters.period_to,
        generated_at=now,
        rows=[rows[key] for key in sorted(rows)],
    )


def report_csv(report: Report) -> str:
    """One header line and one line per group; empty cells for figures that do not apply (no calls)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        values = row.model_dump()
        writer.writerow(["" if values[column] is None else _safe_cell(values[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _safe_cell(value: object) -> object:
    # A key typed by someone (a service tag) must not become a formula in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

"""Dashboards, CSV export and Open311 views of the complaint workflow: pure functions of rows already read.

Rules:
- A dashboard covers the requests created within its period, in the departments it may see.
- Overdue: an open stage whose clock has run out; at risk: not yet, but within `at_risk_days` working days.
- Time per stage: from entering a stage to leaving it, read from the history; a stage not yet left counts up to
  now. The median is per stage, in hours of wall-clock time.
- Trends: per ISO week (Monday, in the call center's zone), requests received and requests closed.
- Open311 GeoReport v2 shows no personal data: no description, contact, number or answer text; `status_notes`
  is the stage, `service_notice` the category's deadline.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from api.models import RequestRow
from api.schemas.complaints import ComplaintPublic, Count, Dashboard, Open311Request, StageTime, TrendPoint
from api.workflow_models import WorkflowEvent
from callcenter.departments import Complaints
from callcenter.workflow import FINAL_STAGES, DepartmentCalendars, Stage, at_risk

CSV_COLUMNS = ("reference", "created_at", "channel", "language", "category", "department", "district", "stage",
               "assignee", "stage_due_at", "answer_due_at", "closed_at", "overdue", "satisfaction")  # fmt: skip


def public(
    request: RequestRow, complaints: Complaints, calendars: DepartmentCalendars, now: datetime
) -> ComplaintPublic:
    shown = ComplaintPublic.model_validate(request)
    open_stage = request.stage is not None and Stage(request.stage) not in FINAL_STAGES
    due = request.stage_due_at
    shown.overdue = open_stage and due is not None and due <= now
    calendar = calendars.of(request.department)
    shown.at_risk = open_stage and at_risk(calendar, due, now, complaints.at_risk_days)
    return shown


def _counts(values: Sequence[str]) -> list[Count]:
    return [Count(key=key, count=n) for key, n in sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))]


def stage_durations(events: Sequence[WorkflowEvent], now: datetime) -> dict[str, list[float]]:
    """Hours spent in each stage, per visit, from the history (events in id order)."""
    by_request: dict[int, list[WorkflowEvent]] = defaultdict(list)
    for event in events:
        by_request[event.request_id].append(event)
    hours: dict[str, list[float]] = defaultdict(list)
    for trail in by_request.values():
        for entered, left in zip(trail, [*trail[1:], None], strict=True):
            if entered.to_stage in FINAL_STAGES or (left is not None and left.to_stage == entered.to_stage):
                continue  # a final stage has no duration; a rating or a re-take stays in the same stage
            end = left.at if left is not None else now
            hours[entered.to_stage].append((end - entered.at).total_seconds() / 3600)
    return hours


def dashboard(
    rows: Sequence[RequestRow],
    events: Sequence[WorkflowEvent],
    *,
    complaints: Complaints,
    calendars: DepartmentCalendars,
    period_from: datetime,
    period_to: datetime,
    now: datetime,
    tz: ZoneInfo,
) -> Dashboard:
    shown = [public(row, complaints, calendars, now) for row in rows]
    durations = stage_durations(events, now)
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        weeks[_week(row.created_at, tz)][0] += 1
        if row.closed_at is not None:
            weeks[_week(row.closed_at, tz)][1] += 1
    ratings = [row.satisfaction for row in rows if row.satisfaction is not None]
    return Dashboard(
        period_from=period_from,
        period_to=period_to,
        total=len(rows),
        open=sum(1 for row in shown if row.stage not in FINAL_STAGES),
        overdue=sum(1 for row in shown if row.overdue),
        at_risk=sum(1 for row in shown if row.at_risk),
        by_category=_counts([row.category or "" for row in rows]),
        by_department=_counts([row.department or "" for row in rows]),
        by_district=_counts([row.district for row in rows]),
        by_stage=_counts([row.stage or "" for row in rows]),
        by_channel=_counts([row.channel for row in rows]),
        median_hours_per_stage=[
            StageTime(stage=stage, median_hours=round(statistics.median(values), 2), samples=len(values))
            for stage, values in sorted(durations.items())
        ],
        trend=[TrendPoint(week=week, received=n[0], closed=n[1]) for week, n in sorted(weeks.items())],
        satisfaction_average=round(statistics.fmean(ratings), 2) if ratings else None,
        satisfaction_count=len(ratings),
    )


def _week(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz).date()
    return (local - timedelta(days=local.weekday())).isoformat()


def export_csv(items: Sequence[ComplaintPublic]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        values = item.model_dump(mode="json")
        writer.writerow(["" if values[column] is None else _safe(str(values[column])) for column in CSV_COLUMNS])
    return out.getvalue()


def _safe(cell: str) -> str:
    # a cell starting with = + - @ is a formula to a spreadsheet (CSV injection): quote it as text
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def open311_request(request: RequestRow, complaints: Complaints, language: str) -> Open311Request:
    category = complaints.category(request.category) if request.category else None
    department = complaints.department(request.department) if request.department else None
    stage = Stage(request.stage or Stage.RECEIVED)
    return Open311Request(
        service_request_id=request.reference,
        status="closed" if stage in FINAL_STAGES else "open",
        status_notes=stage.value,
        service_name=_label(category.names, language) if category else None,
        service_code=(category.service_code or category.key) if category else None,
        agency_responsible=_label(department.names, language) if department else None,
        service_notice=f"{category.deadline_days} working days" if category else None,
        requested_datetime=request.created_at,
        updated_datetime=request.updated_at,
        expected_datetime=request.answer_due_at,
        address=request.district or None,
    )


def _label(names: dict[str, str], language: str) -> str:
    return names.get(language) or next(iter(names.values()))

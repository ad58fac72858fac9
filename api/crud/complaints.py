"""Database operations of the complaint workflow, keyword-only, each given its session and the current time.

Rules:
- A transition is decided by the pure core (callcenter.workflow.decide) on the row as read, then written with
  its history row in one transaction, guarded by the stage read (UPDATE ... WHERE stage = <read>): two people
  acting on the same request at once cannot both win; the loser gets a conflict, as if they had acted second.
- The history (workflow_history) is append-only in PostgreSQL (migration 0014).
- The request's status follows its stage (callcenter.workflow.STATUS_OF_STAGE), so the IVR and the portal
  tell the caller what the workflow says.
- The recorders (RequestConfig.record_transition: the citizen's notifications) write in the transition's own
  transaction, before its commit; `on_transition` hooks and the recorders' delivery run after it (api.complaints).
- The dashboards' chart series are counted in SQL: weeks are Mondays in the call center's zone (as
  api.complaint_reports' trend), every week of the period and every rating 1-5 listed, zeros included; overdue
  means open (not a final stage) with its stage deadline passed at `now`, as api.complaint_reports.public says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, DateTime, and_, cast, func, literal, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.complaints import ROUTING, answer_due, event_of, record_hooks, run_hooks
from api.models import RequestRow
from api.request_config import RequestConfig
from api.workflow_models import WorkflowEvent
from callcenter.departments import Complaints
from callcenter.workflow import (
    FINAL_STAGES,
    STATUS_OF_STAGE,
    Action,
    Actor,
    Move,
    RefusalKind,
    Refused,
    Stage,
    State,
    Step,
)
from callcenter.workflow import decide as decide_step
from callcenter.workflow import stage_due as stage_due_at


@dataclass(frozen=True)
class Filters:
    stages: Sequence[Stage] = ()
    departments: frozenset[str] | None = None  # None: any
    category: str | None = None
    assignee: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def record_entry(session: AsyncSession, *, request_id: int, values: dict[str, Any], now: datetime) -> None:
    """The history row of a request entering the workflow, in the transaction that creates it."""
    stage = Stage(values["stage"])
    session.add(
        WorkflowEvent(
            request_id=request_id, reference=values["reference"], at=now, actor=ROUTING, capacity=ROUTING,
            action="route" if stage is Stage.ASSIGNED else "receive", from_stage=None, to_stage=stage.value,
            department=values["department"], assignee=None,
            comment=f"category {values['category']}" if values["category"] else "",
        )
    )  # fmt: skip


def state_of(request: RequestRow) -> State:
    return State(
        stage=Stage(request.stage or Stage.RECEIVED),
        department=request.department,
        assignee=request.assignee,
        closed_at=request.closed_at,
        reference=request.reference,
    )


async def transition(
    session: AsyncSession,
    *,
    config: RequestConfig,
    request: RequestRow,
    move: Move,
    actor: Actor,
    now: datetime,
    category: str | None = None,
    district: str | None = None,
) -> Step:
    """Decide and record one move with what its recorders write, in one transaction (Refused when the core or the
    stage guard says no; a recorder's error rolls it all back and is raised); then run the hooks."""
    complaints = config.callcenter.complaints
    if complaints is None or request.stage is None:
        raise Refused(RefusalKind.CONFLICT, "this request is not in the complaint workflow")
    step = decide_step(complaints, state_of(request), move, actor, now=now)
    if move.action is Action.DUPLICATE and not await _exists(session, reference=move.duplicate_of or ""):
        raise Refused(RefusalKind.INVALID, f"no request {move.duplicate_of!r} to be a duplicate of")
    values = _values(config, complaints, request, step, move, now=now, category=category, district=district)
    changed = await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request.id, RequestRow.stage == request.stage)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        await session.rollback()
        raise Refused(RefusalKind.CONFLICT, "the request moved on meanwhile; reload it")
    session.add(
        WorkflowEvent(
            request_id=request.id, reference=request.reference, at=now, actor=step.actor,
            capacity=step.capacity.value, action=step.action.value, from_stage=step.source.value,
            to_stage=step.target.value, department=step.department, assignee=step.assignee, comment=step.comment,
        )
    )  # fmt: skip
    await session.flush()
    await session.refresh(request)  # the row as moved, read inside the transaction
    event = event_of(request, step.action, step.source, step.actor, step.comment, now)
    try:
        later = await record_hooks(config.record_transition, session, event)
    except Exception:
        await session.rollback()
        raise
    await session.commit()
    await run_hooks(config.on_transition, event, later)
    return step


def _values(
    config: RequestConfig,
    complaints: Complaints,
    request: RequestRow,
    step: Step,
    move: Move,
    *,
    now: datetime,
    category: str | None,
    district: str | None,
) -> dict[str, Any]:
    if category is not None and complaints.category(category) is None:
        raise Refused(RefusalKind.INVALID, f"{category!r} is not a category")
    calendar = config.department_calendars.of(step.department)
    values: dict[str, Any] = {
        "stage": step.target.value,
        "department": step.department,
        "assignee": step.assignee,
        "status": STATUS_OF_STAGE[step.target].value,
        "stage_since": now,
        "stage_due_at": stage_due_at(complaints, calendar, step.target, now),
        "updated_at": now,
    }
    if step.action is Action.ROUTE:
        chosen = category or request.category
        values["category"] = chosen
        if request.answer_due_at is None or chosen != request.category:
            values["answer_due_at"] = answer_due(
                complaints, config.department_calendars, chosen, step.department, request.created_at
            )
    if district is not None and step.action is Action.ROUTE:
        values["district"] = district
    if step.action is Action.PROPOSE:
        values["answer"] = step.comment
    if step.target is Stage.ANSWER_APPROVED and request.answered_at is None:
        values["answered_at"] = now
    if step.action is Action.DUPLICATE:
        values["duplicate_of"] = move.duplicate_of
    if STATUS_OF_STAGE[step.target].value == "closed":
        values["closed_at"] = now
    if step.action is Action.REOPEN:
        values["closed_at"] = None
        values["satisfaction"] = None
    return values


async def _exists(session: AsyncSession, *, reference: str) -> bool:
    if not (reference.isascii() and reference.isdigit() and len(reference) <= 12):
        return False
    return (await session.scalar(select(RequestRow.id).where(RequestRow.reference == reference))) is not None


async def history(session: AsyncSession, *, request: RequestRow) -> list[WorkflowEvent]:
    query = (
        select(WorkflowEvent)
        .where(WorkflowEvent.request_id == request.id, WorkflowEvent.reference == request.reference)
        .order_by(WorkflowEvent.id)
    )
    return list((await session.scalars(query)).all())


async def histories(session: AsyncSession, *, requests: Sequence[RequestRow]) -> list[WorkflowEvent]:
    """The history rows of these requests (for the time spent in each stage)."""
    if not requests:
        return []
    ids = [request.id for request in requests]
    references = {request.id: request.reference for request in requests}
    query = select(WorkflowEvent).where(WorkflowEvent.request_id.in_(ids)).order_by(WorkflowEvent.id)
    return [event for event in (await session.scalars(query)).all() if references[event.request_id] == event.reference]


async def list_workflow(session: AsyncSession, *, filters: Filters, limit: int) -> list[RequestRow]:
    """Requests in the workflow, by stage deadline (the most urgent first)."""
    query = select(RequestRow).where(*_matching(filters))
    query = query.order_by(RequestRow.stage_due_at.asc().nulls_last(), RequestRow.id).limit(limit)
    return list((await session.scalars(query)).all())


def _matching(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [RequestRow.stage.is_not(None)]
    if filters.stages:
        conditions.append(RequestRow.stage.in_([stage.value for stage in filters.stages]))
    if filters.departments is not None:
        conditions.append(RequestRow.department.in_(sorted(filters.departments)))
    if filters.category is not None:
        conditions.append(RequestRow.category == filters.category)
    if filters.assignee is not None:
        conditions.append(RequestRow.assignee == filters.assignee)
    if filters.since is not None:
        conditions.append(RequestRow.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(RequestRow.created_at < filters.until)
    return conditions


MOST_WEEKS = 1000  # a period of decades lists its first 1,000 weeks (about 19 years), not an unbounded series


async def weekly_counts(
    session: AsyncSession, *, filters: Filters, since: datetime, until: datetime, timezone: str, now: datetime
) -> list[tuple[date, int, int]]:
    """(week's Monday, received, of them overdue now) for every week of [since, until), empty weeks included."""
    if until <= since:
        return []

    def monday(instant: Any) -> ColumnElement[datetime]:
        return func.date_trunc("week", func.timezone(timezone, instant))

    def instant(value: datetime) -> ColumnElement[datetime]:
        return literal(value, DateTime(timezone=True))

    overdue = and_(RequestRow.stage.not_in([stage.value for stage in FINAL_STAGES]), RequestRow.stage_due_at <= now)
    week = monday(RequestRow.created_at)
    counted = (
        select(week.label("week"), func.count().label("received"), func.count().filter(overdue).label("overdue"))
        .where(*_matching(filters))
        .group_by(week)
        .subquery()
    )
    last = until - timedelta(microseconds=1)  # the period's end is exclusive
    series = func.generate_series(monday(instant(since)), monday(instant(last)), literal_column("interval '1 week'"))
    weeks = select(series.label("week")).subquery()
    query = (
        select(cast(weeks.c.week, Date), func.coalesce(counted.c.received, 0), func.coalesce(counted.c.overdue, 0))
        .select_from(weeks.outerjoin(counted, weeks.c.week == counted.c.week))
        .order_by(weeks.c.week)
        .limit(MOST_WEEKS)
    )
    return [(row[0], row[1], row[2]) for row in (await session.execute(query)).all()]


async def rating_counts(session: AsyncSession, *, filters: Filters) -> list[tuple[int, int]]:
    """(rating, how many requests were rated so) for each rating 1 to 5, zeros included."""
    counted = (
        select(RequestRow.satisfaction.label("rating"), func.count().label("n"))
        .where(*_matching(filters), RequestRow.satisfaction.between(1, 5))
        .group_by(RequestRow.satisfaction)
        .subquery()
    )
    ratings = select(func.generate_series(1, 5).label("rating")).subquery()
    query = (
        select(ratings.c.rating, func.coalesce(counted.c.n, 0))
        .select_from(ratings.outerjoin(counted, ratings.c.rating == counted.c.rating))
        .order_by(ratings.c.rating)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def by_id(session: AsyncSession, *, request_id: int) -> RequestRow | None:
    return await session.scalar(select(RequestRow).where(RequestRow.id == request_id, RequestRow.stage.is_not(None)))

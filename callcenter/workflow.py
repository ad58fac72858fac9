"""The complaint workflow, sans I/O: stages, who may move a request from one to the next, and the stage clocks.

Rules:
- received -> assigned (to a department) -> in_progress (an assignee works it) -> answer_proposed -> answer_approved
  -> closed. Beside that path: sent_back (the department says it is not theirs, with a reason; the desk routes it
  again), rejected (with a reason the citizen is told), duplicate (of another request), passed_outside (to an
  outside body, named in the comment), reopened (by the citizen, or the desk for them, within the period after
  closing; it goes back to the same department).
- `TRANSITIONS` is the whole table: an action, the stages it leaves from, the stage it leads to, who may take
  it, and whether it needs a comment. Nothing else moves a request.
- Who: the desk (triage staff; supervisors and admins act as the desk), the department's head, secretary or
  agent (a head or secretary of a department above counts, see callcenter.departments), the assignee, the
  approvers the department's `approval` names, and the citizen (reopening only). A department's rights hold
  only on requests that are in that department.
- A refusal says why and what kind: FORBIDDEN (the actor may not; 403), CONFLICT (not from this stage; 409),
  INVALID (a reason, an answer, a department or an assignee is missing or unknown; 422).
- Deadlines are working days: a day counts when the department's calendar opens on it; the deadline is the
  close of the n-th working day after the start. Each stage has its own clock (StageDays); time is passed in.
  Closures and public holidays are the call center's calendar's, passed in with it (the file's and those entered
  at run time, merged by the caller: callcenter.overrides.merged); a clock is set when its stage is entered and
  a closure entered later does not move it (api.request_rules).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter
from callcenter.departments import Approval, Complaints, DepartmentRole
from callcenter.requests import RequestStatus


class Stage(enum.StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ANSWER_PROPOSED = "answer_proposed"
    ANSWER_APPROVED = "answer_approved"
    CLOSED = "closed"
    SENT_BACK = "sent_back"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    PASSED_OUTSIDE = "passed_outside"
    REOPENED = "reopened"


class Action(enum.StrEnum):
    ROUTE = "route"  # the desk gives the request to a department
    TAKE = "take"  # a member starts on it (an agent for themselves; head or secretary for any member)
    SEND_BACK = "send_back"  # not ours: back to the desk, with a reason
    PROPOSE = "propose"  # an answer, for approval (or approved at once where the department needs none)
    APPROVE = "approve"
    RETURN = "return"  # the approver sends the answer back to be reworked, with a reason
    CLOSE = "close"  # the approved answer has gone to the citizen
    REJECT = "reject"  # with a reason the citizen is told
    DUPLICATE = "duplicate"
    PASS_OUTSIDE = "pass_outside"  # noqa: S105 (an action's name, not a password)
    REOPEN = "reopen"


class Who(enum.StrEnum):
    DESK = "desk"
    HEAD = "head"
    SECRETARY = "secretary"
    AGENT = "agent"
    ASSIGNEE = "assignee"
    APPROVER = "approver"
    CITIZEN = "citizen"


class RefusalKind(enum.StrEnum):
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID = "invalid"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Stage]
    target: Stage
    who: frozenset[Who]
    needs_comment: bool = False


def _rule(sources: set[Stage], target: Stage, who: set[Who], *, needs_comment: bool = False) -> Rule:
    return Rule(frozenset(sources), target, frozenset(who), needs_comment)


S, W = Stage, Who
_UNDISPATCHED = {S.RECEIVED, S.SENT_BACK}
_MEMBERS = {W.HEAD, W.SECRETARY, W.AGENT}
TRANSITIONS: dict[Action, Rule] = {
    Action.ROUTE: _rule(_UNDISPATCHED, S.ASSIGNED, {W.DESK}),
    Action.TAKE: _rule({S.ASSIGNED, S.REOPENED, S.IN_PROGRESS}, S.IN_PROGRESS, _MEMBERS),
    Action.SEND_BACK: _rule({S.ASSIGNED, S.IN_PROGRESS, S.REOPENED}, S.SENT_BACK, _MEMBERS, needs_comment=True),
    Action.PROPOSE: _rule({S.IN_PROGRESS}, S.ANSWER_PROPOSED, {W.ASSIGNEE, W.HEAD, W.SECRETARY}, needs_comment=True),
    Action.APPROVE: _rule({S.ANSWER_PROPOSED}, S.ANSWER_APPROVED, {W.APPROVER}),
    Action.RETURN: _rule({S.ANSWER_PROPOSED}, S.IN_PROGRESS, {W.APPROVER}, needs_comment=True),
    Action.CLOSE: _rule({S.ANSWER_APPROVED}, S.CLOSED, {W.DESK, W.ASSIGNEE, W.HEAD, W.SECRETARY}),
    Action.REJECT: _rule({*_UNDISPATCHED, S.ASSIGNED}, S.REJECTED, {W.DESK, W.HEAD}, needs_comment=True),
    Action.DUPLICATE: _rule({*_UNDISPATCHED, S.ASSIGNED, S.IN_PROGRESS}, S.DUPLICATE, {W.DESK, W.HEAD, W.SECRETARY}),
    Action.PASS_OUTSIDE: _rule(
        {*_UNDISPATCHED, S.ASSIGNED, S.IN_PROGRESS}, S.PASSED_OUTSIDE, {W.DESK, W.HEAD}, needs_comment=True
    ),
    Action.REOPEN: _rule({S.CLOSED}, S.REOPENED, {W.CITIZEN, W.DESK}, needs_comment=True),
}
FINAL_STAGES = frozenset({S.CLOSED, S.REJECTED, S.DUPLICATE, S.PASSED_OUTSIDE})
AT_THE_DESK = frozenset(_UNDISPATCHED)

# What the IVR and the portal say of a request in each stage (callcenter.requests.RequestStatus).
STATUS_OF_STAGE: dict[Stage, RequestStatus] = {
    S.RECEIVED: RequestStatus.NEW,
    S.ASSIGNED: RequestStatus.NEW,
    S.SENT_BACK: RequestStatus.NEW,
    S.IN_PROGRESS: RequestStatus.IN_PROGRESS,
    S.REOPENED: RequestStatus.IN_PROGRESS,
    S.ANSWER_PROPOSED: RequestStatus.IN_PROGRESS,
    S.ANSWER_APPROVED: RequestStatus.ANSWERED,
    S.CLOSED: RequestStatus.CLOSED,
    S.REJECTED: RequestStatus.CLOSED,
    S.DUPLICATE: RequestStatus.CLOSED,
    S.PASSED_OUTSIDE: RequestStatus.CLOSED,
}


@dataclass(frozen=True)
class Actor:
    """Whoever acts, as the workflow sees them."""

    name: str
    desk: bool = False
    citizen: bool = False
    memberships: Mapping[str, DepartmentRole] = field(default_factory=dict)  # Complaints.memberships(name)


@dataclass(frozen=True)
class State:
    """Where a request stands."""

    stage: Stage
    department: str | None
    assignee: str | None
    closed_at: datetime | None = None
    reference: str = ""


@dataclass(frozen=True)
class Move:
    """What an actor asks for."""

    action: Action
    comment: str = ""
    department: str | None = None  # ROUTE: where to
    assignee: str | None = None  # TAKE: who (default: the actor)
    duplicate_of: str | None = None  # DUPLICATE: the other request's reference


@dataclass(frozen=True)
class Step:
    """A move accepted: the new state, and what the history records."""

    action: Action
    source: Stage
    target: Stage
    department: str | None
    assignee: str | None
    actor: str
    capacity: Who  # in which right the actor took it
    comment: str


class Refused(Exception):
    def __init__(self, kind: RefusalKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def capacities(actor: Actor, state: State, approval: Approval) -> set[Who]:
    """The rights `actor` holds on a request in `state`."""
    held: set[Who] = set()
    if actor.desk:
        held.add(Who.DESK)
    if actor.citizen:
        held.add(Who.CITIZEN)
    role = actor.memberships.get(state.department) if state.department is not None else None
    if role is not None:
        held.add(Who(role.value))
        approvers = {Approval.HEAD: {DepartmentRole.HEAD},
                     Approval.HEAD_OR_SECRETARY: {DepartmentRole.HEAD, DepartmentRole.SECRETARY}}  # fmt: skip
        if role in approvers.get(approval, set()):
            held.add(Who.APPROVER)
        if state.assignee == actor.name:
            held.add(Who.ASSIGNEE)
    return held


def decide(config: Complaints, state: State, move: Move, actor: Actor, *, now: datetime) -> Step:
    """The step `move` makes from `state`, or Refused."""
    rule = TRANSITIONS[move.action]
    department = config.department(state.department) if state.department is not None else None
    approval = department.approval if department is not None else Approval.HEAD_OR_SECRETARY
    held = capacities(actor, state, approval)
    allowed = held & rule.who
    if not allowed:
        raise Refused(RefusalKind.FORBIDDEN, f"{actor.name} may not {move.action.value} this request")
    if state.stage not in rule.sources:
        raise Refused(RefusalKind.CONFLICT, f"a request that is {state.stage.value} cannot be {move.action.value}d")
    comment = move.comment.strip()
    if rule.needs_comment and not comment:
        raise Refused(RefusalKind.INVALID, f"{move.action.value} needs a reason (comment)")
    target, new_department, assignee = rule.target, state.department, state.assignee
    if move.action is Action.ROUTE:
        if move.department is None or config.department(move.department) is None:
            raise Refused(RefusalKind.INVALID, f"route needs a known department, not {move.department!r}")
        new_department, assignee = move.department, None
    elif move.action is Action.TAKE:
        assignee = _assignee(config, state, move, actor, held)
    elif move.action is Action.SEND_BACK:
        new_department, assignee = None, None
    elif move.action is Action.PROPOSE and approval is Approval.NONE:
        target = Stage.ANSWER_APPROVED
    elif move.action is Action.DUPLICATE:
        if not move.duplicate_of or move.duplicate_of == state.reference:
            raise Refused(RefusalKind.INVALID, "duplicate needs the reference of another request")
        comment = f"duplicate of {move.duplicate_of}" + (f": {comment}" if comment else "")
    elif move.action is Action.REOPEN and Who.DESK not in allowed and _reopen_period_over(config, state, now):
        raise Refused(RefusalKind.CONFLICT, f"a request can be reopened for {config.reopen_days} days only")
    capacity = min(allowed, key=list(Who).index)
    if capacity is Who.APPROVER:  # the history says in which role: head or secretary
        capacity = Who(actor.memberships[state.department or ""].value)
    return Step(move.action, state.stage, target, new_department, assignee, actor.name, capacity, comment)


def _reopen_period_over(config: Complaints, state: State, now: datetime) -> bool:
    return state.closed_at is None or now > state.closed_at + timedelta(days=config.reopen_days)


def _assignee(config: Complaints, state: State, move: Move, actor: Actor, held: set[Who]) -> str:
    wanted = move.assignee or actor.name
    if wanted == actor.name:
        return wanted
    if not held & {Who.HEAD, Who.SECRETARY}:
        raise Refused(RefusalKind.FORBIDDEN, "only the head or a secretary assigns a request to someone else")
    department = state.department or ""
    if department not in config.memberships(wanted):
        raise Refused(RefusalKind.INVALID, f"{wanted!r} is not a member of department {department!r}")
    return wanted


def allowed_actions(config: Complaints, state: State, actor: Actor, *, now: datetime) -> list[Action]:
    """The actions `actor` may take now (the screens show only these buttons)."""
    found = []
    for action, rule in TRANSITIONS.items():
        if state.stage not in rule.sources:
            continue
        department = config.department(state.department) if state.department is not None else None
        approval = department.approval if department is not None else Approval.HEAD_OR_SECRETARY
        if capacities(actor, state, approval) & rule.who:
            found.append(action)
    return found


# -- clocks ---------------------------------------------------------------------------------------------------


def add_working_days(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """The close of the `days`-th working day after the day of `start` (a day counts when the calendar opens
    on it); ValueError when the calendar has not that many working days within its horizon."""
    local_day = start.astimezone(calendar.callcenter.tz).date()
    counted = 0
    for offset in range(1, calendar.horizon_days + 1):
        plan = calendar.plan(local_day + timedelta(days=offset))
        if plan.spans:
            counted += 1
            if counted >= days:
                return plan.spans[-1][1].astimezone(calendar.callcenter.tz)
    raise ValueError(f"fewer than {days} working days within {calendar.horizon_days} days of {start}")


def stage_days(config: Complaints, stage: Stage) -> int | None:
    """Working days allowed in `stage`; None for a final stage (no clock)."""
    if stage in FINAL_STAGES:
        return None
    days: int = getattr(config.stage_days, stage.value)
    return days


def stage_due(config: Complaints, calendar: BusinessCalendar, stage: Stage, entered_at: datetime) -> datetime | None:
    days = stage_days(config, stage)
    return None if days is None else _working_days_or_none(calendar, entered_at, days)


def _working_days_or_none(calendar: BusinessCalendar, start: datetime, days: int) -> datetime | None:
    # a calendar closed for its whole horizon (every day a closure) has no deadline to give: no clock, no error
    try:
        return add_working_days(calendar, start, days)
    except ValueError:
        return None


def deadline(calendar: BusinessCalendar, start: datetime, days: int) -> datetime | None:
    """`add_working_days`, or None when the calendar has not that many working days within its horizon."""
    return _working_days_or_none(calendar, start, days)


def at_risk(calendar: BusinessCalendar, due: datetime | None, now: datetime, days: int) -> bool:
    """Not overdue yet, but due within `days` working days."""
    if due is None or due <= now:
        return False
    limit = _working_days_or_none(calendar, now, days) if days > 0 else None
    return limit is not None and due <= limit


class DepartmentCalendars:
    """One business calendar per department: its own `hours`, else the call center's (holidays and closures
    are the call center's for all). The desk (no department) uses the call center's."""

    def __init__(self, callcenter: CallCenter) -> None:
        self.callcenter = callcenter
        self._default = BusinessCalendar(callcenter)
        self._calendars: dict[str, BusinessCalendar] = {}

    def of(self, department: str | None) -> BusinessCalendar:
        complaints = self.callcenter.complaints
        found = complaints.department(department) if complaints is not None and department is not None else None
        if found is None or found.hours is None:
            return self._default
        calendar = self._calendars.get(found.key)
        if calendar is None:
            calendar = BusinessCalendar(self.callcenter.model_copy(update={"hours": found.hours}))
            self._calendars[found.key] = calendar
        return calendar

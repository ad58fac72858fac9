"""The complaint workflow in the API: which requests enter it, who the actor is, and the `on_transition` hook.

Rules:
- A request enters the workflow when its type is one of [complaints].request_types (corrections do not: they
  restate an archived request, whose workflow goes on). Its category is the one given (web form, desk) or the
  type's default category; routing (callcenter.departments) names its department; with `auto_route` it is
  assigned there at once (the history says "routing" did it), else it waits at the desk as received.
- The categories a citizen (portal) or the desk (paper mail) may choose: every configured category for a request
  type that enters the workflow, none for the others (`offered_categories`). The configuration ties a category to
  a department, not to request types (only `default_category` names a type), so no narrower rule can be read
  from it; a category given for a type that takes none, or unknown, is refused (api.routes.channels: 422).
- The channel is the request's own (api.crud.requests: the one its opener named, else the one of its source:
  voicemail and dispositions are the phone, the portal is the web, e-mail, chat and paper are their own).
- The desk is the desk role, supervisors and admins; an officer's departments and roles there come from the
  configuration by their username; officials and agents hold no workflow right.
- IVR_DEMO=1 also gives the configured workflow people demo accounts (demo_workflow_users): a desk account
  "accueil", every department member as an officer and every official, so a demo can walk a complaint through.
- Two kinds of hooks see every transition, the entry into the workflow included, in order. Recorders
  (RequestConfig.record_transition: the citizen's notifications) run inside the transition's transaction,
  before its commit: what they write is committed with the transition or not at all, and one that fails fails
  the transition (it rolls back; a transition that would tell nobody is what they exist to prevent). Each may
  return a step to run after the commit (the notification's first try). Those steps and the `on_transition`
  hooks (observers) run after the commit; one that fails is logged and the others still run: a delivery never
  undoes or blocks a transition.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from api.models import RequestRow
from api.schemas.users import UiLanguage, UserCreate
from api.security.tokens import Principal, Role
from callcenter.config import CallCenter
from callcenter.departments import Category, Complaints
from callcenter.workflow import STATUS_OF_STAGE, Action, Actor, DepartmentCalendars, Stage, deadline, stage_due

log = logging.getLogger(__name__)

DESK_ROLES = frozenset({Role.DESK, Role.SUPERVISOR, Role.ADMIN})
ROUTING = "routing"  # the actor and capacity of an automatic routing


@dataclass(frozen=True)
class TransitionEvent:
    """What a hook is told: the request after the transition, and the transition itself."""

    reference: str
    request_id: int
    action: Action | None  # None: the request entered the workflow (received, or routed at once)
    from_stage: Stage | None
    to_stage: Stage
    department: str | None
    assignee: str | None
    actor: str
    comment: str  # a rejection's reason, a proposed answer, ...: what the citizen may be told
    answer: str  # the answer on the request (set when proposed)
    language: str | None
    channel: str
    contact: str
    caller_number: str
    at: datetime


TransitionHook = Callable[[TransitionEvent], Awaitable[None]]  # after the commit
AfterCommit = Callable[[], Awaitable[None]]  # what a recorder leaves to do once the transaction is committed
# Inside the transition's transaction, before its commit (see the rules).
TransitionRecorder = Callable[[AsyncSession, TransitionEvent], Awaitable[AfterCommit | None]]


async def record_hooks(
    recorders: list[TransitionRecorder], session: AsyncSession, event: TransitionEvent
) -> list[AfterCommit]:
    """The recorders run in the transition's transaction; their failure is the transition's (not caught)."""
    later = []
    for recorder in recorders:
        step = await recorder(session, event)
        if step is not None:
            later.append(step)
    return later


async def run_hooks(hooks: list[TransitionHook], event: TransitionEvent, later: Sequence[AfterCommit] = ()) -> None:
    """After the commit: the recorders' steps, then the observers; each failure logged, the transition stands."""
    for step in later:
        try:
            await step()
        except Exception:
            log.exception("after-commit step %r failed for request %s", step, event.reference)
    for hook in hooks:
        try:
            await hook(event)
        except Exception:  # a hook's failure is its own; the transition stands (see the rules)
            log.exception("on_transition hook %r failed for request %s", hook, event.reference)


def event_of(
    request: RequestRow, action: Action | None, source: Stage | None, actor: str, comment: str, at: datetime
) -> TransitionEvent:
    return TransitionEvent(
        reference=request.reference, request_id=request.id, action=action, from_stage=source,
        to_stage=Stage(request.stage or Stage.RECEIVED), department=request.department, assignee=request.assignee,
        actor=actor, comment=comment, answer=request.answer, language=request.language, channel=request.channel,
        contact=request.contact, caller_number=request.caller_number, at=at,
    )  # fmt: skip


def entry_event(request: RequestRow) -> TransitionEvent:
    """The event of a request entering the workflow (routed at once, or received at the desk)."""
    stage = Stage(request.stage or Stage.RECEIVED)
    action = Action.ROUTE if stage is Stage.ASSIGNED else None
    return event_of(request, action, None, ROUTING, "", request.created_at)


def actor_for(principal: Principal, complaints: Complaints) -> Actor:
    memberships = complaints.memberships(principal.name) if principal.role is Role.OFFICER else {}
    return Actor(principal.name, desk=principal.role in DESK_ROLES, memberships=memberships)


def enters_workflow(complaints: Complaints | None, *, type_key: str, source: str) -> bool:
    return complaints is not None and source != "correction" and type_key in complaints.request_types


def offered_categories(complaints: Complaints | None, *, type_key: str) -> list[Category]:
    """The categories a request of this type may be given when it is opened (see the rules); empty: none."""
    if complaints is None or type_key not in complaints.request_types:
        return []
    return list(complaints.categories)


def entry_values(
    callcenter: CallCenter,
    calendars: DepartmentCalendars,
    *,
    type_key: str,
    channel: str,
    category: str | None,
    language: str | None,
    service: str,
    created_at: datetime,
) -> dict[str, Any]:
    """The workflow columns of a request entering the workflow (callers check `enters_workflow` first)."""
    complaints = callcenter.complaints
    assert complaints is not None
    category = category or complaints.default_category.get(type_key)
    department = complaints.route(
        category=category, channel=channel, language=language, service=service, request_type=type_key
    )
    stage = Stage.ASSIGNED if department is not None and complaints.auto_route else Stage.RECEIVED
    where = department if stage is Stage.ASSIGNED else None
    return {
        "category": category,
        "channel": channel,
        "stage": stage.value,
        "department": where,
        "status": STATUS_OF_STAGE[stage].value,
        "stage_since": created_at,
        "stage_due_at": stage_due(complaints, calendars.of(where), stage, created_at),
        "answer_due_at": answer_due(complaints, calendars, category, where, created_at),
    }


def answer_due(
    complaints: Complaints, calendars: DepartmentCalendars, category: str | None, department: str | None,
    since: datetime,
) -> datetime | None:  # fmt: skip
    """The category's deadline in working days of the department's calendar; None without a category."""
    found = complaints.category(category) if category is not None else None
    if found is None:
        return None
    return deadline(calendars.of(department or found.department), since, found.deadline_days)


def visible_departments(principal: Principal, complaints: Complaints) -> frozenset[str] | None:
    """The departments whose requests `principal` works on: None for the desk (all), their own for an officer,
    none for anyone else (agents keep the request desk of api.routes.requests; officials see dashboards)."""
    if principal.role in DESK_ROLES:
        return None
    if principal.role is Role.OFFICER:
        return frozenset(complaints.memberships(principal.name))
    return frozenset()


def dashboard_departments(principal: Principal, complaints: Complaints) -> frozenset[str] | None:
    """The departments `principal`'s dashboards cover: None for all (desk, supervisors, admins, the director
    general and the mayor), an elected official's delegation, a head's or secretary's departments; empty: none."""
    if principal.role in DESK_ROLES:
        return None
    if principal.role is Role.OFFICIAL:
        found = complaints.dashboard_departments(principal.name)
        return None if found is None else frozenset(found)
    if principal.role is Role.OFFICER:
        roles = complaints.memberships(principal.name)
        return frozenset(key for key, role in roles.items() if role.value in ("head", "secretary"))
    return frozenset()


DEMO_DESK_USERNAME = "accueil"
WorkflowStaffRole = Literal[Role.DESK, Role.OFFICER, Role.OFFICIAL]


def demo_workflow_users(callcenter: CallCenter | None, *, taken: set[str]) -> list[UserCreate]:
    """IVR_DEMO=1 only: accounts for the desk, the departments' members and the officials of [complaints] (none
    without it), leaving out the usernames in `taken`."""
    if callcenter is None or callcenter.complaints is None:
        return []
    complaints = callcenter.complaints
    language: UiLanguage = "ar" if callcenter.default_language == "ar" else "fr"
    wanted: list[tuple[str, WorkflowStaffRole]] = [(DEMO_DESK_USERNAME, Role.DESK)]
    wanted += [(member, Role.OFFICER) for department in complaints.departments for member in department.members()]
    wanted += [(official.username, Role.OFFICIAL) for official in complaints.officials]
    users, seen = [], set(taken)
    for username, role in wanted:
        if username not in seen:
            seen.add(username)
            users.append(UserCreate(username=username, display_name=username, role=role, language=language))
    return users

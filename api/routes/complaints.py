"""The complaint workflow: the desk's triage, a department's queue, approval, dashboards, CSV export, the
citizen's reopening, and the Open311 GeoReport v2 read API.

Who: the desk (desk role, supervisors, admins) sees and routes every request in the workflow; an officer sees
the requests of their departments and acts there as the configuration makes them (head, secretary, agent);
officials see dashboards only. A request outside someone's view answers 404, as one that does not exist. Every
move is checked by callcenter.workflow; refusals are 403 (may not), 409 (not from this stage), 422 (missing
reason, unknown department).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from api import complaint_reports
from api.channels import notify_desk
from api.channels.notify import notifications_of
from api.complaints import actor_for, dashboard_departments, visible_departments
from api.crud import complaints as crud
from api.crud import rate_limits, requests
from api.deps import NowDep, RequestConfigDep, SessionDep, require, require_offsets
from api.models import RequestRow
from api.net import limit_key
from api.problems import documented, retry_after
from api.request_config import PORTAL_WINDOW, RequestConfig
from api.schemas.audit import AuditAction
from api.schemas.complaints import (
    CategoryPublic,
    CitizenReopen,
    ComplaintDetail,
    ComplaintPage,
    Dashboard,
    DepartmentPublic,
    Open311Request,
    Open311Service,
    RatingCount,
    TransitionCreate,
    WeekCount,
    WorkflowEventPublic,
    WorkflowSetup,
)
from api.security.audit import AuditDep
from api.security.tokens import Principal, Role
from callcenter.departments import Complaints
from callcenter.records import Instant
from callcenter.workflow import (
    AT_THE_DESK,
    FINAL_STAGES,
    Action,
    Actor,
    Move,
    RefusalKind,
    Refused,
    Stage,
    allowed_actions,  # fmt: skip
)

router = APIRouter(tags=["complaints"])
WorkflowRoleDep = Annotated[
    Principal, Depends(require(Role.DESK, Role.OFFICER, Role.OFFICIAL, Role.SUPERVISOR, Role.ADMIN))
]
REFUSAL_STATUS = {RefusalKind.FORBIDDEN: 403, RefusalKind.CONFLICT: 409, RefusalKind.INVALID: 422}
OPEN_STAGES = tuple(stage for stage in Stage if stage not in FINAL_STAGES)
QUEUE_STAGES = (Stage.ASSIGNED, Stage.REOPENED, Stage.IN_PROGRESS, Stage.ANSWER_PROPOSED, Stage.ANSWER_APPROVED)
VIEWS = {"desk": tuple(AT_THE_DESK), "queue": QUEUE_STAGES, "approval": (Stage.ANSWER_PROPOSED,), "open": OPEN_STAGES,
         "all": ()}  # fmt: skip


def _complaints(config: RequestConfig) -> Complaints:
    if config.callcenter.complaints is None:
        raise HTTPException(404, "this deployment has no complaint workflow ([complaints] in the call-center file)")
    return config.callcenter.complaints


async def _visible(session: SessionDep, config: RequestConfig, principal: Principal, reference: str) -> RequestRow:
    complaints = _complaints(config)
    found = await requests.by_reference(session, reference=reference)
    allowed = visible_departments(principal, complaints)
    if found is None or found.stage is None or (allowed is not None and found.department not in allowed):
        raise HTTPException(404, "no such request in the complaint workflow")
    return found


async def _detail(
    session: SessionDep, config: RequestConfig, request: RequestRow, principal: Principal, now: datetime
) -> ComplaintDetail:
    complaints = _complaints(config)
    actor = actor_for(principal, complaints)
    shown = complaint_reports.public(request, complaints, config.department_calendars, now)
    events = await crud.history(session, request=request)
    may_retry = notify_desk.rights(principal, request=request, scope=None, complaints=complaints).retries
    told = await notifications_of(session, request_id=request.id)
    return ComplaintDetail(
        **shown.model_dump(),
        history=[WorkflowEventPublic.model_validate(event) for event in events],
        actions=allowed_actions(complaints, crud.state_of(request), actor, now=now),
        notifications=notify_desk.shown_all(told, principal=principal, may_retry=may_retry),
    )


@router.get("/complaints/setup")
async def setup(config: RequestConfigDep, principal: WorkflowRoleDep) -> WorkflowSetup:
    """Departments, categories and your own rights, for the complaint screens."""
    complaints = _complaints(config)
    actor = actor_for(principal, complaints)
    dashboards = dashboard_departments(principal, complaints)
    return WorkflowSetup(
        departments=[DepartmentPublic(key=d.key, names=d.names, parent=d.parent, approval=d.approval.value)
                     for d in complaints.departments],
        categories=[CategoryPublic(key=c.key, names=c.names, department=c.department, deadline_days=c.deadline_days)
                    for c in complaints.categories],
        me=principal.name,
        desk=actor.desk,
        memberships={key: role.value for key, role in actor.memberships.items()},
        dashboards=dashboards is None or bool(dashboards),
    )  # fmt: skip


@router.get("/complaints")
async def list_complaints(
    session: SessionDep,
    config: RequestConfigDep,
    principal: WorkflowRoleDep,
    now: NowDep,
    audit: AuditDep,
    view: Annotated[str, Query(pattern="^(desk|queue|approval|open|all)$")] = "open",
    department: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ComplaintPage:
    """Requests in the workflow by stage deadline: at the desk, in a department's queue, awaiting approval, open."""
    complaints = _complaints(config)
    allowed = visible_departments(principal, complaints)
    if allowed is not None and not allowed:
        raise HTTPException(403, "dashboards only: this role works on no department's requests")
    departments = allowed
    if department is not None:
        departments = frozenset({department}) if allowed is None or department in allowed else frozenset()
    filters = crud.Filters(stages=VIEWS[view], departments=departments, category=category,
                           assignee=principal.name if mine else None)  # fmt: skip
    found = await crud.list_workflow(session, filters=filters, limit=limit)
    if view == "approval":
        actor = actor_for(principal, complaints)
        found = [row for row in found if Action.APPROVE in allowed_actions(complaints, crud.state_of(row), actor,
                                                                           now=now)]  # fmt: skip
    await audit(AuditAction.LIST_REQUESTS, None, f"complaints view={view} rows={len(found)}")
    calendars = config.department_calendars
    return ComplaintPage(items=[complaint_reports.public(row, complaints, calendars, now) for row in found])


def _dashboard_filters(
    config: RequestConfig, principal: Principal, now: datetime, period_from: datetime | None, period_to: datetime | None
) -> tuple[crud.Filters, datetime, datetime]:
    require_offsets(**{"from": period_from, "to": period_to})
    complaints = _complaints(config)
    covered = dashboard_departments(principal, complaints)
    if covered is not None and not covered:
        raise HTTPException(403, "no dashboard for this account (see [complaints] officials and departments)")
    until = period_to or now
    since = period_from or until - timedelta(days=90)
    return crud.Filters(departments=covered, since=since, until=until), since, until


async def _dashboard_rows(
    session: SessionDep,
    config: RequestConfig,
    principal: Principal,
    now: datetime,
    period_from: datetime | None,
    period_to: datetime | None,
) -> tuple[list[RequestRow], datetime, datetime]:
    filters, since, until = _dashboard_filters(config, principal, now, period_from, period_to)
    return await crud.list_workflow(session, filters=filters, limit=100_000), since, until


@router.get("/complaints/dashboard")
async def dashboard(
    session: SessionDep,
    config: RequestConfigDep,
    principal: WorkflowRoleDep,
    now: NowDep,
    period_from: Annotated[Instant | None, Query(alias="from")] = None,
    period_to: Annotated[Instant | None, Query(alias="to")] = None,
) -> Dashboard:
    """Volumes by category, department, district; overdue and at risk; median time per stage; trend; satisfaction."""
    filters, since, until = _dashboard_filters(config, principal, now, period_from, period_to)
    rows = await crud.list_workflow(session, filters=filters, limit=100_000)
    events = await crud.histories(session, requests=rows)
    board = complaint_reports.dashboard(
        rows, events, complaints=_complaints(config), calendars=config.department_calendars, period_from=since,
        period_to=until, now=now, tz=config.callcenter.tz,
    )  # fmt: skip
    weeks = await crud.weekly_counts(session, filters=filters, since=since, until=until,
                                     timezone=config.callcenter.timezone, now=now)  # fmt: skip
    board.weekly = [WeekCount(week=week.isoformat(), received=received, overdue=overdue)
                    for week, received, overdue in weeks]  # fmt: skip
    ratings = await crud.rating_counts(session, filters=filters)
    board.satisfaction_distribution = [RatingCount(rating=rating, count=count) for rating, count in ratings]
    return board


@router.get("/complaints/export.csv", response_class=Response)
async def export_csv(
    session: SessionDep,
    config: RequestConfigDep,
    principal: WorkflowRoleDep,
    now: NowDep,
    audit: AuditDep,
    period_from: Annotated[Instant | None, Query(alias="from")] = None,
    period_to: Annotated[Instant | None, Query(alias="to")] = None,
) -> Response:
    """The requests a dashboard covers, one line each (no description or contact), for spreadsheets."""
    rows, _, _ = await _dashboard_rows(session, config, principal, now, period_from, period_to)
    await audit(AuditAction.EXPORT_REPORT, "report:complaints", f"rows={len(rows)}")
    complaints, calendars = _complaints(config), config.department_calendars
    items = [complaint_reports.public(row, complaints, calendars, now) for row in rows]
    return Response(
        complaint_reports.export_csv(items),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="complaints.csv"'},
    )


@router.get("/complaints/{reference}")
async def get_complaint(
    reference: str, session: SessionDep, config: RequestConfigDep, principal: WorkflowRoleDep, now: NowDep,
    audit: AuditDep,
) -> ComplaintDetail:  # fmt: skip
    """One request with its workflow history and the actions you may take on it now."""
    found = await _visible(session, config, principal, reference)
    await audit(AuditAction.READ_REQUEST, f"request:{found.reference}", "complaint")
    return await _detail(session, config, found, principal, now)


@router.post("/complaints/{reference}/transitions", responses=documented(409))
async def move(
    reference: str,
    body: TransitionCreate,
    session: SessionDep,
    config: RequestConfigDep,
    principal: WorkflowRoleDep,
    now: NowDep,
) -> ComplaintDetail:
    """Move a request along the workflow (route, take, send back, propose, approve, return, close, ...)."""
    found = await _visible(session, config, principal, reference)
    actor = actor_for(principal, _complaints(config))
    wanted = Move(body.action, comment=body.comment, department=body.department, assignee=body.assignee,
                  duplicate_of=body.duplicate_of)  # fmt: skip
    try:
        await crud.transition(session, config=config, request=found, move=wanted, actor=actor, now=now,
                              category=body.category, district=body.district)  # fmt: skip
    except Refused as refused:
        raise HTTPException(REFUSAL_STATUS[refused.kind], refused.reason) from refused
    return await _detail(session, config, found, principal, now)


# -- the citizen (by reference, as the portal's tracking) -----------------------------------------------------


async def _citizen_request(request: Request, session: SessionDep, config: RequestConfig, reference: str,
                           now: datetime) -> RequestRow:  # fmt: skip
    address = limit_key(request.client.host if request.client else "unknown")
    wait_s = await rate_limits.hit(session, key=f"portal-complaint:{address}", limit=config.portal_limit,
                                   window=PORTAL_WINDOW, now=now)  # fmt: skip
    if wait_s is not None:
        raise HTTPException(429, "too many requests from this address; try again later", headers=retry_after(wait_s))
    _complaints(config)
    found = await requests.by_reference(session, reference=reference)
    if found is None or found.stage is None:
        raise HTTPException(404, "no such request")
    return found


@router.post("/portal/complaints/{reference}/reopen", tags=["portal"], responses=documented(409))
async def reopen(
    reference: str, body: CitizenReopen, request: Request, session: SessionDep, config: RequestConfigDep,
    now: NowDep,
) -> None:  # fmt: skip
    """The citizen reopens their closed request within the period the city allows, saying why."""
    found = await _citizen_request(request, session, config, reference, now)
    try:
        citizen = Actor("citizen", citizen=True)
        move = Move(Action.REOPEN, comment=body.comment)
        await crud.transition(session, config=config, request=found, move=move, actor=citizen, now=now)
    except Refused as refused:
        raise HTTPException(REFUSAL_STATUS[refused.kind], refused.reason) from refused


# -- Open311 GeoReport v2 (read only; public, no personal data) -----------------------------------------------

OPEN311 = "/open311/v2"


def _language(config: RequestConfig, lang: str | None) -> str:
    return lang if lang is not None and config.callcenter.has_language(lang) else config.callcenter.default_language


@router.get(f"{OPEN311}/services.json", tags=["open311"])
async def open311_services(
    config: RequestConfigDep, lang: Annotated[str | None, Query(max_length=16)] = None
) -> list[Open311Service]:
    """GeoReport v2 GET services: the categories, their department (group) and deadline."""
    complaints, language = _complaints(config), _language(config, lang)
    services = []
    for category in complaints.categories:
        department = complaints.department(category.department)
        assert department is not None  # checked at load
        services.append(Open311Service(
            service_code=category.service_code or category.key,
            service_name=complaint_reports._label(category.names, language),
            description=f"{category.deadline_days} working days",
            group=complaint_reports._label(department.names, language),
        ))  # fmt: skip
    return services


@router.get(f"{OPEN311}/requests.json", tags=["open311"])
async def open311_requests(
    session: SessionDep,
    config: RequestConfigDep,
    now: NowDep,
    service_code: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    start_date: Instant | None = None,
    end_date: Instant | None = None,
    lang: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[Open311Request]:
    """GeoReport v2 GET requests: by service code, status and period (default: the last 90 days)."""
    require_offsets(start_date=start_date, end_date=end_date)
    complaints = _complaints(config)
    category = None
    if service_code is not None:
        found = complaints.category_by_code(service_code)
        if found is None:
            return []
        category = found.key
    stages = () if status is None else (OPEN_STAGES if status == "open" else tuple(FINAL_STAGES))
    until = end_date or now
    filters = crud.Filters(stages=stages, category=category, since=start_date or until - timedelta(days=90),
                           until=until)  # fmt: skip
    rows = await crud.list_workflow(session, filters=filters, limit=limit)
    language = _language(config, lang)
    return [complaint_reports.open311_request(row, complaints, language) for row in rows]


@router.get(f"{OPEN311}/requests/{{service_request_id}}.json", tags=["open311"])
async def open311_request(
    service_request_id: str, session: SessionDep, config: RequestConfigDep,
    lang: Annotated[str | None, Query(max_length=16)] = None,
) -> list[Open311Request]:  # fmt: skip
    """GeoReport v2 GET service request: one request (a list of one, as the specification has it)."""
    complaints = _complaints(config)
    found = await requests.by_reference(session, reference=service_request_id)
    if found is None or found.stage is None:
        raise HTTPException(404, "no such service request")
    return [complaint_reports.open311_request(found, complaints, _language(config, lang))]

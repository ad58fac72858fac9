"""Running the system without restarting it: calendar overrides (closures, holiday dates) administrators enter in
/ui/closures.html, the set the agi processes poll, and "re-read the call-center file" (admins only).

Rules:
- A change is validated against the running call-center file merged with every active override before it is
  stored: a set the agi processes would refuse is refused here first (422, with the loader's message).
- A reload re-reads this process's file; a bad file is refused (422, the message says where) and the running
  configuration kept. A good one bumps the generation the agi processes poll, and each re-reads its own file;
  the live state (the wallboard's queue cards) follows it at once (api.ami.follow).
- Every change is in the audit log (who, what, when, from where).
- The overrides steer call routing (the agi processes) and request deadlines (api.deps.get_request_config merges
  them into the calendar the API counts with). A deadline is fixed when it is set: adding or removing a closure
  moves the deadlines set after it, not those already given (api.request_rules says why).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status

from api.ami.follow import follow_file
from api.ami.service import LiveService
from api.crud import calendar_overrides as overrides_db
from api.crud.calendar_overrides import calendar_of
from api.deps import AdminDep, NowDep, SessionDep, require
from api.operations_models import CalendarOverrideRow
from api.problems import documented
from api.request_config import RequestConfig
from api.schemas.audit import AuditAction
from api.schemas.operations import (
    CalendarOverridePublic,
    ClosureCreate,
    HolidayOverrideCreate,
    OverridesPublic,
    ReloadPublic,
)
from api.security.audit import AuditDep
from api.security.tokens import Principal, Role
from callcenter.config import CallCenter
from callcenter.loading import ConfigError, load_callcenter
from callcenter.overrides import CalendarOverrides, merged

router = APIRouter(tags=["operations"])
AgiReaderDep = Annotated[Principal, Depends(require(Role.AGI, Role.ADMIN))]


def _running(request: Request) -> CallCenter | None:
    callcenter: CallCenter | None = request.app.state.callcenter
    return callcenter


def _check(request: Request, candidate: CalendarOverrides) -> None:
    callcenter = _running(request)
    if callcenter is None:
        return  # the file is broken: GET /config/overrides still serves; the agi processes validate too
    try:
        merged(callcenter, candidate, "calendar overrides")
    except ConfigError as error:
        raise HTTPException(422, str(error)) from error


@router.get("/config/overrides")
async def effective_overrides(principal: AgiReaderDep, session: SessionDep) -> OverridesPublic:
    """The active calendar overrides and the configuration generation, as the agi processes poll them."""
    calendar = calendar_of(await overrides_db.list_active(session), await overrides_db.generation(session))
    return OverridesPublic.model_validate(calendar.to_json())


@router.get("/admin/calendar")
async def list_overrides(principal: AdminDep, session: SessionDep) -> list[CalendarOverridePublic]:
    """The active closures and holiday overrides, oldest first."""
    return [CalendarOverridePublic.model_validate(row) for row in await overrides_db.list_active(session)]


async def _add(
    request: Request,
    session: SessionDep,
    audit: AuditDep,
    principal: Principal,
    now: NowDep,
    *,
    kind: str,
    body: ClosureCreate | HolidayOverrideCreate,
    reason: str,
    year: int | None,
) -> CalendarOverridePublic:
    rows = await overrides_db.list_active(session)
    last_day = body.last_day or body.first_day
    candidate = CalendarOverrideRow(
        id=0, kind=kind, first_day=body.first_day, last_day=last_day, reason=reason, holiday_year=year
    )
    _check(request, calendar_of([*rows, candidate], 0))
    row = await overrides_db.add(
        session,
        kind=kind,
        first_day=body.first_day,
        last_day=last_day,
        reason=reason,
        holiday_year=year,
        actor=principal.name,
        now=now,
    )
    await audit(AuditAction.CHANGE_CALENDAR, f"calendar:{row.id}", f"add {kind} {row.first_day}..{last_day} {reason}")
    return CalendarOverridePublic.model_validate(row)


@router.post("/admin/calendar/closures", status_code=status.HTTP_201_CREATED)
async def add_closure(
    body: ClosureCreate, request: Request, principal: AdminDep, session: SessionDep, audit: AuditDep, now: NowDep
) -> CalendarOverridePublic:
    """Close the call center on these days (new calls hear the closed message within a poll interval)."""
    return await _add(request, session, audit, principal, now, kind="closure", body=body, reason=body.reason, year=None)


@router.post("/admin/calendar/holidays", status_code=status.HTTP_201_CREATED)
async def add_holiday_override(
    body: HolidayOverrideCreate,
    request: Request,
    principal: AdminDep,
    session: SessionDep,
    audit: AuditDep,
    now: NowDep,
) -> CalendarOverridePublic:
    """Set the dates a public holiday really falls on in a year (replaces the estimate)."""
    return await _add(
        request, session, audit, principal, now, kind="holiday", body=body, reason=body.name, year=body.year
    )


@router.delete("/admin/calendar/{override_id}", responses=documented(404))
async def remove_override(
    override_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: AdminDep,
    session: SessionDep,
    audit: AuditDep,
    now: NowDep,
) -> CalendarOverridePublic:
    """Remove a closure or holiday override (kept in the history, marked removed)."""
    row = await overrides_db.remove(session, override_id=override_id, actor=principal.name, now=now)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no active calendar override {override_id}")
    await audit(AuditAction.CHANGE_CALENDAR, f"calendar:{row.id}", f"remove {row.kind} {row.first_day} {row.reason}")
    return CalendarOverridePublic.model_validate(row)


@router.post("/admin/config/reload")
async def reload_configuration(
    request: Request, principal: AdminDep, session: SessionDep, audit: AuditDep, now: NowDep
) -> ReloadPublic:
    """Re-read the call-center file here and in every agi process; a bad file is refused (422) and nothing changes."""
    try:
        callcenter = load_callcenter()
        calendar = calendar_of(await overrides_db.list_active(session), 0)
        merged(callcenter, calendar)
    except ConfigError as error:
        await audit(AuditAction.RELOAD_CONFIG, "config", f"refused: {error}")
        raise HTTPException(422, f"configuration refused, still running the previous one:\n{error}") from error
    request.app.state.callcenter = callcenter
    requests_config: RequestConfig | None = getattr(request.app.state, "request_config", None)
    if requests_config is not None:  # request types and deadlines follow the file too (api.deps builds it once)
        request.app.state.request_config = dataclasses.replace(requests_config, callcenter=callcenter)
    live: LiveService | None = getattr(request.app.state, "live", None)
    if live is not None:  # the wallboard's queues follow the file: new ones appear, removed ones go once empty
        follow_file(live, callcenter)
    generation = await overrides_db.bump_generation(session, actor=principal.name, now=now)
    await audit(AuditAction.RELOAD_CONFIG, "config", f"generation {generation}")
    return ReloadPublic(
        generation=generation, name=callcenter.name, languages=[language.code for language in callcenter.languages]
    )

"""Dispositions: how an agent closed a call (a configured outcome, a note, optionally a new request).

Rules:
- Filed for a seat: an agent for their own seat only (403 otherwise), supervisors and admins for any.
- The outcome is one of the call center's `disposition_outcomes`, the request type one of its `request_types`
  (422 otherwise). One disposition per call per seat: a second answers 409 and changes nothing.
- The call need not be stored yet: the call record arrives when the caller's channel hangs up, possibly after
  the agent's form; the disposition names the call by its linkedid and the two meet there.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.crud import dispositions
from api.deps import NowDep, RequestConfigDep, SessionDep, StaffDep
from api.problems import documented
from api.routes.agents import SeatPath, check_seat
from api.schemas.desk import CallDispositionCreate, CallDispositionPublic
from api.schemas.requests import RequestCreated

router = APIRouter(tags=["agents"])


@router.post("/agents/{seat}/dispositions", status_code=status.HTTP_201_CREATED, responses=documented(409))
async def file_disposition(
    seat: SeatPath,
    body: CallDispositionCreate,
    principal: StaffDep,
    session: SessionDep,
    config: RequestConfigDep,
    now: NowDep,
) -> CallDispositionPublic:
    """Close a call with an outcome and a note, and open a follow-up request if one is given (once per call)."""
    check_seat(principal, seat)
    center = config.callcenter
    if center.disposition_outcome(body.outcome) is None:
        known = ", ".join(outcome.key for outcome in center.disposition_outcomes)
        raise HTTPException(422, f"outcome {body.outcome!r} is not configured (known: {known})")
    if body.request is not None and center.request_type(str(body.request.request_type)) is None:
        known = ", ".join(kind.digit for kind in center.request_types)
        raise HTTPException(422, f"request_type {body.request.request_type} is not configured (known: {known})")
    try:
        row, opened = await dispositions.record_disposition(
            session, config=config, disposition_in=body, seat=seat, actor=principal.name, now=now
        )
    except dispositions.DuplicateDispositionError as error:
        raise HTTPException(409, str(error)) from error
    return CallDispositionPublic(
        linkedid=row.linkedid,
        uniqueid=row.uniqueid,
        seat=row.seat,
        outcome=row.outcome,
        note=row.note,
        caller_number=row.caller_number,
        language=row.language,
        created_by=row.created_by,
        created_at=row.created_at,
        request=None if opened is None else RequestCreated(reference=opened.reference, due_at=opened.due_at),
    )

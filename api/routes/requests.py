"""Requests (tickets): opened from voicemails, agents' dispositions and the web portal; followed by agents."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse

from api.db import SessionDep
from api.deps import NowDep
from api.security.tokens import Principal, Role, require
from api.tickets import crud
from api.tickets.desk import DeskDep, RequestDesk
from api.tickets.models import ServiceRequest
from api.tickets.rules import due_soon_cutoff
from api.tickets.schemas import (
    CorrectionCreate,
    DispositionCreate,
    DueFilter,
    NoteCreate,
    PortalRequestCreate,
    RequestCreated,
    RequestDetail,
    RequestEventPublic,
    RequestPage,
    RequestPublic,
    RequestStatusPublic,
    StatusChange,
    VoicemailRequestCreate,
)
from ivr.tickets import RequestStatus

router = APIRouter(tags=["requests"])

AgiDep = Annotated[Principal, Depends(require(Role.AGI, Role.ADMIN))]
StatusReaderDep = Annotated[Principal, Depends(require(Role.AGI, Role.AGENT, Role.SUPERVISOR, Role.ADMIN))]
StaffDep = Annotated[Principal, Depends(require(Role.AGENT, Role.SUPERVISOR, Role.ADMIN))]

# Asterisk's file extension for each RECORD FILE format of callcenter.toml [voicemail].format.
RECORDING_EXTENSIONS = {"wav": "wav", "wav49": "WAV", "gsm": "gsm", "ulaw": "ulaw", "alaw": "alaw", "g722": "g722",
                        "sln16": "sln16"}
AUDIO_TYPES = {"wav": "audio/wav", "WAV": "audio/wav"}


def _check_type(desk: RequestDesk, number: int) -> None:
    if desk.callcenter.request_type(str(number)) is None:
        known = ", ".join(kind.digit for kind in desk.callcenter.request_types)
        raise HTTPException(422, f"request_type {number} is not configured (known: {known})")


def _public(request: ServiceRequest, *, now: datetime, corrects: str | None = None) -> RequestPublic:
    public = RequestPublic.model_validate(request)
    public.has_recording = bool(request.voicemail_path)
    public.corrects = corrects
    public.overdue = request.status in (RequestStatus.NEW, RequestStatus.IN_PROGRESS) and request.due_at < now
    return public


async def _found(session: SessionDep, reference: str) -> ServiceRequest:
    found = await crud.by_reference(session, reference=reference)
    if found is None:
        raise HTTPException(404, "no such request")
    return found


@router.post("/requests/voicemail", status_code=status.HTTP_201_CREATED)
async def open_for_voicemail(
    body: VoicemailRequestCreate, session: SessionDep, desk: DeskDep, principal: AgiDep, now: NowDep
) -> RequestCreated:
    """The request for a message just recorded (the same one however often asked), so the caller hears it."""
    new = crud.NewRequest(
        source="voicemail",
        origin_key=crud.voicemail_origin(body.linkedid),
        request_type=body.request_type if body.route == "queue" else None,
        language=body.language,
        service=desk.service_for(body.dialed_number),
        caller_number=body.caller_number,
        linkedid=body.linkedid,
        voicemail_path=body.voicemail_path,
        created_at=body.at,
        created_by=principal.name,
    )
    opened = await crud.open_request(session, desk=desk, new=new, now=now)
    return RequestCreated(reference=opened.reference, due_at=opened.due_at)


@router.get("/requests/status/{reference}")
async def request_status(reference: str, session: SessionDep, principal: StatusReaderDep) -> RequestStatusPublic:
    """Only the status of a request, for the IVR to speak to a caller who keyed its reference."""
    found = await _found(session, reference)
    return RequestStatusPublic(reference=found.reference, status=RequestStatus(found.status))


@router.post("/requests", status_code=status.HTTP_201_CREATED)
async def open_from_disposition(
    body: DispositionCreate, session: SessionDep, desk: DeskDep, principal: StaffDep, now: NowDep
) -> RequestCreated:
    """An agent's disposition at the end of a call that needs follow-up (once per call)."""
    _check_type(desk, body.request_type)
    new = crud.NewRequest(
        source="disposition",
        origin_key=f"disposition:{body.linkedid}" if body.linkedid else None,
        request_type=body.request_type,
        language=body.language,
        service=body.service,
        caller_number=body.caller_number,
        description=body.description,
        linkedid=body.linkedid,
        created_at=now,
        created_by=principal.name,
    )
    opened = await crud.open_request(session, desk=desk, new=new, now=now)
    return RequestCreated(reference=opened.reference, due_at=opened.due_at)


@router.post("/portal/requests", status_code=status.HTTP_201_CREATED, tags=["portal"])
async def open_from_portal(
    body: PortalRequestCreate, request: Request, session: SessionDep, desk: DeskDep, now: NowDep
) -> RequestCreated:
    """The public web portal's form: no token, a few requests per address and 10 minutes."""
    address = request.client.host if request.client else "unknown"
    if not desk.limiter.allow(address, now):
        raise HTTPException(429, "too many requests from this address; try again later")
    _check_type(desk, body.request_type)
    new = crud.NewRequest(
        source="portal",
        request_type=body.request_type,
        language=body.language,
        service=body.service,
        contact=body.contact,
        description=body.description,
        created_at=now,
        created_by="portal",
    )
    opened = await crud.open_request(session, desk=desk, new=new, now=now)
    return RequestCreated(reference=opened.reference, due_at=opened.due_at)


@router.get("/requests")
async def list_requests(
    session: SessionDep,
    desk: DeskDep,
    principal: StaffDep,
    now: NowDep,
    due: DueFilter = DueFilter.OPEN,
    within_hours: Annotated[float | None, Query(gt=0, le=1000, description="business hours for due_soon")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RequestPage:
    """Requests by deadline: all, open, due soon (within business hours), or overdue."""
    due_before: datetime | None = None
    due_after: datetime | None = None
    if due is DueFilter.OVERDUE:
        due_before = now
    elif due is DueFilter.DUE_SOON:
        due_after = now
        due_before = due_soon_cutoff(desk.calendar, now, within_hours or desk.due_soon_hours)
    found = await crud.list_requests(
        session, open_only=due is not DueFilter.ALL, due_before=due_before, due_after=due_after, limit=limit
    )
    return RequestPage(items=[_public(item, now=now) for item in found])


@router.get("/requests/{reference}")
async def get_request(reference: str, session: SessionDep, principal: StaffDep, now: NowDep) -> RequestDetail:
    """One request with its history."""
    found = await _found(session, reference)
    public = _public(found, now=now, corrects=await crud.reference_of(session, request_id=found.corrects_id))
    events = await crud.history(session, request_id=found.id)
    return RequestDetail(
        **public.model_dump(), history=[RequestEventPublic.model_validate(event) for event in events]
    )


@router.post("/requests/{reference}/status")
async def change_status(
    reference: str, body: StatusChange, session: SessionDep, principal: StaffDep, now: NowDep
) -> RequestPublic:
    """Move a request along new -> in progress -> answered -> closed (recorded in its history)."""
    found = await _found(session, reference)
    try:
        changed = await crud.change_status(
            session, request=found, target=body.status, actor=principal.name, note=body.note, now=now
        )
    except crud.TransitionError as error:
        raise HTTPException(409, str(error)) from error
    return _public(changed, now=now)


@router.post("/requests/{reference}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(reference: str, body: NoteCreate, session: SessionDep, principal: StaffDep, now: NowDep) -> None:
    """A note in the request's history."""
    found = await _found(session, reference)
    await crud.add_note(session, request=found, actor=principal.name, note=body.note, now=now)


@router.post("/requests/{reference}/corrections", status_code=status.HTTP_201_CREATED)
async def correct(
    reference: str, body: CorrectionCreate, session: SessionDep, desk: DeskDep, principal: StaffDep, now: NowDep
) -> RequestCreated:
    """Correct a request by a new one that points at it (archived requests never change)."""
    found = await _found(session, reference)
    created = await crud.correct(
        session, desk=desk, original=found, description=body.description, actor=principal.name, now=now
    )
    return RequestCreated(reference=created.reference, due_at=created.due_at)


@router.get("/requests/{reference}/recording", response_class=FileResponse)
async def recording(
    reference: str,
    session: SessionDep,
    desk: DeskDep,
    principal: StaffDep,
    download: bool = False,
) -> FileResponse:
    """The caller's message: played in the browser, or downloaded with ?download=true."""
    found = await _found(session, reference)
    path = recording_file(desk, found.voicemail_path)
    if path is None:
        raise HTTPException(404, "this request has no recording on this server")
    extension = path.suffix.lstrip(".")
    return FileResponse(
        path,
        media_type=AUDIO_TYPES.get(extension, "application/octet-stream"),
        filename=f"request-{found.reference}.{extension}",
        content_disposition_type="attachment" if download else "inline",
    )


def recording_file(desk: RequestDesk, voicemail_path: str | None) -> Path | None:
    """The recording's file, only if it lies inside the recordings directory (a stored path is not trusted)."""
    if not voicemail_path:
        return None
    extension = RECORDING_EXTENSIONS[desk.callcenter.voicemail.format]
    root = desk.recordings_dir.resolve()
    candidate = Path(f"{voicemail_path}.{extension}").resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate

"""Requests: opened from voicemails, agents' dispositions and the web portal; followed by agents.

An agent sees and works the requests of their queues and those they opened (api.security.access); any other
answers 404. Reading a request and playing its recording are audited (api.security.audit).

A request in the complaint workflow (its `stage` is set) is refused a plain status change: 409, naming
POST /complaints/{reference}/transitions. Refused rather than mapped onto a workflow action, because a city hall
expects its workflow to hold whatever screen is used: "answered" there means an answer proposed by the
assignee, approved by whom the department names (head, secretary), then sent; a bare status carries no
proposed answer, no approver and no department, so any mapping would either skip the approval or guess who
acts. Agents and supervisors keep reading such a request and adding notes here (a note moves nothing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse

from api.call_back import callback_number, originate_call_back
from api.channels import notify_desk
from api.channels.notify import Outbox, notifications_of
from api.crud import rate_limits, requests
from api.deps import (
    AgiWriterDep,
    LiveDep,
    NotifierDep,
    NowDep,
    RequestConfigDep,
    SessionDep,
    StaffDep,
    StatusReaderDep,
    check_request_choice,
)
from api.models import RequestRow
from api.net import limit_key
from api.problems import documented, retry_after
from api.request_config import PORTAL_WINDOW
from api.request_rules import due_soon_cutoff
from api.routes.agents import check_seat
from api.schemas.audit import AuditAction
from api.schemas.desk import CallBackCreate, CallBackStarted
from api.schemas.requests import (
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
from api.security.access import RequestScope
from api.security.audit import AuditDep
from api.security.scopes import RequestScopeDep
from callcenter.requests import RequestStatus

router = APIRouter(tags=["requests"])

AUDIO_TYPES = {"wav": "audio/wav", "WAV": "audio/wav"}


def _public(request: RequestRow, *, now: datetime, corrects: str | None = None) -> RequestPublic:
    public = RequestPublic.model_validate(request)
    public.has_recording = bool(request.voicemail_path)
    public.corrects = corrects
    public.overdue = request.status in (RequestStatus.NEW, RequestStatus.IN_PROGRESS) and request.due_at < now
    return public


def _created(request: RequestRow) -> RequestCreated:
    return RequestCreated(reference=request.reference, due_at=request.due_at)


async def _found(session: SessionDep, reference: str, scope: RequestScope | None = None) -> RequestRow:
    found = await requests.by_reference(session, reference=reference)
    if found is None or (scope is not None and not scope.admits(language=found.language, created_by=found.created_by)):
        raise HTTPException(404, "no such request")
    return found


@router.post("/requests/voicemail", status_code=status.HTTP_201_CREATED)
async def open_for_voicemail(
    body: VoicemailRequestCreate, session: SessionDep, config: RequestConfigDep, principal: AgiWriterDep, now: NowDep
) -> RequestCreated:
    """The request for a message just recorded (the same one however often asked), so the caller hears it."""
    opened = await requests.open_for_voicemail(
        session, config=config, voicemail_in=body, created_by=principal.name, now=now
    )
    return _created(opened)


@router.get("/requests/status/{reference}")
async def request_status(reference: str, session: SessionDep, principal: StatusReaderDep) -> RequestStatusPublic:
    """Only the status of a request, for the IVR to speak to a caller who keyed its reference."""
    found = await _found(session, reference)
    return RequestStatusPublic(reference=found.reference, status=RequestStatus(found.status))


@router.post("/requests", status_code=status.HTTP_201_CREATED)
async def open_from_disposition(
    body: DispositionCreate, session: SessionDep, config: RequestConfigDep, principal: StaffDep, now: NowDep
) -> RequestCreated:
    """An agent's disposition at the end of a call that needs follow-up (once per call)."""
    check_request_choice(config, body.request_type, body.category)
    opened = await requests.open_from_disposition(
        session, config=config, disposition_in=body, created_by=principal.name, now=now
    )
    return _created(opened)


@router.post("/portal/requests", status_code=status.HTTP_201_CREATED, tags=["portal"])
async def open_from_portal(
    body: PortalRequestCreate,
    request: Request,
    session: SessionDep,
    config: RequestConfigDep,
    now: NowDep,
    notifier: NotifierDep,
) -> RequestCreated:
    """The public web portal's form: no token, a few requests per address and 10 minutes."""
    address = limit_key(request.client.host if request.client else "unknown")  # api.net: behind trusted proxies
    wait_s = await rate_limits.hit(
        session, key=f"portal:{address}", limit=config.portal_limit, window=PORTAL_WINDOW, now=now
    )
    if wait_s is not None:
        raise HTTPException(429, "too many requests from this address; try again later", headers=retry_after(wait_s))
    check_request_choice(config, body.request_type, body.category)
    outbox = Outbox(notifier)  # issue 17 B: acknowledged in the opening's transaction, tried after it
    opened = await requests.open_from_portal(session, config=config, portal_in=body, now=now, outbox=outbox)
    created = _created(opened)  # read before the try, which may roll its own failure back
    await outbox.deliver(session, now=now)
    return created


@router.get("/requests")
async def list_requests(
    session: SessionDep,
    config: RequestConfigDep,
    principal: StaffDep,
    now: NowDep,
    scope: RequestScopeDep,
    audit: AuditDep,
    due: DueFilter = DueFilter.OPEN,
    within_hours: Annotated[float | None, Query(gt=0, le=1000, description="business hours for due_soon")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    status_in: Annotated[list[RequestStatus], Query(alias="status", max_length=4)] = [],  # noqa: B006
    request_type: Annotated[int | None, Query(alias="type", ge=1, le=99)] = None,
    language: Annotated[list[str], Query(max_length=16)] = [],  # noqa: B006
) -> RequestPage:
    """Requests by deadline: all, open, due soon (within business hours), or overdue; by status, type, language."""
    due_before: datetime | None = None
    due_after: datetime | None = None
    if due is DueFilter.OVERDUE:
        due_before = now
    elif due is DueFilter.DUE_SOON:
        due_after = now
        due_before = due_soon_cutoff(config.calendar, now, within_hours or config.due_soon_hours)
    found = await requests.list_requests(
        session, open_only=due is not DueFilter.ALL, due_before=due_before, due_after=due_after, limit=limit,
        statuses=status_in, request_type=request_type, languages=language, scope=scope,
    )  # fmt: skip
    await audit(AuditAction.LIST_REQUESTS, None, f"due={due.value} rows={len(found)}")
    return RequestPage(items=[_public(item, now=now) for item in found])


@router.get("/requests/{reference}")
async def get_request(
    reference: str, session: SessionDep, config: RequestConfigDep, principal: StaffDep, now: NowDep,
    scope: RequestScopeDep, audit: AuditDep,
) -> RequestDetail:  # fmt: skip
    """One request with its history and what the citizen was told of it."""
    found = await _found(session, reference, scope)
    await audit(AuditAction.READ_REQUEST, f"request:{found.reference}")
    public = _public(found, now=now, corrects=await requests.reference_of(session, request_id=found.corrects_id))
    events = await requests.history(session, request_id=found.id)
    told = await notifications_of(session, request_id=found.id)  # durable notifications: pending, sent, failed...
    rights = notify_desk.rights(principal, request=found, scope=scope, complaints=config.callcenter.complaints)
    return RequestDetail(**public.model_dump(), history=[RequestEventPublic.model_validate(event) for event in events],
                         workflow_reference=await requests.workflow_reference(session, request=found),
                         notifications=notify_desk.shown_all(told, principal=principal,
                                                             may_retry=rights.retries))  # fmt: skip


@router.post("/requests/{reference}/status", responses=documented(409))
async def change_status(
    reference: str,
    body: StatusChange,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    scope: RequestScopeDep,
    notifier: NotifierDep,
) -> RequestPublic:
    """Move a request along new -> in progress -> answered -> closed (recorded in its history); 409 in the workflow."""
    found = await _found(session, reference, scope)
    outbox = Outbox(notifier)  # issue 17 B: the citizen is told, recorded in the change's transaction
    try:
        changed = await requests.change_status(session, request=found, status_in=body, actor=principal.name,
                                               now=now, outbox=outbox)  # fmt: skip
    except requests.TransitionError as error:
        raise HTTPException(409, str(error)) from error
    public = _public(changed, now=now)  # read before the try, which may roll its own failure back
    await outbox.deliver(session, now=now)
    return public


@router.post("/requests/{reference}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(
    reference: str, body: NoteCreate, session: SessionDep, principal: StaffDep, now: NowDep, scope: RequestScopeDep
) -> None:
    """A note in the request's history."""
    found = await _found(session, reference, scope)
    await requests.add_note(session, request=found, note_in=body, actor=principal.name, now=now)


@router.post("/requests/{reference}/corrections", status_code=status.HTTP_201_CREATED)
async def correct(
    reference: str,
    body: CorrectionCreate,
    session: SessionDep,
    config: RequestConfigDep,
    principal: StaffDep,
    now: NowDep,
    scope: RequestScopeDep,
) -> RequestCreated:
    """Correct a request by a new one that points at it (archived requests never change)."""
    found = await _found(session, reference, scope)
    created = await requests.correct(
        session, config=config, original=found, correction_in=body, actor=principal.name, now=now
    )
    return _created(created)


@router.get("/requests/{reference}/recording", response_class=FileResponse)
async def recording(
    reference: str,
    session: SessionDep,
    config: RequestConfigDep,
    principal: StaffDep,
    scope: RequestScopeDep,
    audit: AuditDep,
    download: bool = False,
) -> FileResponse:
    """The caller's message: played in the browser, or downloaded with ?download=true."""
    found = await _found(session, reference, scope)
    path = config.recording_file(found.voicemail_path)
    if path is None:
        raise HTTPException(404, "this request has no recording on this server")
    await audit(AuditAction.PLAY_RECORDING, f"request:{found.reference}", "download" if download else "play")
    extension = path.suffix.lstrip(".")
    return FileResponse(
        path,
        media_type=AUDIO_TYPES.get(extension, "application/octet-stream"),
        filename=f"request-{found.reference}.{extension}",
        content_disposition_type="attachment" if download else "inline",
    )


@router.post(
    "/requests/{reference}/call-back", status_code=status.HTTP_202_ACCEPTED, responses=documented(409, 502, 503)
)
async def call_back(
    reference: str,
    body: CallBackCreate,
    session: SessionDep,
    principal: StaffDep,
    live: LiveDep,
    now: NowDep,
    scope: RequestScopeDep,
) -> CallBackStarted:
    """Call the citizen back from a seat: the seat rings first, then the request's number (noted in its history)."""
    check_seat(principal, body.seat)
    found = await _found(session, reference, scope)
    number = callback_number(found)
    if number is None:
        raise HTTPException(409, "this request has no phone number to call back")
    await originate_call_back(live, seat=body.seat, number=number, reference=found.reference, language=found.language)
    note = NoteCreate(note=f"call-back from {body.seat} to {number}")
    await requests.add_note(session, request=found, note_in=note, actor=principal.name, now=now)
    return CallBackStarted(reference=found.reference, seat=body.seat, number=number)

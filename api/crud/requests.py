"""Database operations on requests, keyword-only, each given its session and the current time.

Rules:
- Opening a request is idempotent on its origin (`origin_key`, e.g. "voicemail:<linkedid>"): the voicemail flow
  asking for a reference and the call record arriving later, in either order and any number of times, make
  one request. One INSERT ... ON CONFLICT DO NOTHING per attempt; a clash on the random reference retries.
- Every change writes a history row in the same transaction (who, when, from, to, note).
- The citizen's notification of an opening or a status change is recorded in the change's own transaction when
  the caller gives an `outbox` (api.channels.notify.Outbox): committed with the change or not at all; the
  caller tries it after the commit (`outbox.deliver`). Likewise the workflow's recorders on entering it.
- Archived requests are protected by the database (see models.py); its refusal surfaces as `ArchivedError`.
- A request in the complaint workflow (`stage` set), or a correction of one, never changes status here: only
  api.crud.complaints' checked transitions move it (`UnderWorkflowError`). Notes and call-backs only add
  history rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.complaints import enters_workflow, entry_event, entry_values, record_hooks, run_hooks
from api.crud import complaints
from api.models import RequestEvent, RequestRow
from api.request_config import RequestConfig
from api.request_rules import OPEN_STATUSES, due_at, may_move, new_reference, request_type_for
from api.schemas.calls import CallCreate
from api.schemas.requests import (
    CorrectionCreate,
    DispositionCreate,
    NoteCreate,
    PortalRequestCreate,
    RequestCreate,
    StatusChange,
    VoicemailRequestCreate,
)
from api.security.access import RequestScope
from callcenter.records import Outcome, Route
from callcenter.requests import RequestStatus

if TYPE_CHECKING:
    from api.channels.notify import Outbox

REFERENCE_ATTEMPTS = 8
# The channel a request came through, when its opener did not say (issue 17 B; api.channels).
CHANNEL_OF_SOURCE = {"voicemail": "phone", "disposition": "phone", "portal": "web", "email": "email",
                     "chat": "chat", "paper": "paper"}  # fmt: skip


class ArchivedError(Exception):
    """PostgreSQL refused to change an archived request."""


class TransitionError(Exception):
    """The requested status does not follow from the current one."""


class UnderWorkflowError(TransitionError):
    """The request follows the complaint workflow: its status moves only with the workflow's own transitions."""


async def open_request(
    session: AsyncSession, *, config: RequestConfig, request_in: RequestCreate, now: datetime,
    outbox: Outbox | None = None,
) -> RequestRow:  # fmt: skip
    """Create the request (or find the one already made from the same origin: no new acknowledgement) and commit,
    with its acknowledgement when given an outbox."""
    kind = request_type_for(config.callcenter, request_in.request_type)
    for _attempt in range(REFERENCE_ATTEMPTS):
        values = request_in.model_dump(exclude={"request_type"}) | {
            "reference": new_reference(),
            "request_type": int(kind.digit) if kind.digit.isdigit() else 0,
            "type_key": kind.key,
            "status": RequestStatus.NEW.value,
            "archived": kind.archived,
            "due_at": due_at(config.calendar, kind, request_in.created_at),
            "updated_at": now,
            "channel": request_in.channel or CHANNEL_OF_SOURCE.get(request_in.source, ""),  # issue 17 B
        }
        entering = enters_workflow(config.callcenter.complaints, type_key=kind.key, source=request_in.source)
        if entering:
            values |= entry_values(config.callcenter, config.department_calendars, type_key=kind.key,
                                   channel=values["channel"], category=request_in.category,
                                   language=request_in.language, service=request_in.service,
                                   created_at=request_in.created_at)  # fmt: skip
        inserted = await session.scalar(
            insert(RequestRow).values(values).on_conflict_do_nothing().returning(RequestRow.id)
        )
        if inserted is not None:
            _history(session, inserted, at=now, actor=request_in.created_by, action="created",
                     to_status=RequestStatus.NEW.value, note=f"from {request_in.source}")  # fmt: skip
            if entering:
                complaints.record_entry(session, request_id=inserted, values=values, now=now)
            created = await session.get(RequestRow, inserted)
            assert created is not None
            event = entry_event(created) if entering else None
            try:
                later = await record_hooks(config.record_transition, session, event) if event is not None else []
                if outbox is not None:
                    await outbox.acknowledge(session, request=created, now=now)
            except Exception:
                await session.rollback()
                raise
            await session.commit()
            if event is not None:
                await run_hooks(config.on_transition, event, later)
            return created
        if request_in.origin_key is not None:
            existing = await session.scalar(select(RequestRow).where(RequestRow.origin_key == request_in.origin_key))
            if existing is not None:
                await session.commit()
                return existing
    raise RuntimeError("could not allocate a unique reference")  # 8 random digits: practically unreachable


def _history(
    session: AsyncSession,
    request_id: int,
    *,
    at: datetime,
    actor: str,
    action: str,
    note: str,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    """The history row of a change, added to the change's own transaction."""
    session.add(RequestEvent(request_id=request_id, at=at, actor=actor, action=action, from_status=from_status,
                             to_status=to_status, note=note))  # fmt: skip


def voicemail_origin(linkedid: str) -> str:
    return f"voicemail:{linkedid}"


async def open_for_voicemail(
    session: AsyncSession,
    *,
    config: RequestConfig,
    voicemail_in: VoicemailRequestCreate,
    created_by: str,
    now: datetime,
) -> RequestRow:
    """The request of a message just recorded (the same one however often asked)."""
    request_in = RequestCreate(
        source="voicemail",
        origin_key=voicemail_origin(voicemail_in.linkedid),
        # the type the caller chose counts only if they reached the queue (after hours they chose none)
        request_type=voicemail_in.request_type if voicemail_in.route == Route.QUEUE else None,
        language=voicemail_in.language,
        service=config.service_for(voicemail_in.dialed_number),
        caller_number=voicemail_in.caller_number,
        linkedid=voicemail_in.linkedid,
        voicemail_path=voicemail_in.voicemail_path,
        created_at=voicemail_in.at,
        created_by=created_by,
    )
    return await open_request(session, config=config, request_in=request_in, now=now)


async def open_from_disposition(
    session: AsyncSession,
    *,
    config: RequestConfig,
    disposition_in: DispositionCreate,
    created_by: str,
    now: datetime,
) -> RequestRow:
    """The request of an agent's disposition (once per call when the call is named)."""
    request_in = RequestCreate(
        **disposition_in.model_dump(),  # its fields are RequestCreate's, by name
        source="disposition",
        origin_key=f"disposition:{disposition_in.linkedid}" if disposition_in.linkedid else None,
        created_at=now,
        created_by=created_by,
    )
    return await open_request(session, config=config, request_in=request_in, now=now)


async def open_from_portal(
    session: AsyncSession, *, config: RequestConfig, portal_in: PortalRequestCreate, now: datetime,
    outbox: Outbox | None = None,
) -> RequestRow:  # fmt: skip
    """The request of the web portal's form (acknowledged in its transaction when given an outbox)."""
    request_in = RequestCreate(**portal_in.model_dump(), source="portal", created_at=now, created_by="portal")
    return await open_request(session, config=config, request_in=request_in, now=now, outbox=outbox)


async def open_for_voicemail_records(
    session: AsyncSession, *, config: RequestConfig, records: Sequence[CallCreate], actor: str, now: datetime
) -> list[RequestRow]:
    """A request for every stored call that left a message (after hours, or after the queue timed out)."""
    opened = []
    for record in records:
        if record.outcome is not Outcome.VOICEMAIL or not record.voicemail_path:
            continue
        voicemail_in = VoicemailRequestCreate(
            linkedid=record.linkedid,
            caller_number=record.caller_number,
            dialed_number=record.dialed_number,
            language=record.language,
            request_type=record.request_type,
            voicemail_path=record.voicemail_path,
            route=record.route,
            at=record.started_at,
        )  # the same fields, checked alike (callcenter.records.CallRecord)
        opened.append(
            await open_for_voicemail(session, config=config, voicemail_in=voicemail_in, created_by=actor, now=now)
        )
    return opened


async def by_reference(session: AsyncSession, *, reference: str) -> RequestRow | None:
    if not (reference.isascii() and reference.isdigit() and len(reference) <= 12):
        return None
    return await session.scalar(select(RequestRow).where(RequestRow.reference == reference))


async def change_status(
    session: AsyncSession, *, request: RequestRow, status_in: StatusChange, actor: str, now: datetime,
    outbox: Outbox | None = None,
) -> RequestRow:  # fmt: skip
    """The plain status move of a request outside the complaint workflow (`UnderWorkflowError` for one in it:
    api.routes.requests says why it is refused rather than mapped), with the citizen's notification in its
    transaction when given an outbox."""
    target, note = status_in.status, status_in.note
    if request.stage is not None:
        raise UnderWorkflowError(
            f"request {request.reference} follows the complaint workflow (stage {request.stage}): its status "
            f"follows the workflow; move it with POST /complaints/{request.reference}/transitions"
        )
    corrected = await _corrected_in_workflow(session, request=request)
    if corrected is not None:  # a correction restates its original, whose workflow goes on (api.complaints)
        raise UnderWorkflowError(
            f"request {request.reference} corrects request {corrected}, which follows the complaint workflow: "
            f"move that one with POST /complaints/{corrected}/transitions"
        )
    current = RequestStatus(request.status)
    if not may_move(current, target):
        raise TransitionError(f"a request that is {current.value} cannot become {target.value}")
    request.status = target.value
    request.updated_at = now
    if target is RequestStatus.ANSWERED and request.answered_at is None:
        request.answered_at = now  # the first answer counts for "answered on time"
    if target is RequestStatus.CLOSED:
        request.closed_at = now
    _history(session, request.id, at=now, actor=actor, action="status", from_status=current.value,
             to_status=target.value, note=note)  # fmt: skip
    if outbox is not None:
        try:
            await outbox.transition(session, request=request, old=current.value, new=target.value, comment=note,
                                    now=now)  # fmt: skip
        except Exception:
            await session.rollback()
            raise
    await _commit(session)
    return request


async def _corrected_in_workflow(session: AsyncSession, *, request: RequestRow) -> str | None:
    """The reference of the request `request` corrects, when that one is in the complaint workflow."""
    if request.corrects_id is None:
        return None
    query = select(RequestRow.reference).where(RequestRow.id == request.corrects_id, RequestRow.stage.is_not(None))
    return await session.scalar(query)


async def workflow_reference(session: AsyncSession, *, request: RequestRow) -> str | None:
    """The request whose complaint workflow moves `request`: itself, the one it corrects, or None (plain status)."""
    if request.stage is not None:
        return request.reference
    return await _corrected_in_workflow(session, request=request)


async def add_note(
    session: AsyncSession, *, request: RequestRow, note_in: NoteCreate, actor: str, now: datetime
) -> None:
    _history(session, request.id, at=now, actor=actor, action="note", note=note_in.note)
    await _commit(session)


async def correct(
    session: AsyncSession,
    *,
    config: RequestConfig,
    original: RequestRow,
    correction_in: CorrectionCreate,
    actor: str,
    now: datetime,
) -> RequestRow:
    """A correction of an (archived) request: a new request pointing at it; the original stays as it was."""
    request_in = RequestCreate(
        source="correction",
        request_type=original.request_type,
        language=original.language,
        service=original.service,
        caller_number=original.caller_number,
        contact=original.contact,
        description=correction_in.description,
        linkedid=original.linkedid,
        corrects_id=original.id,
        created_at=now,
        created_by=actor,
    )
    created = await open_request(session, config=config, request_in=request_in, now=now)
    _history(session, original.id, at=now, actor=actor, action="corrected", note=f"corrected by {created.reference}")
    await _commit(session)
    return created


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except DBAPIError as error:
        await session.rollback()
        if "archived" in str(error.orig):
            raise ArchivedError(str(error.orig)) from error
        raise


async def history(session: AsyncSession, *, request_id: int) -> list[RequestEvent]:
    query = select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
    return list((await session.scalars(query)).all())


async def reference_of(session: AsyncSession, *, request_id: int | None) -> str | None:
    if request_id is None:
        return None
    return await session.scalar(select(RequestRow.reference).where(RequestRow.id == request_id))


async def list_requests(
    session: AsyncSession,
    *,
    open_only: bool,
    due_before: datetime | None,
    due_after: datetime | None,
    limit: int,
    statuses: Sequence[RequestStatus] = (),
    request_type: int | None = None,
    languages: Sequence[str] = (),
    scope: RequestScope | None = None,
) -> list[RequestRow]:
    """Requests ordered by deadline; open ones only (or those in `statuses`), within a deadline window, of a
    type and in languages, when asked; only those `scope` admits when given (api.security.access)."""
    query = select(RequestRow)
    if scope is not None:
        query = query.where(
            or_(RequestRow.created_by == scope.creator, RequestRow.language.in_(sorted(scope.languages)))
        )
    if statuses:
        query = query.where(RequestRow.status.in_([s.value for s in statuses]))
    elif open_only:
        query = query.where(RequestRow.status.in_([s.value for s in OPEN_STATUSES]))
    if request_type is not None:
        query = query.where(RequestRow.request_type == request_type)
    if languages:
        query = query.where(RequestRow.language.in_(list(languages)))
    if due_before is not None:
        query = query.where(RequestRow.due_at < due_before)
    if due_after is not None:
        query = query.where(RequestRow.due_at >= due_after)
    query = query.order_by(RequestRow.due_at, RequestRow.id).limit(limit)
    return list((await session.scalars(query)).all())

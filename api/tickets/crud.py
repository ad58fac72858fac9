"""Database operations on requests, keyword-only, each given its session and the current time.

Rules:
- Opening a request is idempotent on its origin (`origin_key`, e.g. "voicemail:<linkedid>"): the voicemail flow
  asking for a reference and the call record arriving later, in either order and any number of times, make
  one request. One INSERT ... ON CONFLICT DO NOTHING per attempt; a clash on the random reference retries.
- Every change writes a history row in the same transaction (who, when, from, to, note).
- Archived requests are protected by the database (see models.py); its refusal surfaces as `ArchivedError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.tickets.desk import RequestDesk
from api.tickets.models import RequestEvent, ServiceRequest
from api.tickets.rules import OPEN_STATUSES, due_at, may_move, new_reference, request_type_for
from ivr.records import CallRecord, Outcome, Route
from ivr.tickets import RequestStatus

REFERENCE_ATTEMPTS = 8


class ArchivedError(Exception):
    """PostgreSQL refused to change an archived request."""


class TransitionError(Exception):
    """The requested status does not follow from the current one."""


@dataclass(frozen=True)
class NewRequest:
    source: str
    request_type: int | None
    created_at: datetime
    created_by: str
    origin_key: str | None = None
    language: str | None = None
    service: str = ""
    caller_number: str = ""
    contact: str = ""
    description: str = ""
    linkedid: str | None = None
    voicemail_path: str | None = None
    corrects_id: int | None = None


async def open_request(session: AsyncSession, *, desk: RequestDesk, new: NewRequest, now: datetime) -> ServiceRequest:
    """Create the request (or find the one already made from the same origin) and commit."""
    kind = request_type_for(desk.callcenter, new.request_type)
    for _attempt in range(REFERENCE_ATTEMPTS):
        values = {
            "reference": new_reference(),
            "origin_key": new.origin_key,
            "source": new.source,
            "request_type": int(kind.digit) if kind.digit.isdigit() else 0,
            "type_key": kind.key,
            "language": new.language,
            "service": new.service,
            "caller_number": new.caller_number,
            "contact": new.contact,
            "description": new.description,
            "linkedid": new.linkedid,
            "voicemail_path": new.voicemail_path,
            "status": RequestStatus.NEW.value,
            "archived": kind.archived,
            "corrects_id": new.corrects_id,
            "created_by": new.created_by,
            "created_at": new.created_at,
            "due_at": due_at(desk.calendar, kind, new.created_at),
            "updated_at": now,
        }
        inserted = await session.scalar(
            insert(ServiceRequest).values(values).on_conflict_do_nothing().returning(ServiceRequest.id)
        )
        if inserted is not None:
            session.add(
                RequestEvent(
                    request_id=inserted,
                    at=now,
                    actor=new.created_by,
                    action="created",
                    from_status=None,
                    to_status=RequestStatus.NEW.value,
                    note=f"from {new.source}",
                )
            )
            await session.commit()
            created = await session.get(ServiceRequest, inserted)
            assert created is not None
            return created
        if new.origin_key is not None:
            existing = await session.scalar(select(ServiceRequest).where(ServiceRequest.origin_key == new.origin_key))
            if existing is not None:
                await session.commit()
                return existing
    raise RuntimeError("could not allocate a unique reference")  # 8 random digits: practically unreachable


def voicemail_origin(linkedid: str) -> str:
    return f"voicemail:{linkedid}"


async def open_for_voicemail_records(
    session: AsyncSession, *, desk: RequestDesk, records: Sequence[CallRecord], actor: str, now: datetime
) -> list[ServiceRequest]:
    """A request for every stored call that left a message (after hours, or after the queue timed out)."""
    opened = []
    for record in records:
        if record.outcome is not Outcome.VOICEMAIL or not record.voicemail_path:
            continue
        new = NewRequest(
            source="voicemail",
            origin_key=voicemail_origin(record.linkedid),
            request_type=record.request_type if record.route is Route.QUEUE else None,
            language=record.language,
            service=desk.service_for(record.dialed_number),
            caller_number=record.caller_number,
            linkedid=record.linkedid,
            voicemail_path=record.voicemail_path,
            created_at=record.started_at,
            created_by=actor,
        )
        opened.append(await open_request(session, desk=desk, new=new, now=now))
    return opened


async def by_reference(session: AsyncSession, *, reference: str) -> ServiceRequest | None:
    if not (reference.isascii() and reference.isdigit() and len(reference) <= 12):
        return None
    return await session.scalar(select(ServiceRequest).where(ServiceRequest.reference == reference))


async def change_status(
    session: AsyncSession, *, request: ServiceRequest, target: RequestStatus, actor: str, note: str, now: datetime
) -> ServiceRequest:
    current = RequestStatus(request.status)
    if not may_move(current, target):
        raise TransitionError(f"a request that is {current.value} cannot become {target.value}")
    request.status = target.value
    request.updated_at = now
    if target is RequestStatus.ANSWERED and request.answered_at is None:
        request.answered_at = now  # the first answer counts for "answered on time"
    if target is RequestStatus.CLOSED:
        request.closed_at = now
    session.add(
        RequestEvent(
            request_id=request.id, at=now, actor=actor, action="status",
            from_status=current.value, to_status=target.value, note=note,
        )
    )  # fmt: skip
    await _commit(session)
    return request


async def add_note(session: AsyncSession, *, request: ServiceRequest, actor: str, note: str, now: datetime) -> None:
    session.add(
        RequestEvent(request_id=request.id, at=now, actor=actor, action="note", from_status=None, to_status=None,
                     note=note)
    )
    await _commit(session)


async def correct(
    session: AsyncSession, *, desk: RequestDesk, original: ServiceRequest, description: str, actor: str, now: datetime
) -> ServiceRequest:
    """A correction of an (archived) request: a new request pointing at it; the original stays as it was."""
    new = NewRequest(
        source="correction",
        request_type=original.request_type,
        language=original.language,
        service=original.service,
        caller_number=original.caller_number,
        contact=original.contact,
        description=description,
        linkedid=original.linkedid,
        corrects_id=original.id,
        created_at=now,
        created_by=actor,
    )
    created = await open_request(session, desk=desk, new=new, now=now)
    session.add(
        RequestEvent(request_id=original.id, at=now, actor=actor, action="corrected", from_status=None,
                     to_status=None, note=f"corrected by {created.reference}")
    )
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
    return await session.scalar(select(ServiceRequest.reference).where(ServiceRequest.id == request_id))


async def list_requests(
    session: AsyncSession,
    *,
    open_only: bool,
    due_before: datetime | None,
    due_after: datetime | None,
    limit: int,
) -> list[ServiceRequest]:
    """Requests ordered by deadline; open ones only, and within a deadline window, when asked."""
    query = select(ServiceRequest)
    if open_only:
        query = query.where(ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]))
    if due_before is not None:
        query = query.where(ServiceRequest.due_at < due_before)
    if due_after is not None:
        query = query.where(ServiceRequest.due_at >= due_after)
    query = query.order_by(ServiceRequest.due_at, ServiceRequest.id).limit(limit)
    return list((await session.scalars(query)).all())

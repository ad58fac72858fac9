"""Database operations of the channels (issue 17 B), keyword-only, each given its session and the time.

Rules:
- Every e-mail received is stored raw first, whatever becomes of it (request, reply, refused, ignored).
- A message delivered twice (the same Message-ID: a sender retrying after a lost 250) makes one request: its
  origin key is "email:<Message-ID>" (api.crud.requests.open_request is idempotent on it).
- A reply is threaded onto its request as a history note ("email") with its attachments; an archived request
  takes replies too (its history and files are appended to, its content never changes).
- Attachments are stored as checked (api.channels.attachments), never as sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.attachments import CheckedAttachment
from api.channels.mail_intake import ParsedMail
from api.channels.models import MailMessage, RequestAttachment, RequestSatisfaction
from api.crud.requests import by_reference, open_request
from api.models import RequestEvent, RequestRow
from api.request_config import RequestConfig
from api.schemas.channels import AttachmentPublic, PortalTracking
from api.schemas.requests import RequestCreate
from api.workflow_models import WorkflowEvent
from callcenter.workflow import Stage

if TYPE_CHECKING:
    from api.channels.notify import Outbox


async def store_inbound(
    session: AsyncSession,
    *,
    raw: bytes,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    message_id: str,
    outcome: str,
    reason: str = "",
    now: datetime,
) -> MailMessage:
    """The raw message, committed before anything else is done with it."""
    row = MailMessage(direction="in", message_id=message_id[:256], sender=sender[:256],
                      recipients=", ".join(recipients)[:4000], subject=subject[:400], outcome=outcome,
                      reason=reason, raw=raw, at=now)  # fmt: skip
    session.add(row)
    await session.commit()
    return row


async def thread_of(session: AsyncSession, *, mail: ParsedMail) -> RequestRow | None:
    """The request a message answers: by its subject's tag, else by the messages it replies to."""
    if mail.reference is not None:
        found = await by_reference(session, reference=mail.reference)
        if found is not None:
            return found
    if mail.thread_ids:
        request_id = await session.scalar(
            select(MailMessage.request_id)
            .where(MailMessage.message_id.in_(list(mail.thread_ids)), MailMessage.request_id.is_not(None))
            .order_by(MailMessage.id.desc())
            .limit(1)
        )
        if request_id is not None:
            return await session.get(RequestRow, request_id)
    return None


async def open_from_mail(
    session: AsyncSession,
    *,
    config: RequestConfig,
    mail: ParsedMail,
    stored: MailMessage,
    request_type: int | None,
    language: str | None,
    now: datetime,
    outbox: Outbox | None = None,
) -> RequestRow:
    """The request of a new message, with its attachments; the stored message is linked to it (acknowledged in the
    opening's transaction when given an outbox: api.crud.requests.open_request)."""
    description = "\n\n".join(part for part in (mail.subject, mail.text) if part)[:4000]
    request_in = RequestCreate(
        source="email", channel="email", request_type=request_type, created_at=now, created_by="email",
        origin_key=f"email:{mail.message_id}"[:160] if mail.message_id else None, language=language,
        contact=mail.sender, description=description,
    )  # fmt: skip
    request = await open_request(session, config=config, request_in=request_in, now=now, outbox=outbox)
    await link_mail(session, stored=stored, request=request, outcome="request")
    if not await _has_attachments(session, request_id=request.id):  # a redelivery adds nothing twice
        add_attachments(session, request=request, files=mail.attachments, origin="email", actor="email", now=now)
    await session.commit()
    return request


async def thread_reply(
    session: AsyncSession, *, request: RequestRow, mail: ParsedMail, stored: MailMessage, now: datetime
) -> None:
    """A citizen's reply: a note in the request's history, its attachments kept."""
    names = ", ".join(item.filename for item in mail.attachments)
    note = f"e-mail from {mail.sender}: {mail.text}" + (f"\n[attachments: {names}]" if names else "")
    session.add(RequestEvent(request_id=request.id, at=now, actor=f"email:{mail.sender}"[:128], action="email",
                             note=note[:8000]))  # fmt: skip
    add_attachments(session, request=request, files=mail.attachments, origin="email", actor="email", now=now)
    await link_mail(session, stored=stored, request=request, outcome="reply")
    await session.commit()


async def link_mail(session: AsyncSession, *, stored: MailMessage, request: RequestRow, outcome: str) -> None:
    await session.execute(
        update(MailMessage).where(MailMessage.id == stored.id).values(request_id=request.id, outcome=outcome)
    )


async def _has_attachments(session: AsyncSession, *, request_id: int) -> bool:
    query = select(RequestAttachment.id).where(RequestAttachment.request_id == request_id).limit(1)
    found = await session.scalar(query)
    return found is not None


def add_attachments(
    session: AsyncSession,
    *,
    request: RequestRow,
    files: Iterable[CheckedAttachment],
    origin: str,
    actor: str,
    now: datetime,
) -> None:
    """Add checked files to the request, in the caller's transaction."""
    for item in files:
        session.add(RequestAttachment(request_id=request.id, origin=origin, filename=item.filename,
                                      media_type=item.media_type, size=item.size, sha256=item.sha256,
                                      content=item.content, created_by=actor[:128], created_at=now))  # fmt: skip


async def attachments_of(session: AsyncSession, *, request_id: int) -> list[AttachmentPublic]:
    """The request's files, described (their content is read only when one is opened)."""
    query = (
        select(RequestAttachment.id, RequestAttachment.origin, RequestAttachment.filename,
               RequestAttachment.media_type, RequestAttachment.size, RequestAttachment.created_by,
               RequestAttachment.created_at)
        .where(RequestAttachment.request_id == request_id)
        .order_by(RequestAttachment.id)
    )  # fmt: skip
    return [AttachmentPublic.model_validate(row) for row in (await session.execute(query)).all()]


async def attachment(session: AsyncSession, *, request_id: int, attachment_id: int) -> RequestAttachment | None:
    found = await session.get(RequestAttachment, attachment_id)
    return found if found is not None and found.request_id == request_id else None


ANSWER_PUBLIC_STAGES = (Stage.ANSWER_APPROVED, Stage.CLOSED)


async def tracking(session: AsyncSession, *, reference: str) -> PortalTracking | None:
    """The public facts of a request; a malformed reference costs the same query as an unknown one."""
    wellformed = reference.isascii() and reference.isdigit() and len(reference) <= 12
    found = await session.scalar(select(RequestRow).where(RequestRow.reference == (reference if wellformed else "")))
    if found is None:
        return None
    answer = found.answer if found.stage in ANSWER_PUBLIC_STAGES and found.answer else None
    return PortalTracking(reference=found.reference, request_type=found.request_type, type_key=found.type_key,
                          status=found.status, stage=found.stage, received_at=found.created_at,
                          due_at=found.answer_due_at or found.due_at, answered_at=found.answered_at,
                          closed_at=found.closed_at, answer=answer)  # fmt: skip


async def answer_satisfaction(
    session: AsyncSession, *, request: RequestRow, token: str, rating: int, comment: str, now: datetime
) -> bool:
    """Record the citizen's answer; False when the token is not this request's current one or it was answered."""
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    result = await session.execute(
        update(RequestSatisfaction)
        .where(RequestSatisfaction.request_id == request.id, RequestSatisfaction.token_hash == token_hash,
               RequestSatisfaction.answered_at.is_(None))
        .values(rating=rating, comment=comment, answered_at=now)
        .returning(RequestSatisfaction.request_id)
    )  # fmt: skip
    answered = result.first() is not None
    if answered:  # the one figure the complaint dashboards read (requests.satisfaction; a reopening clears it)
        await session.execute(
            update(RequestRow).where(RequestRow.id == request.id).values(satisfaction=rating, updated_at=now)
        )
        if request.stage is not None:
            session.add(WorkflowEvent(request_id=request.id, reference=request.reference, at=now, actor="citizen",
                                      capacity="citizen", action="rate", from_stage=request.stage,
                                      to_stage=request.stage, department=request.department,
                                      assignee=request.assignee, comment=f"{rating}/5"))  # fmt: skip
    await session.commit()
    return answered


async def open_with_files(
    session: AsyncSession,
    *,
    config: RequestConfig,
    request_in: RequestCreate,
    files: Sequence[CheckedAttachment],
    origin: str,
    now: datetime,
    outbox: Outbox | None = None,
) -> RequestRow:
    """A request from the web form or the desk's paper mail, with its checked photos or scans (acknowledged in the
    opening's transaction when given an outbox)."""
    request = await open_request(session, config=config, request_in=request_in, now=now, outbox=outbox)
    add_attachments(session, request=request, files=files, origin=origin, actor=request_in.created_by, now=now)
    await session.commit()
    return request

"""Retention of what the channels (issue 17) keep about citizens: request attachments, every e-mail in and out,
the notifications sent to citizens, and the rate-limit and sign-in-failure counters keyed by address. Called by
api.crud.retention.purge, in its transaction and under its lock.

Rules:
- "Done with" is the request rule of api.crud.retention: not archived and no longer open (answered or closed),
  and created before the cut-off. What hangs on such a request follows it:
  - on the recordings' schedule: its attachments (photos, scans, mail attachments) are deleted, and the raw
    bytes of its e-mails (which carry the same attachments) are emptied; a file is a message from the citizen,
    as a voice message is, and no report reads one;
  - on the numbers' schedule: its e-mails lose their addresses, subject and reason (and raw bytes, if still
    there), its notifications their recipient, body and last error. The rows stay (direction, outcome, instants,
    Message-ID, kind, channel, tries): threading, counts and delivery figures do not change.
- Archived requests (complaints) are the legal archive: their attachments, e-mails and notifications are kept
  whole, as their recording and contact are (api.crud.retention). Open requests keep everything while worked.
  A notification still to be tried (`next_try_at` set) is never scrubbed.
- Mail that made no request (refused or hostile, the quarantine; automatic mail; a message whose processing
  failed and was sent again) is deleted whole after `quarantine_before`: nobody is served by it any more.
- Rate-limit rows past their window and sign-in failures older than twice their window (the rule of
  api.crud.login_limits) are deleted: they hold client addresses and usernames and count nothing any more.
  These run last, skipping rows another process holds, so the job holds their locks only briefly.
- Not changed here, and why: the request history (`request_events`: chat transcripts, e-mail replies noted as
  "e-mail from <address>") and the workflow history are append-only by their triggers (migrations 0003, 0014),
  which this job does not weaken; a request's description, answer, place and satisfaction comment are its
  content, not contact data (free text is not scanned, as in api.crud.retention).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, Select, and_, delete, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.models import CitizenNotification, MailMessage, RequestAttachment
from api.crud import rate_limits
from api.models import LoginFailure, RequestRow
from api.request_rules import OPEN_STATUSES

RATE_LIMIT_BATCH = 1_000_000  # rows past it go the next day


@dataclass(frozen=True)
class ChannelCounts:
    attachments_removed: int = 0
    mail_raw_cleared: int = 0
    mail_addresses_cleared: int = 0
    mail_quarantine_removed: int = 0
    notifications_scrubbed: int = 0


def _count(result: object) -> int:
    return int(cast(CursorResult[object], result).rowcount or 0)


def done_with(before: datetime) -> Select[int]:
    """The ids of requests created before `before` that are neither archived nor open."""
    closed = and_(*(RequestRow.status != status.value for status in OPEN_STATUSES))
    return select(RequestRow.id).where(RequestRow.created_at < before, ~RequestRow.archived, closed)


async def purge_channels(
    session: AsyncSession, *, recordings_before: datetime, numbers_before: datetime, quarantine_before: datetime
) -> ChannelCounts:
    attachments = _count(
        await session.execute(
            delete(RequestAttachment).where(RequestAttachment.request_id.in_(done_with(recordings_before)))
        )
    )
    raw = _count(
        await session.execute(
            update(MailMessage)
            .where(MailMessage.request_id.in_(done_with(recordings_before)), MailMessage.raw != b"")
            .values(raw=b"")
        )
    )
    mail_left = or_(
        MailMessage.sender != "", MailMessage.recipients != "", MailMessage.subject != "", MailMessage.reason != "",
        MailMessage.raw != b"",
    )  # fmt: skip
    addresses = _count(
        await session.execute(
            update(MailMessage)
            .where(MailMessage.request_id.in_(done_with(numbers_before)), mail_left)
            .values(sender="", recipients="", subject="", reason="", raw=b"")
        )
    )
    quarantine = _count(
        await session.execute(
            delete(MailMessage).where(MailMessage.request_id.is_(None), MailMessage.at < quarantine_before)
        )
    )
    told = CitizenNotification
    told_left = or_(told.recipient != "", told.body != "", told.error != "")
    notifications = _count(
        await session.execute(
            update(CitizenNotification)
            .where(
                CitizenNotification.request_id.in_(done_with(numbers_before)),
                CitizenNotification.next_try_at.is_(None),
                told_left,
            )
            .values(recipient="", body="", error="")
        )
    )
    return ChannelCounts(attachments, raw, addresses, quarantine, notifications)


async def expire_counters(session: AsyncSession, *, now: datetime, login_failures_before: datetime) -> tuple[int, int]:
    """(rate-limit rows, sign-in failure rows) deleted."""
    limits = await rate_limits.expire(session, now=now, batch=RATE_LIMIT_BATCH)
    stale = (
        select(LoginFailure.scope, LoginFailure.key)
        .where(LoginFailure.window_started_at < login_failures_before)
        .with_for_update(skip_locked=True)
    )
    failures = _count(
        await session.execute(delete(LoginFailure).where(tuple_(LoginFailure.scope, LoginFailure.key).in_(stale)))
    )
    return limits, failures

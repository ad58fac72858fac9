"""Retention in PostgreSQL: forget recordings, pseudonymise caller numbers, expire audit entries, all older than
the cut-offs given (api.retention computes them from the settings and the time passed in); what the channels keep
(attachments, e-mails, notifications, rate-limit counters) follows api.crud.retention_channels in the same run.

Rules:
- One transaction under a PostgreSQL advisory lock (`pg_try_advisory_xact_lock`): a second process that tries
  meanwhile gets None and does nothing. Every step is idempotent, so a later run (the next day, or a cron run
  after the API's own) finds nothing left and changes nothing.
- Recording files are removed (by the caller's `remove_files`) before the references are cleared and
  committed: if the commit fails the references stay and the next run removes them again; the other order
  could leave a file nobody points at, kept forever.
- Only columns that identify a caller change (numbers, names, contacts, recording references; the number an agent's
  disposition noted is pseudonymised as the call's is); counts,
  outcomes, instants, durations, languages, queues and services stay, so every report (ministry report,
  summaries, hourly rollups) answers the same before and after.
- Archived requests (complaints) are the legal archive: the database refuses any change to them
  (migration 0003), so they keep their number, contact and recording, and a recording file an archived
  request points at is kept even when the call that made it is purged.
- Open requests (new, in progress) are still being worked: they keep their contact until they are answered.
- Free text (a request's description, history notes) is not scanned: what a citizen or an agent wrote there is
  the request's content, kept with it.
- Audit entries expire too (after their own, longer period): DELETE is allowed by migration 0009's trigger only
  inside this transaction (`ivr.audit_purge`); UPDATE never.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, Table, and_, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.retention_channels import expire_counters, purge_channels
from api.models import (
    OPEN_CALLBACK_STATUSES,
    AuditEntry,
    Call,
    CallbackRow,
    CallerLanguage,
    DispositionRow,
    RequestRow,
)
from api.request_rules import OPEN_STATUSES

LOCK_KEY = 0x1772_0009  # pg advisory lock id of the retention job (any fixed bigint unique to this job)
PSEUDONYM_PREFIX = "anon"
CALLER_FIELDS = ("CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName")  # in AMI queue events
_CALLS = cast(Table, Call.__table__)
_REQUESTS = cast(Table, RequestRow.__table__)
_CALLBACKS = cast(Table, CallbackRow.__table__)
_DISPOSITIONS = cast(Table, DispositionRow.__table__)


@dataclass(frozen=True)
class Cutoffs:
    recordings_before: datetime
    numbers_before: datetime
    audit_before: datetime
    quarantine_before: datetime  # mail that made no request
    login_failures_before: datetime
    now: datetime  # rate-limit rows past their window go


@dataclass(frozen=True)
class RetentionReport:
    files_removed: int = 0
    call_recordings: int = 0
    request_recordings: int = 0
    numbers_pseudonymised: int = 0  # distinct numbers, in calls, requests, callbacks and dispositions
    languages_forgotten: int = 0
    queue_events_scrubbed: int = 0
    audit_expired: int = 0
    # api.crud.retention_channels
    attachments_removed: int = 0
    mail_raw_cleared: int = 0
    mail_addresses_cleared: int = 0
    mail_quarantine_removed: int = 0
    notifications_scrubbed: int = 0
    rate_limits_expired: int = 0
    login_failures_expired: int = 0


def _count(result: object) -> int:
    return int(cast(CursorResult[object], result).rowcount or 0)


async def purge(
    session: AsyncSession,
    *,
    cutoffs: Cutoffs,
    pseudonym: Callable[[str], str],
    remove_files: Callable[[Sequence[str]], Awaitable[int]],
) -> RetentionReport | None:
    """Apply retention once; None when another process holds the job's lock (it is doing the same work)."""
    locked = await session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY)))
    if not locked:
        await session.rollback()
        return None
    files_removed, call_recordings, request_recordings = await _forget_recordings(
        session, before=cutoffs.recordings_before, remove_files=remove_files
    )
    numbers = await _pseudonymise(session, before=cutoffs.numbers_before, pseudonym=pseudonym)
    channels = await purge_channels(
        session,
        recordings_before=cutoffs.recordings_before,
        numbers_before=cutoffs.numbers_before,
        quarantine_before=cutoffs.quarantine_before,
    )
    await session.execute(text("SELECT set_config('ivr.audit_purge', 'on', true)"))
    audit_expired = _count(await session.execute(delete(AuditEntry).where(AuditEntry.at < cutoffs.audit_before)))
    limits, failures = await expire_counters(
        session, now=cutoffs.now, login_failures_before=cutoffs.login_failures_before
    )
    await session.commit()
    return RetentionReport(
        files_removed,
        call_recordings,
        request_recordings,
        *numbers,
        audit_expired=audit_expired,
        **vars(channels),
        rate_limits_expired=limits,
        login_failures_expired=failures,
    )


async def _forget_recordings(
    session: AsyncSession, *, before: datetime, remove_files: Callable[[Sequence[str]], Awaitable[int]]
) -> tuple[int, int, int]:
    archived = select(RequestRow.voicemail_path).where(RequestRow.archived, RequestRow.voicemail_path.is_not(None))
    kept = RequestRow.voicemail_path.not_in(archived)
    old_calls = (Call.started_at < before, Call.voicemail_path.is_not(None))
    old_requests = (RequestRow.created_at < before, RequestRow.voicemail_path.is_not(None), ~RequestRow.archived)
    paths = set((await session.scalars(select(Call.voicemail_path).where(*old_calls))).all())
    paths |= set((await session.scalars(select(RequestRow.voicemail_path).where(*old_requests))).all())
    paths -= set((await session.scalars(archived)).all())
    files_removed = await remove_files(sorted(path for path in paths if path))
    calls = _count(await session.execute(update(Call).where(*old_calls).values(voicemail_path=None)))
    requests = _count(await session.execute(update(RequestRow).where(*old_requests, kept).values(voicemail_path=None)))
    return files_removed, calls, requests


def is_pseudonym(number: str) -> bool:
    return number.startswith(PSEUDONYM_PREFIX)


async def _pseudonymise(
    session: AsyncSession, *, before: datetime, pseudonym: Callable[[str], str]
) -> tuple[int, int, int]:
    """Returns (distinct numbers pseudonymised, remembered languages forgotten, queue events scrubbed)."""
    old_calls = (Call.started_at < before, Call.caller_number != "", ~Call.caller_number.startswith(PSEUDONYM_PREFIX))
    numbers = set((await session.scalars(select(Call.caller_number).where(*old_calls).distinct())).all())
    # plain comparisons, not NOT IN: an expanding IN list cannot be used in the executemany below
    closed = and_(*(RequestRow.status != status.value for status in OPEN_STATUSES))
    old_requests = (RequestRow.created_at < before, ~RequestRow.archived, closed)
    requests_to_do = (
        *old_requests,
        RequestRow.caller_number != "",
        ~RequestRow.caller_number.startswith(PSEUDONYM_PREFIX),
    )
    numbers |= set((await session.scalars(select(RequestRow.caller_number).where(*requests_to_do).distinct())).all())
    old_callbacks = (
        CallbackRow.requested_at < before,
        *(CallbackRow.status != status for status in OPEN_CALLBACK_STATUSES),
        ~CallbackRow.number.startswith(PSEUDONYM_PREFIX),
    )
    numbers |= set((await session.scalars(select(CallbackRow.number).where(*old_callbacks).distinct())).all())
    old_dispositions = (
        DispositionRow.created_at < before,
        DispositionRow.caller_number != "",
        ~DispositionRow.caller_number.startswith(PSEUDONYM_PREFIX),
    )
    numbers |= set((await session.scalars(select(DispositionRow.caller_number).where(*old_dispositions))).all())
    pairs = [{"old": number, "new": pseudonym(number)} for number in sorted(numbers)]
    if pairs:
        # Each runs as one executemany over the pairs (Core tables: the ORM would try a bulk update by key).
        await session.execute(
            update(_CALLS)
            .where(_CALLS.c.caller_number == bindparam("old"), *old_calls)
            .values(caller_number=bindparam("new"), caller_name=""),
            pairs,
        )
        await session.execute(
            update(_REQUESTS)
            .where(_REQUESTS.c.caller_number == bindparam("old"), *old_requests)
            .values(caller_number=bindparam("new"), contact=""),
            pairs,
        )
        await session.execute(
            update(_CALLBACKS)
            .where(_CALLBACKS.c.number == bindparam("old"), *old_callbacks)
            .values(number=bindparam("new")),
            pairs,
        )
        await session.execute(
            update(_DISPOSITIONS)
            .where(_DISPOSITIONS.c.caller_number == bindparam("old"), *old_dispositions)
            .values(caller_number=bindparam("new")),
            pairs,
        )
    # names and contacts without a number (an anonymous call with a name, a portal request by e-mail only)
    await session.execute(update(Call).where(Call.started_at < before, Call.caller_name != "").values(caller_name=""))
    await session.execute(update(RequestRow).where(*old_requests, RequestRow.contact != "").values(contact=""))
    forgotten = _count(await session.execute(delete(CallerLanguage).where(CallerLanguage.call_started_at < before)))
    scrubbed = _count(
        await session.execute(
            text(
                "UPDATE queue_events SET payload = payload - CAST(:fields AS text[]) "
                "WHERE event_at < :before AND payload ?| CAST(:fields AS text[])"
            ),
            {"fields": list(CALLER_FIELDS), "before": before},
        )
    )
    return len(pairs), forgotten, scrubbed

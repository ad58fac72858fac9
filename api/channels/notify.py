"""Telling citizens about their request: the acknowledgement, then each status change they should know of, in
their language, on the channel they used (e-mail when they wrote from or left an address; otherwise an SMS to
their number), and on closing a satisfaction question with a link of its own.

Rules:
- A notification is part of the change that causes it: an `Outbox` records it (`acknowledge`, `transition`) in the
  change's own session and transaction, before its commit (api.crud.requests' openings and status changes; the
  complaint workflow through `transition_recorder`, RequestConfig.record_transition), so the change and its
  pending notification are committed together or not at all; a recording that fails fails the change (it rolls
  back; the database away is the route's 503), since a change that tells nobody is what this prevents. Only the
  first try runs after the commit (`Outbox.deliver`, `try_now`), and it is best effort: whatever it fails to
  send, or a process dying before it, the worker sends. Internal steps (an answer proposed, a request sent back
  to the desk) are not the citizen's business and record nothing. The sans-I/O parts (`recipient`,
  `message_text`, `text_language`) stay pure.
- Nothing is lost when the mail server or the SMS gateway is away: a notification is committed as `pending` in
  citizen_notifications (its text, recipient and, for e-mail, its Message-ID), then tried at once; a
  failed try leaves it `failed` with the error and its next try (api.channels.backoff: 1, 5, 30 min, then hourly),
  and after 48 h `given_up`. Each API process runs `run_worker` (lifespan), which tries what is due; a try claims
  its row with SELECT ... FOR UPDATE SKIP LOCKED, so two processes never send the same notification. Every try of
  one e-mail carries the same Message-ID and Date: should a process die between the server's "250" and its commit,
  the one resend is recognisably the same message. Every try of one SMS carries the same client reference
  (`sms_reference`, kept in the same column), which the gateway hands its provider as an idempotency key where
  the provider has one (api.channels.outbound says what happens where it has not). A failed mail server never
  fails the change: delivery happens after its commit.
- Staff may ask a given-up notification again (api.channels.notify_desk, api.crud.notifications): it is pending
  once more, its tries counted afresh and its 48 hours counted from `requeued_at`; its text, recipient,
  Message-ID or client reference and Date stay those of the first try.
- Texts exist in French, Arabic and English; another language gets the first of those the call center speaks.
- The satisfaction link carries a random token of which only the SHA-256 is stored; one answer per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.backoff import next_try
from api.channels.mail_intake import tagged_subject
from api.channels.models import CitizenNotification, MailMessage, RequestSatisfaction
from api.channels.outbound import LogOnlySms, MailSender, SmsGateway, SmtpSender, build_mail
from api.channels.settings import ChannelSettings
from api.complaints import AfterCommit, TransitionEvent, TransitionRecorder
from api.models import RequestRow

log = logging.getLogger(__name__)

TEXT_LANGUAGES = ("fr", "ar", "en")
# Statuses the citizen is not told about (part A's internal steps).
INTERNAL_STATUSES = frozenset({"answer_proposed", "answer_approved", "sent_back", "assigned_back"})
WORKER_INTERVAL_S = 30.0  # how often each API process looks for notifications due again

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "received": "We have received your request. Its reference is {reference}; keep it to follow it on the portal "
        "or by phone.",
        "status": "Your request {reference} is now: {label}.",
        "comment": "Message from the service: {comment}",
        "satisfaction": "Were you satisfied with how your request was handled? Tell us in one click: {link}",
        "subject": "Your request {reference}",
    },
    "fr": {
        "received": "Nous avons bien reçu votre demande. Sa référence est {reference} ; conservez-la pour la suivre "
        "sur le portail ou par téléphone.",
        "status": "Votre demande {reference} est maintenant : {label}.",
        "comment": "Message du service : {comment}",
        "satisfaction": "Êtes-vous satisfait(e) du traitement de votre demande ? Dites-le-nous en un clic : {link}",
        "subject": "Votre demande {reference}",
    },
    "ar": {
        "received": "لقد توصلنا بطلبكم. مرجعه {reference}؛ احتفظوا به لتتبعه على البوابة أو عبر الهاتف.",
        "status": "طلبكم {reference} أصبح الآن: {label}.",
        "comment": "رسالة من المصلحة: {comment}",
        "satisfaction": "هل أنتم راضون عن معالجة طلبكم؟ أخبرونا بنقرة واحدة: {link}",
        "subject": "طلبكم {reference}",
    },
}

LABELS: dict[str, dict[str, str]] = {
    "en": {"new": "received", "received": "received", "assigned": "passed to the department in charge",
           "in_progress": "being handled", "answered": "answered", "closed": "closed", "rejected": "rejected",
           "duplicate": "joined to another request on the same matter", "passed_outside": "passed to another body",
           "reopened": "reopened"},
    "fr": {"new": "reçue", "received": "reçue", "assigned": "transmise au service compétent",
           "in_progress": "en cours de traitement", "answered": "traitée (réponse envoyée)", "closed": "clôturée",
           "rejected": "rejetée", "duplicate": "rattachée à une autre demande sur le même sujet",
           "passed_outside": "transmise à un organisme extérieur", "reopened": "rouverte"},
    "ar": {"new": "مستلم", "received": "مستلم", "assigned": "أحيل على المصلحة المختصة",
           "in_progress": "قيد المعالجة", "answered": "تمت الإجابة عنه", "closed": "مغلق", "rejected": "مرفوض",
           "duplicate": "ضُمّ إلى طلب آخر في الموضوع نفسه", "passed_outside": "أحيل على جهة خارجية",
           "reopened": "أعيد فتحه"},
}  # fmt: skip


@dataclass
class Notifier:
    """How citizens are reached: outbound mail (None: not configured) and the SMS gateway."""

    mail_from: str
    portal_url: str
    mail: MailSender | None = None
    sms: SmsGateway = field(default_factory=LogOnlySms)
    languages: tuple[str, ...] = ("fr",)  # the call center's, in order: the fallback for texts

    @property
    def mail_domain(self) -> str:
        return self.mail_from.rpartition("@")[2] or "localhost"


def notifier_for(settings: ChannelSettings, languages: tuple[str, ...]) -> Notifier:
    """The notifier of the environment's settings (no IVR_SMTP_HOST: mail is not sent, each try recorded)."""
    mail = (
        SmtpSender(settings.smtp_host, settings.smtp_port, starttls=settings.smtp_starttls,
                   username=settings.smtp_username, password=settings.smtp_password)
        if settings.smtp_host else None
    )  # fmt: skip
    return Notifier(mail_from=settings.mail_address, portal_url=settings.portal_url, mail=mail, languages=languages)


def sms_reference() -> str:
    """A new SMS client reference: random, so two deployments (or a database restored over another) sharing one
    provider account never collide; 28 characters, within every provider's limit seen (Vonage: 40)."""
    return f"ivr-{secrets.token_hex(12)}"


def text_language(language: str | None, fallbacks: tuple[str, ...]) -> str:
    for candidate in (language, *fallbacks):
        if candidate in TEXT_LANGUAGES:
            return candidate
    return "en"


def message_text(kind: str, *, language: str, reference: str, comment: str = "", link: str = "") -> str:
    """The words sent for `kind` ("received" or the new status)."""
    texts = TEXTS[language]
    if kind == "received":
        lines = [texts["received"].format(reference=reference)]
    else:
        label = LABELS[language].get(kind, kind.replace("_", " "))
        lines = [texts["status"].format(reference=reference, label=label)]
    if comment.strip():
        lines.append(texts["comment"].format(comment=comment.strip()))
    if link:
        lines.append(texts["satisfaction"].format(link=link))
    return "\n\n".join(lines)


def recipient(request: RequestRow) -> tuple[str, str] | None:
    """(channel, address): e-mail when the citizen gave an address, else an SMS to their number; None: neither."""
    contact = request.contact.strip()
    if "@" in contact:
        return "email", contact
    number = contact if _phone_like(contact) else request.caller_number.strip()
    return ("sms", number) if _phone_like(number) else None


def _phone_like(value: str) -> bool:
    digits = value.replace(" ", "").replace("-", "").replace(".", "")
    return 6 <= len(digits.lstrip("+")) <= 16 and digits.lstrip("+").isdigit()


async def notifications_of(session: AsyncSession, *, request_id: int) -> list[CitizenNotification]:
    """The request's notifications, oldest first (what staff see on GET /requests/{reference})."""
    query = select(CitizenNotification).where(CitizenNotification.request_id == request_id)
    return list((await session.scalars(query.order_by(CitizenNotification.id))).all())


async def record_transition(
    session: AsyncSession,
    *,
    notifier: Notifier,
    request: RequestRow,
    old: str,
    new: str,
    comment: str,
    now: datetime,
) -> CitizenNotification | None:
    """The notification of `request` moving from `old` to `new` (nothing for internal steps), added to the move's
    transaction (not committed)."""
    if new == old or new in INTERNAL_STATUSES:
        return None
    return await record(session, notifier=notifier, request=request, kind=new, comment=comment, now=now)


async def record(
    session: AsyncSession, *, notifier: Notifier, request: RequestRow, kind: str, comment: str, now: datetime
) -> CitizenNotification | None:
    """The notification as a pending row (and, on closing, the satisfaction question) in the caller's transaction,
    flushed so it has its id; None when the citizen left no way to reach them. The caller commits it with the
    change that causes it; an error here is the change's (it rolls back)."""
    target = recipient(request)
    if target is None:
        return None
    channel, address = target
    language = text_language(request.language, notifier.languages)
    link = await _satisfaction_link(session, notifier=notifier, request=request, now=now) if kind == "closed" else ""
    body = message_text(kind, language=language, reference=request.reference, comment=comment, link=link)
    message_id = make_msgid(domain=notifier.mail_domain) if channel == "email" else sms_reference()
    row = CitizenNotification(request_id=request.id, channel=channel, recipient=address, language=language,
                              kind=kind, body=body, outcome="pending", error="", at=now, attempts=0,
                              next_try_at=now, message_id=message_id)  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def try_now(session: AsyncSession, *, notifier: Notifier, notification_id: int, now: datetime) -> bool:
    """One try, after its commit, of a notification recorded pending; False when it was no longer pending (another
    process's worker took it). Best effort: any failure is logged and left to the worker, never raised."""
    try:
        claimed = await session.scalar(
            select(CitizenNotification)
            .where(CitizenNotification.id == notification_id, CitizenNotification.outcome == "pending")
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if claimed is not None:
            await _attempt(session, notifier=notifier, row=claimed, now=now)
        await session.commit()
        return claimed is not None
    except Exception:  # the database away: the row is committed pending, the worker tries it
        log.exception("trying notification %s at once failed; the worker retries it", notification_id)
        with contextlib.suppress(Exception):  # a connection already gone has nothing to roll back
            await session.rollback()
        return False


@dataclass
class Outbox:
    """What one transaction tells the citizen: `acknowledge` and `transition` record notifications in it (before
    its commit), `deliver` tries them once it is committed (see the rules)."""

    notifier: Notifier
    recorded: list[int] = field(default_factory=list)

    async def acknowledge(self, session: AsyncSession, *, request: RequestRow, now: datetime) -> None:
        """The acknowledgement of a request just opened."""
        self._keep(await record(session, notifier=self.notifier, request=request, kind="received", comment="",
                                now=now))  # fmt: skip

    async def transition(
        self, session: AsyncSession, *, request: RequestRow, old: str, new: str, comment: str, now: datetime
    ) -> None:
        self._keep(await record_transition(session, notifier=self.notifier, request=request, old=old, new=new,
                                           comment=comment, now=now))  # fmt: skip

    async def deliver(self, session: AsyncSession, *, now: datetime) -> None:
        """Try what was recorded, once the transaction is committed (never raises; the worker retries)."""
        recorded, self.recorded = self.recorded, []
        for notification_id in recorded:
            await try_now(session, notifier=self.notifier, notification_id=notification_id, now=now)

    def _keep(self, row: CitizenNotification | None) -> None:
        if row is not None:
            self.recorded.append(row.id)


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], notifier: Notifier, *, now: datetime, limit: int = 100
) -> int:
    """Try the notifications due at `now` (pending ones left behind, failed ones whose wait is over), one per
    transaction, each claimed with FOR UPDATE SKIP LOCKED so two processes never try the same; how many were tried.
    """
    tried = 0
    while tried < limit:
        async with sessions() as session:
            row = await session.scalar(
                select(CitizenNotification)
                .where(CitizenNotification.next_try_at <= now)
                .order_by(CitizenNotification.next_try_at, CitizenNotification.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if row is None:
                return tried
            await _attempt(session, notifier=notifier, row=row, now=now)
            await session.commit()
            tried += 1
    return tried


async def run_worker(
    sessions: async_sessionmaker[AsyncSession],
    notifier: Callable[[], Notifier],
    *,
    clock: Callable[[], datetime],
    interval_s: float = WORKER_INTERVAL_S,
) -> None:
    """The API process's retry loop (its lifespan task): due notifications every `interval_s` until cancelled,
    the first round `interval_s` after start (what a dead process left pending is due by then)."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await deliver_due(sessions, notifier(), now=clock())
        except Exception:  # the database away: the next round tries again; nothing is lost, it is all in rows
            log.exception("retrying citizen notifications failed")


async def _attempt(session: AsyncSession, *, notifier: Notifier, row: CitizenNotification, now: datetime) -> None:
    """One try of a claimed notification; the row says the outcome (the caller commits)."""
    row.attempts += 1
    try:
        request = await session.get(RequestRow, row.request_id)
        if request is None:
            raise LookupError(f"request {row.request_id} no longer exists")
        if row.channel == "email":
            await _mail(session, notifier=notifier, request=request, row=row, now=now)
        else:
            if not row.message_id:  # a row written before SMS had references: its own from this try on
                row.message_id = sms_reference()
            await notifier.sms.send(row.recipient, row.body, reference=row.message_id)
    except Exception as failure:
        row.error = f"{type(failure).__name__}: {failure}"[:1000]
        row.next_try_at = next_try(attempts=row.attempts, recorded_at=row.requeued_at or row.at, now=now)
        row.outcome = "failed" if row.next_try_at is not None else "given_up"
        log.warning("notification %s (%s) try %d failed%s: %s", row.id, row.channel, row.attempts,
                    "" if row.next_try_at else ", given up", failure)  # fmt: skip
    else:
        row.outcome, row.error, row.sent_at, row.next_try_at = "sent", "", now, None


async def _mail(
    session: AsyncSession, *, notifier: Notifier, request: RequestRow, row: CitizenNotification, now: datetime
) -> None:
    if notifier.mail is None:
        raise RuntimeError("no outbound mail server is configured (IVR_SMTP_HOST)")
    thread = (await session.scalars(
        select(MailMessage.message_id).where(MailMessage.request_id == request.id, MailMessage.message_id != "",
                                             MailMessage.message_id != row.message_id)
        .order_by(MailMessage.id)
    )).all()  # fmt: skip
    subject = tagged_subject(TEXTS[row.language]["subject"].format(reference=request.reference), request.reference)
    message = build_mail(sender=notifier.mail_from, to=row.recipient, subject=subject, text=row.body, now=row.at,
                         domain=notifier.mail_domain, in_reply_to=thread[-1] if thread else "",
                         references=tuple(thread[:-1]), language=row.language,
                         message_id=row.message_id)  # fmt: skip
    outcome, reason = "sent", ""
    try:
        await notifier.mail.send(message)
    except Exception as failure:
        outcome, reason = "failed", f"{type(failure).__name__}: {failure}"[:1000]
        raise
    finally:
        session.add(MailMessage(direction="out", message_id=str(message["Message-ID"]), request_id=request.id,
                                sender=notifier.mail_from, recipients=row.recipient, subject=subject[:400],
                                outcome=outcome, reason=reason, raw=message.as_bytes(), at=now))  # fmt: skip


async def _satisfaction_link(session: AsyncSession, *, notifier: Notifier, request: RequestRow, now: datetime) -> str:
    """A new token for the request's satisfaction question (a reopened and re-closed request asks again)."""
    token = secrets.token_urlsafe(24)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    await session.execute(
        insert(RequestSatisfaction)
        .values(request_id=request.id, token_hash=token_hash, asked_at=now)
        .on_conflict_do_update(index_elements=["request_id"], set_={"token_hash": token_hash, "asked_at": now})
    )
    return f"{notifier.portal_url.rstrip('/')}/ui/portal.html?ref={request.reference}&satisfaction={token}"


def transition_recorder(sessions: async_sessionmaker[AsyncSession], notifier: Notifier) -> TransitionRecorder:
    """The complaint workflow's recorder (RequestConfig.record_transition): the citizen's notification of each step
    that is theirs to know, recorded in the transition's own transaction; the returned step tries it after the
    commit, in a session of its own.

    The entry into the workflow is not told here: the channel that took the request acknowledges it (an Outbox
    given to the opening).
    """

    async def record_in(session: AsyncSession, event: TransitionEvent) -> AfterCommit | None:
        if event.from_stage is None:
            return None
        request = await session.get(RequestRow, event.request_id)
        if request is None:
            return None
        outbox = Outbox(notifier)
        comment = event.comment or (event.answer if event.to_stage == "closed" else "")
        await outbox.transition(session, request=request, old=str(event.from_stage), new=str(event.to_stage),
                                comment=comment, now=event.at)  # fmt: skip
        if not outbox.recorded:
            return None

        async def deliver() -> None:
            async with sessions() as later:
                await outbox.deliver(later, now=event.at)

        return deliver

    return record_in

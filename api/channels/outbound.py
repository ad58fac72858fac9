"""Sending to citizens: e-mail over SMTP and SMS through a gateway, behind two small interfaces so the rest never
knows which transport runs (tests capture mail with a second SMTP server on loopback).

Rules:
- Every message we send has its own Message-ID (on our mail domain; the tries of one notification share theirs)
  and, about a request, the request's tag in its subject and In-Reply-To/References naming the citizen's
  message: mail clients thread it, and the citizen's reply comes back tagged (api.channels.mail_intake).
- smtplib runs in a worker thread with a timeout: a slow mail server never blocks the event loop.
- The SMS gateway's default only logs (no provider is assumed); a deployment plugs its provider in here.
- Every SMS carries `reference`, its notification's client reference: the same on every try of one notification
  (a staff retry included), different for any other. An adapter passes it as the provider's idempotency key where
  there is one (Infobip's own `messageId` once idempotency is enabled on the account, an `Idempotency-Key` header),
  and treats the provider's "already accepted" answer as sent; then a try repeated after the provider accepted
  the first (the process died before recording it) reaches the citizen once. A provider that only stores a client
  reference (Vonage's `client-ref`) sends it twice, recognisably one notification in its records; one with
  neither sends it twice. That window is one try: between the provider's answer and our commit.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

log = logging.getLogger(__name__)


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmsGateway(Protocol):
    async def send(self, number: str, text: str, *, reference: str) -> None: ...


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int = 25
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout_s: float = 20.0

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


class LogOnlySms:
    """The default SMS gateway: writes what it would send to the log, and keeps it (tests read `sent`)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.references: list[str] = []  # each SMS's client reference, in the order sent

    async def send(self, number: str, text: str, *, reference: str) -> None:
        self.sent.append((number, text))
        self.references.append(reference)
        log.info("sms (log only, no gateway configured) to %s [%s]: %s", number, reference, text)


def build_mail(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    now: datetime,
    domain: str,
    in_reply_to: str = "",
    references: tuple[str, ...] = (),
    language: str | None = None,
    message_id: str = "",
) -> EmailMessage:
    """The message; `message_id` empty: a new one on `domain` (a retry passes the first try's, so it is the same)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-replied" if in_reply_to else "auto-generated"  # RFC 3834: no loops
    if language:
        message["Content-Language"] = language
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    chain = [*references, in_reply_to] if in_reply_to and in_reply_to not in references else list(references)
    if chain:
        message["References"] = " ".join(chain[-10:])
    message.set_content(text)
    return message

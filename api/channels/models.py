"""The channels' tables (issue 17 B, migration 0015), beside api.models (which keeps the request itself, with
its channel and place). No foreign keys to requests, as in the migration: requests are never deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base


class RequestAttachment(Base):
    """A file that came with a request: a photo from the web form, an e-mail attachment, a paper letter's scan.
    Stored as checked and re-encoded (api.channels.attachments), never as sent."""

    __tablename__ = "request_attachments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, index=True)
    origin: Mapped[str] = mapped_column(String(16))  # web | email | paper
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MailMessage(Base):
    """Every e-mail received (raw, as it came, even when refused: nothing is lost) and sent."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    direction: Mapped[str] = mapped_column(String(4))  # in | out
    message_id: Mapped[str] = mapped_column(String(256), default="", index=True)
    request_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    sender: Mapped[str] = mapped_column(String(256), default="")
    recipients: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(400), default="")
    outcome: Mapped[str] = mapped_column(String(16))  # in: request | reply | refused | ignored; out: sent | failed
    reason: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CitizenNotification(Base):
    """A message sent (or tried) to the citizen about their request: acknowledgement, each status change."""

    __tablename__ = "citizen_notifications"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    recipient: Mapped[str] = mapped_column(String(256))
    language: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # received | <the new status>
    body: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(8))  # pending | sent | failed (retried) | given_up
    error: Mapped[str] = mapped_column(Text, default="")  # the last try's
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when it was recorded (the transition's time)
    # migration 0021: durable sending (api.channels.notify deliver_due); next_try_at None: nothing left to try
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[str] = mapped_column(String(256), default="")  # e-mail and SMS: the same on every try
    # migration 0022: a given-up notification asked again by staff; its budget of tries counts from then
    requeued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requeued_by: Mapped[str] = mapped_column(String(128), default="")


class RequestSatisfaction(Base):
    """The satisfaction question asked when a request closes: only the SHA-256 of the link's token is kept."""

    __tablename__ = "request_satisfaction"

    request_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

"""Tables of requests and their history (migration api/migrations/versions/0003_requests_surveys.py).

Rules enforced by PostgreSQL itself (triggers in the migration), so no code path can break them:
- An archived request (a complaint) keeps its content forever: only its workflow columns (status, answered_at,
  closed_at, updated_at) may change, and it cannot be deleted. A correction is a new request whose
  `corrects_id` names the original.
- The history (`request_events`) is append-only: rows are never updated or deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Identity, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base


class ServiceRequest(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    # What made it, once: "voicemail:<linkedid>", "disposition:<linkedid>"; a replay finds the same request.
    origin_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # voicemail | disposition | portal | correction
    request_type: Mapped[int] = mapped_column(SmallInteger)
    type_key: Mapped[str] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(64), default="")  # consular post / service tag for reports
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    contact: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    linkedid: Mapped[str | None] = mapped_column(String(64))
    voicemail_path: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("requests.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_requests_status_due_at", "status", "due_at"),
        Index("ix_requests_created_at", "created_at"),
        Index("ix_requests_linkedid", "linkedid"),
    )


class RequestEvent(Base):
    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))  # created | status | note | corrected
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

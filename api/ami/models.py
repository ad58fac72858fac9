"""Tables of the AMI side: queue events (to rebuild the day's state after a restart) and callbacks.

They live on the API's declarative Base, so one metadata describes the whole schema; the migration is
api/migrations/versions/0002_queue_events_callbacks.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base

# A callback is "open" while it still has to happen; one number may hold only one open callback.
OPEN_CALLBACK_STATUSES = ("pending", "dialing")


class QueueEventRow(Base):
    """One AMI queue event as Asterisk sent it (payload), with the columns reports filter on."""

    __tablename__ = "queue_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64), default="")
    interface: Mapped[str] = mapped_column(String(128), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (Index("ix_queue_events_event_at", "event_at"),)


class CallbackRow(Base):
    """A caller who asked to be called back instead of waiting, keeping their place in the queue."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16), default="")
    linkedid: Mapped[str] = mapped_column(String(64), default="")  # the call that booked it
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when the caller joined the queue
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    agent: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ux_callbacks_open_number",
            "number",
            unique=True,
            postgresql_where=text("status IN ('pending', 'dialing')"),
        ),
        Index("ix_callbacks_status_joined_at", "status", "joined_at"),
    )

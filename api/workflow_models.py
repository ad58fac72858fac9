"""The complaint workflow's history table (migration 0014), beside api.models' tables: append-only, enforced by
PostgreSQL (UPDATE, DELETE and TRUNCATE refused by triggers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base


class WorkflowEvent(Base):
    """One transition of the complaint workflow (migration 0014): append-only, enforced by PostgreSQL."""

    __tablename__ = "workflow_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    capacity: Mapped[str] = mapped_column(String(16))  # desk | head | secretary | agent | assignee | ... | routing
    action: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(40))
    assignee: Mapped[str | None] = mapped_column(String(128))
    comment: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_workflow_history_request", "request_id", "reference", "id"),
        Index("ix_workflow_history_at", "at"),
    )

"""Tables of running the system (migration 0019): calendar overrides administrators enter, and the configuration
generation. Kept out of api/models.py so the operations feature stays in its own modules."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Identity, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base


class CalendarOverrideRow(Base):
    """A closure (kind 'closure': days closed, with a reason) or a holiday's dates for a year (kind 'holiday')."""

    __tablename__ = "calendar_overrides"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    holiday_year: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_by: Mapped[str | None] = mapped_column(String(128))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConfigGeneration(Base):
    """One row: bumped each time an administrator has every process re-read its call-center file."""

    __tablename__ = "config_generation"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    changed_by: Mapped[str | None] = mapped_column(String(128))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

"""Bodies of the operations routes (api/routes/operations.py): calendar overrides and configuration reloads."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Days(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_day: date
    last_day: date | None = None  # inclusive; None: the single day first_day

    @model_validator(mode="after")
    def _ordered(self) -> _Days:
        if self.last_day is not None and self.last_day < self.first_day:
            raise ValueError(f"last_day {self.last_day} is before first_day {self.first_day}")
        if (self.last_day or self.first_day) - self.first_day > (date(2001, 1, 1) - date(2000, 1, 1)):
            raise ValueError("an override spans at most one year")
        return self


class ClosureCreate(_Days):
    reason: str = Field(min_length=1, max_length=200)  # heard by nobody, read by supervisors and in reports


class HolidayOverrideCreate(_Days):
    """The dates a public holiday really falls on in `year` (the holidays package estimates lunar ones)."""

    year: int = Field(ge=2000, le=2100)
    name: str = Field(min_length=1, max_length=200)  # as the holidays package spells it, without "(estimated)"


class CalendarOverridePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str  # closure | holiday
    first_day: date
    last_day: date
    reason: str  # the closure's reason, or the holiday's name
    holiday_year: int | None
    created_by: str
    created_at: datetime


class ClosureEffective(BaseModel):
    start: date
    end: date | None = None
    reason: str


class OverridesPublic(BaseModel):
    """What the agi processes poll (callcenter.overrides.CalendarOverrides.from_json reads it)."""

    closures: list[ClosureEffective]
    holiday_overrides: dict[str, dict[str, list[date]]]  # year -> holiday name -> dates
    generation: int  # bumped by POST /admin/config/reload: every process re-reads its call-center file


class ReloadPublic(BaseModel):
    generation: int
    name: str  # the call center's name as the file now says
    languages: list[str]

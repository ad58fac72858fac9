"""Opening hours in the call-center model: intervals within a day, weekly hours, closures and dated periods.

Rules:
- Part of the call-center model (callcenter.config re-exports its public names, so the model stays one import): frozen
  pydantic models, unknown keys refused, validated once when callcenter.toml is loaded.
- Times are the call center's local wall-clock seconds since midnight; which day is which is the business
  calendar's decision (callcenter.calendar), never this module's.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

SECONDS_PER_DAY = 24 * 3600
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*-\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def _clock_seconds(hours: str, minutes: str, seconds: str | None) -> int:
    h, m, s = int(hours), int(minutes), int(seconds or 0)
    if m > 59 or s > 59 or h > 24 or (h == 24 and (m or s)):
        raise ValueError(f"{hours}:{minutes} is not a time of day (00:00 to 24:00)")
    return h * 3600 + m * 60 + s


def _format_clock(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


STRICT = ConfigDict(extra="forbid", frozen=True)  # every call-center model: frozen, unknown keys refused


class _Strict(BaseModel):
    model_config = STRICT


class Interval(_Strict):
    """One opening interval within a day, in the call center's local time: [open, close).

    Written in TOML as "08:00-20:00"; "24:00" as a close means midnight at the end of the day.
    """

    open_s: int = Field(ge=0, lt=SECONDS_PER_DAY)
    close_s: int = Field(gt=0, le=SECONDS_PER_DAY)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _INTERVAL_RE.match(value)
        if match is None:
            raise ValueError(f'{value!r} is not an interval like "08:00-20:00"')
        return {
            "open_s": _clock_seconds(*match.group(1, 2, 3)),
            "close_s": _clock_seconds(*match.group(4, 5, 6)),
        }

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.open_s >= self.close_s:
            raise ValueError(f"{self}: opening must be before closing")
        return self

    def __str__(self) -> str:
        return f"{_format_clock(self.open_s)}-{_format_clock(self.close_s)}"


DayHours = Annotated[list[Interval], PlainSerializer(lambda intervals: [str(i) for i in intervals])]


class WeeklyHours(_Strict):
    """Opening intervals per weekday. A weekday left out or empty is closed (a weekend day)."""

    monday: DayHours = []
    tuesday: DayHours = []
    wednesday: DayHours = []
    thursday: DayHours = []
    friday: DayHours = []
    saturday: DayHours = []
    sunday: DayHours = []

    @model_validator(mode="after")
    def _no_overlap(self) -> WeeklyHours:
        for name in WEEKDAYS:
            intervals: list[Interval] = getattr(self, name)
            for before, after in itertools.pairwise(intervals):
                if after.open_s < before.close_s:
                    raise ValueError(f"{name}: {after} must start after {before} ends (list them in order)")
        return self

    def for_weekday(self, weekday: int) -> list[Interval]:
        """Intervals for `date.weekday()` (0 = Monday)."""
        intervals: list[Interval] = getattr(self, WEEKDAYS[weekday])
        return intervals

    def describe(self) -> str:
        parts = [
            f"{name[:3]} {', '.join(str(i) for i in self.for_weekday(n))}"
            for n, name in enumerate(WEEKDAYS)
            if self.for_weekday(n)
        ]
        return "; ".join(parts) or "never open"


class Closure(_Strict):
    """Whole days the call center is closed whatever the hours say (strike, move, exceptional day off)."""

    start: date
    end: date | None = None  # inclusive; None means the single day `start`
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def last_day(self) -> date:
        return self.end if self.end is not None else self.start

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.last_day


class SpecialHours(_Strict):
    """A dated period with its own weekly hours (Ramadan, summer). Dates inclusive."""

    name: str = Field(min_length=1, max_length=100)
    start: date
    end: date
    hours: WeeklyHours

    @model_validator(mode="after")
    def _ordered(self) -> SpecialHours:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

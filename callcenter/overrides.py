"""Calendar overrides an administrator enters while the system runs (closures, holiday dates), merged into the
call-center file's configuration.

Rules:
- The file stays the base; overrides only add closures and replace holiday dates (an override from the database
  wins over the file's for the same holiday and year). The merged result is validated like the file itself, so a
  set that does not fit (an unknown holiday) is a `ConfigError` and the caller keeps what it had.
- `generation` counts administrators' "re-read the configuration file" actions: an agi process that sees it change
  re-reads its own file. It is carried here because it travels with the overrides (one poll answers both).
- Pure: the JSON shape is `GET /config/overrides`'s; no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from callcenter.config import CallCenter, Closure
from callcenter.loading import ConfigError, callcenter_from_data

HolidayDates = dict[int, dict[str, list[date]]]  # year -> holiday name -> the dates it falls on


@dataclass(frozen=True)
class CalendarOverrides:
    closures: tuple[Closure, ...] = ()
    holiday_overrides: HolidayDates = field(default_factory=dict)
    generation: int = 0

    @classmethod
    def from_json(cls, data: Any) -> CalendarOverrides:
        """`GET /config/overrides`'s body (or the agi's cache of it); ConfigError when it is not that shape."""
        try:
            closures = tuple(Closure.model_validate(item) for item in data["closures"])
            holidays: HolidayDates = {
                int(year): {str(name): [date.fromisoformat(day) for day in days] for name, days in names.items()}
                for year, names in data["holiday_overrides"].items()
            }
            return cls(closures=closures, holiday_overrides=holidays, generation=int(data.get("generation", 0)))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ConfigError(f"calendar overrides: unexpected shape: {error}") from error

    def to_json(self) -> dict[str, Any]:
        return {
            "closures": [closure.model_dump(mode="json") for closure in self.closures],
            "holiday_overrides": {
                str(year): {name: [day.isoformat() for day in days] for name, days in names.items()}
                for year, names in self.holiday_overrides.items()
            },
            "generation": self.generation,
        }

    def same_calendar(self, other: CalendarOverrides) -> bool:
        return self.closures == other.closures and self.holiday_overrides == other.holiday_overrides


def merged(base: CallCenter, overrides: CalendarOverrides, source: str = "calendar overrides") -> CallCenter:
    """`base` with the overrides' closures added and their holiday dates in force; ConfigError if that is not a
    valid call center (the message names `source`)."""
    if not overrides.closures and not overrides.holiday_overrides:
        return base
    data = base.model_dump(mode="json", exclude_unset=True)
    data["closures"] = [closure.model_dump(mode="json") for closure in (*base.closures, *overrides.closures)]
    holidays: dict[str, dict[str, list[str]]] = {
        str(year): {name: [day.isoformat() for day in days] for name, days in names.items()}
        for year, names in base.holiday_overrides.items()
    }
    for year, names in overrides.holiday_overrides.items():
        for name, days in names.items():
            holidays.setdefault(str(year), {})[name] = [day.isoformat() for day in days]
    data["holiday_overrides"] = holidays
    return callcenter_from_data(data, source)

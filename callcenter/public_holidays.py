"""Public holidays from the `holidays` package, named the way call-center files name them (English, no
"(estimated)"). The model validates overrides with these names; the calendar places the days."""

from __future__ import annotations

import re

import holidays

_SUFFIX_RE = re.compile(r"\s*\((estimated|observed|estimated, observed)\)$")


def canonical_holiday_name(name: str) -> str:
    """The holidays package marks lunar dates "(estimated)"; overrides name the holiday without it."""
    return _SUFFIX_RE.sub("", name).strip()


def country_holidays(country: str, year: int) -> holidays.HolidayBase:
    """English names, whatever the country's default language, so configuration files can name them."""
    probe = holidays.country_holidays(country, years=[])
    language = "en_US" if "en_US" in (probe.supported_languages or ()) else None
    result: holidays.HolidayBase = holidays.country_holidays(country, years=year, language=language)
    return result


def holiday_names(country: str, year: int) -> set[str]:
    calendar = country_holidays(country, year)
    return {canonical_holiday_name(name) for day in calendar for name in calendar.get_list(day)}

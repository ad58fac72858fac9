"""Business hours: is the call center open at an instant, why not, and when does it open next.

Rules:
- Time is passed in and must be timezone-aware (ValueError otherwise): "08:00" means nothing without a zone.
- Hours are wall-clock times in the call center's zone. Each local day becomes a list of UTC intervals
  [open, close); every comparison and subtraction happens in UTC, because Python compares two datetimes that
  share a tzinfo by their wall clock, which is wrong across a clock change (Africa/Casablanca changes twice a
  year around Ramadan). Results are returned in the call center's zone; compare them with `.astimezone(UTC)`
  when they may fall in a repeated hour (PEP 495: such a time never equals a time in another zone).
- A wall time skipped by a clock change means the instant the clocks jump; a repeated one means its first
  occurrence. That keeps local -> UTC monotonic, so intervals stay ordered and disjoint across days.
- What decides a day, strongest first: a closure, a public holiday when holidays are closed, a special-hours
  period, the weekly hours. A day with no weekly hours is a weekend day.
- Holidays come from the `holidays` package; an override replaces the package's (estimated) dates of that
  holiday for that year.
- Every search is bounded by `horizon_days`: "does not open within the horizon" is an answer (None), never a
  hang.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from callcenter.config import CallCenter
from callcenter.public_holidays import canonical_holiday_name, country_holidays

HORIZON_DAYS = 400
MAX_SPAN_DAYS = 20 * 366  # business_seconds_between refuses longer spans
_PLAN_CACHE_LIMIT = 4096  # a long-running process only ever asks about a window of days around "now"

Span = tuple[datetime, datetime]  # [open, close) in UTC


class ClosedReason(enum.StrEnum):
    WEEKEND = "weekend"  # no hours on this weekday
    OUTSIDE_HOURS = "outside_hours"  # a working day, but before, between or after its hours
    CLOSURE = "closure"  # a dated closure from the configuration
    HOLIDAY = "holiday"  # a public holiday, when public holidays are closed


@dataclass(frozen=True)
class OpenStatus:
    open: bool
    reason: ClosedReason | None = None  # set when closed
    next_open: datetime | None = None  # when closed: the next opening (None: none within the horizon)
    closes_at: datetime | None = None  # when open: the end of this opening (None: not within the horizon)
    detail: str | None = None  # the closure's reason, the holiday's name or the special-hours period's name


@dataclass(frozen=True)
class DayPlan:
    """What one local day looks like."""

    day: date
    spans: tuple[Span, ...]  # UTC, ordered, disjoint
    closed_reason: ClosedReason | None  # why the whole day is closed; None if it has hours
    holidays: tuple[str, ...]  # public holidays on this day, open or not
    detail: str | None


class BusinessCalendar:
    def __init__(self, callcenter: CallCenter, *, horizon_days: int = HORIZON_DAYS) -> None:
        self.callcenter = callcenter
        self.horizon_days = horizon_days
        self._tz = callcenter.tz
        self._holidays_by_year: dict[int, dict[date, list[str]]] = {}
        self._plans: dict[date, DayPlan] = {}

    # -- holidays ------------------------------------------------------------------------------------------

    def _holidays_from_year(self, year: int) -> dict[date, list[str]]:
        """Holidays the package lists for `year`, with this year's overrides applied (they may move a date
        into a neighbouring year)."""
        cached = self._holidays_by_year.get(year)
        if cached is not None:
            return cached
        by_day: dict[date, list[str]] = {}
        country = self.callcenter.holiday_country
        if country is not None:
            package = country_holidays(country, year)
            for day in sorted(package):
                by_day[day] = [canonical_holiday_name(name) for name in package.get_list(day)]
            for name, days in self.callcenter.holiday_overrides.get(year, {}).items():
                for names in by_day.values():
                    while name in names:
                        names.remove(name)
                for day in days:
                    by_day.setdefault(day, []).append(name)
        result = {day: names for day, names in by_day.items() if names}
        self._holidays_by_year[year] = result
        return result

    def holidays_on(self, day: date) -> tuple[str, ...]:
        names: list[str] = []
        for year in (day.year - 1, day.year, day.year + 1):
            for name in self._holidays_from_year(year).get(day, []):
                if name not in names:
                    names.append(name)
        return tuple(names)

    def holidays_in(self, year: int) -> dict[date, tuple[str, ...]]:
        """Every public holiday falling in `year`, overrides applied, in date order."""
        days = {
            day for source in (year - 1, year, year + 1) for day in self._holidays_from_year(source) if day.year == year
        }
        return {day: self.holidays_on(day) for day in sorted(days)}

    # -- days ----------------------------------------------------------------------------------------------

    def _wall_to_utc(self, day: date, seconds: int) -> datetime:
        wall = datetime.combine(day, time()) + timedelta(seconds=seconds)
        first = wall.replace(tzinfo=self._tz).astimezone(UTC)  # fold=0: first occurrence if repeated
        if first.astimezone(self._tz).replace(tzinfo=None) == wall:
            return first
        # `wall` was skipped by a clock change: find the instant the clocks jumped, between the two readings
        # of `wall` (fold=1 reads it with the offset after the change, which lands before the jump).
        before = int(wall.replace(tzinfo=self._tz, fold=1).astimezone(UTC).timestamp())
        after = int(first.timestamp())
        offset_before = datetime.fromtimestamp(before, self._tz).utcoffset()
        while after - before > 1:  # at most ~20 steps: a gap is hours, not years
            middle = (before + after) // 2
            if datetime.fromtimestamp(middle, self._tz).utcoffset() == offset_before:
                before = middle
            else:
                after = middle
        return datetime.fromtimestamp(after, UTC)

    def plan(self, day: date) -> DayPlan:
        cached = self._plans.get(day)
        if cached is not None:
            return cached
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            self._plans.clear()
        plan = self._make_plan(day)
        self._plans[day] = plan
        return plan

    def _make_plan(self, day: date) -> DayPlan:
        callcenter = self.callcenter
        holidays = self.holidays_on(day)
        closure = next((closure for closure in callcenter.closures if closure.covers(day)), None)
        if closure is not None:
            return DayPlan(day, (), ClosedReason.CLOSURE, holidays, closure.reason)
        if holidays and not callcenter.public_holidays_open:
            return DayPlan(day, (), ClosedReason.HOLIDAY, holidays, "; ".join(holidays))
        special = next((period for period in callcenter.special_hours if period.covers(day)), None)
        weekly = special.hours if special is not None else callcenter.hours
        intervals = weekly.for_weekday(day.weekday())
        spans = []
        for interval in intervals:
            start = self._wall_to_utc(day, interval.open_s)
            end = self._wall_to_utc(day, interval.close_s)
            if start < end:  # an interval lying wholly inside a skipped hour has no instants
                spans.append((start, end))
        reason = None if intervals else ClosedReason.WEEKEND
        return DayPlan(day, tuple(spans), reason, holidays, special.name if special is not None else None)

    def _spans_from(self, moment: datetime, days: int) -> Iterator[Span]:
        """Spans ending after `moment` (UTC), in order, from the local day before it to `days` days after."""
        first_day = moment.astimezone(self._tz).date() - timedelta(days=1)
        for offset in range(days + 2):
            for span in self.plan(first_day + timedelta(days=offset)).spans:
                if span[1] > moment:
                    yield span

    # -- questions -----------------------------------------------------------------------------------------

    def status(self, now: datetime) -> OpenStatus:
        moment = _as_utc(now)
        spans = self._spans_from(moment, self.horizon_days)
        current = next(spans, None)
        plan = self.plan(moment.astimezone(self._tz).date())
        if current is None or current[0] > moment:
            reason = plan.closed_reason or ClosedReason.OUTSIDE_HOURS
            next_open = None if current is None else current[0].astimezone(self._tz)
            return OpenStatus(False, reason, next_open=next_open, detail=plan.detail)
        end_of_opening = current[1]
        closes_at: datetime | None = None  # stays None if open for the whole horizon
        for start, end in spans:  # touching spans ("20:00-24:00" then "00:00-08:00") are one opening
            if start > end_of_opening:
                closes_at = end_of_opening.astimezone(self._tz)
                break
            end_of_opening = end
        return OpenStatus(True, closes_at=closes_at, detail=plan.detail)

    def is_open(self, now: datetime) -> bool:
        moment = _as_utc(now)
        current = next(self._spans_from(moment, 1), None)
        return current is not None and current[0] <= moment

    def next_open(self, now: datetime) -> datetime | None:
        """`now` itself if open, else the next opening instant; None if none within the horizon."""
        moment = _as_utc(now)
        current = next(self._spans_from(moment, self.horizon_days), None)
        if current is None:
            return None
        return max(current[0], moment).astimezone(self._tz)

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The instant when `hours` of opening time have passed since `start` (for answer deadlines)."""
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number >= 0, not {hours}")
        moment = _as_utc(start)
        remaining = timedelta(hours=hours)
        if not remaining:
            return moment.astimezone(self._tz)
        days = self.horizon_days + 7 * math.ceil(hours / 24)
        for span_start, span_end in self._spans_from(moment, days):
            begin = max(span_start, moment)
            available = span_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self._tz)
            remaining -= available
        raise ValueError(f"the call center is not open for {hours} hours within {days} days of {start}")

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Opening time between two instants, in seconds; negative if `end` is before `start`."""
        begin, finish = _as_utc(start), _as_utc(end)
        if finish < begin:
            return -self.business_seconds_between(end, start)
        if finish - begin > timedelta(days=MAX_SPAN_DAYS):
            raise ValueError(f"span longer than {MAX_SPAN_DAYS} days")
        total = timedelta()
        for span_start, span_end in self._spans_from(begin, (finish - begin).days + 2):
            if span_start >= finish:
                break
            total += min(span_end, finish) - max(span_start, begin)
        return total.total_seconds()


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone: pass an aware datetime")
    return moment.astimezone(UTC)

"""Business hours: the edges of a day, weekends, closures, holidays, special hours, clock changes, properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from callcenter import calendar as calendar_module
from callcenter.calendar import BusinessCalendar, ClosedReason, OpenStatus
from callcenter.config import CallCenter
from callcenter.loading import callcenter_from_data, load_callcenter

CASABLANCA = ZoneInfo("Africa/Casablanca")
WORKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def casablanca(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CASABLANCA)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def reference_data() -> dict[str, Any]:
    return load_callcenter().model_dump(mode="json")


def make(**changes: Any) -> CallCenter:
    data = reference_data()
    data.update(changes)
    return callcenter_from_data(data)


@pytest.fixture(scope="module")
def reference() -> BusinessCalendar:
    return BusinessCalendar(load_callcenter())


# -- the edges of an ordinary week (Monday 23 November 2026) ---------------------------------------------------


def test_one_second_before_opening_is_closed(reference: BusinessCalendar) -> None:
    status = reference.status(casablanca(2026, 11, 23, 7, 59, 59))
    assert status == OpenStatus(False, ClosedReason.OUTSIDE_HOURS, next_open=casablanca(2026, 11, 23, 8))


def test_opening_instant_is_open(reference: BusinessCalendar) -> None:
    assert reference.status(casablanca(2026, 11, 23, 8)) == OpenStatus(True, closes_at=casablanca(2026, 11, 23, 20))
    assert reference.next_open(casablanca(2026, 11, 23, 8)) == casablanca(2026, 11, 23, 8)


def test_last_second_is_open_and_closing_instant_is_closed(reference: BusinessCalendar) -> None:
    assert reference.is_open(casablanca(2026, 11, 23, 19, 59, 59))
    assert not reference.is_open(casablanca(2026, 11, 23, 20))
    assert reference.next_open(casablanca(2026, 11, 23, 20)) == casablanca(2026, 11, 24, 8)


def test_friday_night_opens_on_monday_morning(reference: BusinessCalendar) -> None:
    status = reference.status(casablanca(2026, 11, 27, 20))
    assert (status.open, status.reason, status.next_open) == (
        False,
        ClosedReason.OUTSIDE_HOURS,
        casablanca(2026, 11, 30, 8),
    )
    saturday = reference.status(casablanca(2026, 11, 28, 12))
    assert (saturday.reason, saturday.next_open) == (ClosedReason.WEEKEND, casablanca(2026, 11, 30, 8))


def test_any_time_zone_gives_the_same_answer(reference: BusinessCalendar) -> None:
    in_utc = casablanca(2026, 11, 23, 8).astimezone(UTC)
    assert reference.is_open(in_utc)
    assert not reference.is_open(in_utc - timedelta(seconds=1))
    paris = in_utc.astimezone(ZoneInfo("Europe/Paris")) - timedelta(seconds=1)
    opening = reference.next_open(paris)
    assert opening == in_utc
    assert opening is not None and opening.tzinfo == CASABLANCA  # results speak the call center's time


def test_naive_times_are_refused(reference: BusinessCalendar) -> None:
    naive = datetime(2026, 11, 23, 9)
    for question in (reference.status, reference.is_open, reference.next_open):
        with pytest.raises(ValueError, match="no time zone"):
            question(naive)
    with pytest.raises(ValueError, match="no time zone"):
        reference.add_business_hours(naive, 1)
    with pytest.raises(ValueError, match="no time zone"):
        reference.business_seconds_between(casablanca(2026, 11, 23), naive)


# -- closures, holidays, special hours ----------------------------------------------------------------------------


def test_closure_days_are_closed_with_their_reason() -> None:
    calendar = BusinessCalendar(make(closures=[{"start": "2026-12-24", "end": "2026-12-25", "reason": "Move"}]))
    status = calendar.status(casablanca(2026, 12, 24, 10))
    assert (status.open, status.reason, status.detail) == (False, ClosedReason.CLOSURE, "Move")
    assert status.next_open == casablanca(2026, 12, 28, 8)  # the 26th and 27th are a weekend
    assert calendar.is_open(casablanca(2026, 12, 23, 19))


def test_a_closure_wins_over_an_open_holiday() -> None:
    calendar = BusinessCalendar(make(closures=[{"start": "2026-11-18", "reason": "Strike"}]))
    assert calendar.status(casablanca(2026, 11, 18, 10)).reason == ClosedReason.CLOSURE


def test_holidays_open_in_the_reference(reference: BusinessCalendar) -> None:
    independence_day = casablanca(2026, 11, 18, 10)  # a Wednesday
    assert reference.holidays_on(independence_day.date()) == ("Independence Day",)
    assert reference.is_open(independence_day)


def test_holidays_closed_when_configured() -> None:
    calendar = BusinessCalendar(make(public_holidays_open=False))
    status = calendar.status(casablanca(2026, 11, 18, 10))
    assert (status.reason, status.detail, status.next_open) == (
        ClosedReason.HOLIDAY,
        "Independence Day",
        casablanca(2026, 11, 19, 8),
    )


def test_override_replaces_the_estimated_lunar_dates() -> None:
    overrides = {"2027": {"Eid al-Fitr": ["2027-03-10", "2027-03-11"]}}
    calendar = BusinessCalendar(make(public_holidays_open=False, holiday_overrides=overrides))
    estimated = BusinessCalendar(make(public_holidays_open=False))
    assert estimated.holidays_on(date(2027, 3, 9)) == ("Eid al-Fitr",)  # the package's estimate
    assert calendar.holidays_on(date(2027, 3, 9)) == ()
    assert calendar.is_open(casablanca(2027, 3, 9, 10))
    assert calendar.status(casablanca(2027, 3, 11, 10)).reason == ClosedReason.HOLIDAY
    assert calendar.next_open(casablanca(2027, 3, 10, 10)) == casablanca(2027, 3, 12, 8)


def test_override_may_move_a_holiday_into_the_next_year_or_remove_it() -> None:
    overrides = {"2026": {"Green March": ["2027-01-04"]}, "2027": {"Throne Day": []}}
    calendar = BusinessCalendar(make(holiday_overrides=overrides))
    assert date(2026, 11, 6) not in calendar.holidays_in(2026)
    assert calendar.holidays_in(2027)[date(2027, 1, 4)] == ("Green March",)
    assert date(2027, 7, 30) not in calendar.holidays_in(2027)
    assert calendar.holidays_in(2027)[date(2027, 8, 14)] == ("Oued Ed-Dahab Day", "Prophet's Birthday")


def test_no_holiday_country_means_no_holidays() -> None:
    calendar = BusinessCalendar(make(holiday_country=None, public_holidays_open=False))
    assert calendar.holidays_in(2026) == {}
    assert calendar.is_open(casablanca(2026, 11, 18, 10))


RAMADAN_2027 = {
    "name": "Ramadan 2027",
    "start": "2027-02-08",
    "end": "2027-03-09",
    "hours": {day: ["09:00-15:00"] for day in WORKDAYS},
}


def test_special_hours_replace_the_week() -> None:
    calendar = BusinessCalendar(make(special_hours=[RAMADAN_2027]))
    before = calendar.status(casablanca(2027, 2, 10, 8, 30))
    assert (before.reason, before.next_open, before.detail) == (
        ClosedReason.OUTSIDE_HOURS,
        casablanca(2027, 2, 10, 9),
        "Ramadan 2027",
    )
    during = calendar.status(casablanca(2027, 2, 10, 9))
    assert (during.open, during.closes_at, during.detail) == (True, casablanca(2027, 2, 10, 15), "Ramadan 2027")
    assert calendar.next_open(casablanca(2027, 3, 9, 15)) == casablanca(2027, 3, 10, 8)  # the period is over
    assert calendar.is_open(casablanca(2027, 2, 5, 8))  # the Friday before it


def test_a_special_period_may_close_a_weekday() -> None:
    closed_fridays = {**RAMADAN_2027, "hours": {day: ["09:00-15:00"] for day in WORKDAYS[:4]}}
    calendar = BusinessCalendar(make(special_hours=[closed_fridays]))
    assert calendar.status(casablanca(2027, 2, 12, 10)).reason == ClosedReason.WEEKEND


# -- Africa/Casablanca's clock changes around Ramadan (tzdata): 2026-02-15, 2026-03-22, 2027-02-07, 2027-03-14 ------


@pytest.mark.parametrize(
    ("friday", "monday", "friday_offset_h", "monday_offset_h"),
    [
        (date(2026, 2, 13), date(2026, 2, 16), 1, 0),  # UTC+1 -> UTC+0 on Sunday 15 February 2026
        (date(2026, 3, 20), date(2026, 3, 23), 0, 1),  # UTC+0 -> UTC+1 on Sunday 22 March 2026
        (date(2027, 2, 5), date(2027, 2, 8), 1, 0),  # UTC+1 -> UTC+0 on Sunday 7 February 2027
        (date(2027, 3, 12), date(2027, 3, 15), 0, 1),  # UTC+0 -> UTC+1 on Sunday 14 March 2027
    ],
)
def test_eight_oclock_stays_eight_oclock_across_a_clock_change(
    reference: BusinessCalendar, friday: date, monday: date, friday_offset_h: int, monday_offset_h: int
) -> None:
    friday_close = casablanca(friday.year, friday.month, friday.day, 20)
    monday_open = casablanca(monday.year, monday.month, monday.day, 8)
    assert friday_close.utcoffset() == timedelta(hours=friday_offset_h)  # the zone really changes in between
    assert monday_open.utcoffset() == timedelta(hours=monday_offset_h)
    opening = reference.next_open(friday_close)
    assert opening is not None
    assert opening.astimezone(UTC) == utc(monday.year, monday.month, monday.day, 8 - monday_offset_h)
    assert (opening.hour, opening.minute) == (8, 0)
    assert not reference.is_open(monday_open.astimezone(UTC) - timedelta(seconds=1))
    assert reference.is_open(monday_open.astimezone(UTC))
    # closed over the whole weekend, whatever its length in real time (61 h or 59 h)
    assert reference.business_seconds_between(friday_close, monday_open) == 0
    friday_seven = casablanca(friday.year, friday.month, friday.day, 19)
    assert reference.add_business_hours(friday_seven, 2) == casablanca(monday.year, monday.month, monday.day, 9)


def _open_sundays(sunday_hours: list[str]) -> BusinessCalendar:
    return BusinessCalendar(make(hours={"sunday": sunday_hours}))


def test_a_day_of_clock_change_lasts_25_or_23_hours() -> None:
    calendar = _open_sundays(["00:00-24:00"])
    assert calendar.business_seconds_between(casablanca(2026, 2, 15), casablanca(2026, 2, 16)) == 25 * 3600
    assert calendar.business_seconds_between(casablanca(2026, 3, 22), casablanca(2026, 3, 23)) == 23 * 3600


def test_an_opening_skipped_by_the_clocks_happens_when_they_jump() -> None:
    # On 22 March 2026 the clocks go from 02:00 straight to 03:00: "02:30" opens at the jump (03:00, 02:00 UTC).
    calendar = _open_sundays(["02:30-04:00"])
    assert calendar.next_open(casablanca(2026, 3, 22, 0)) == utc(2026, 3, 22, 2)
    assert calendar.status(utc(2026, 3, 22, 2)).closes_at == utc(2026, 3, 22, 3)
    wholly_skipped = _open_sundays(["02:10-02:50"])
    status = wholly_skipped.status(utc(2026, 3, 22, 1, 30))
    assert (status.reason, status.next_open) == (ClosedReason.OUTSIDE_HOURS, utc(2026, 3, 29, 1, 10))


def test_a_repeated_wall_time_means_its_first_occurrence() -> None:
    # On 15 February 2026 the clocks go from 03:00 back to 02:00: 02:30 happens twice; we open at the first.
    calendar = _open_sundays(["02:30-04:00"])
    opening = calendar.next_open(casablanca(2026, 2, 15, 0))
    assert opening is not None and opening.astimezone(UTC) == utc(2026, 2, 15, 1, 30)
    # PEP 495: a time in the repeated hour never equals a time in another zone, hence astimezone(UTC) above
    assert opening != utc(2026, 2, 15, 1, 30)
    assert calendar.business_seconds_between(utc(2026, 2, 15), utc(2026, 2, 16)) == 2.5 * 3600


# -- opening spans, deadlines ---------------------------------------------------------------------------------------


def test_touching_intervals_make_one_opening() -> None:
    calendar = BusinessCalendar(make(hours={"monday": ["08:00-12:00", "12:00-14:00", "20:00-24:00"],
                                            "tuesday": ["00:00-02:00"]}))  # fmt: skip
    assert calendar.status(casablanca(2026, 11, 23, 9)).closes_at == casablanca(2026, 11, 23, 14)
    assert calendar.status(casablanca(2026, 11, 23, 22)).closes_at == casablanca(2026, 11, 24, 2)


def test_always_open_never_closes_within_the_horizon() -> None:
    always = make(hours={day: ["00:00-24:00"] for day in (*WORKDAYS, "saturday", "sunday")})
    calendar = BusinessCalendar(always, horizon_days=30)
    status = calendar.status(casablanca(2026, 11, 23, 3))
    assert (status.open, status.closes_at) == (True, None)


def test_never_open_is_an_answer_not_a_hang() -> None:
    calendar = BusinessCalendar(make(hours={}))
    status = calendar.status(casablanca(2026, 11, 23, 9))
    assert status == OpenStatus(False, ClosedReason.WEEKEND, next_open=None)
    assert calendar.next_open(casablanca(2026, 11, 23, 9)) is None
    with pytest.raises(ValueError, match="not open for 1 hours"):
        calendar.add_business_hours(casablanca(2026, 11, 23, 9), 1)


def test_add_business_hours_counts_only_opening_time(reference: BusinessCalendar) -> None:
    monday = casablanca(2026, 11, 23, 8)
    # 72 business hours = six 12-hour days: Monday to Friday, then the next Monday until closing
    assert reference.add_business_hours(monday, 72) == casablanca(2026, 11, 30, 20)
    assert reference.add_business_hours(monday, 0) == monday
    assert reference.add_business_hours(casablanca(2026, 11, 28, 12), 1) == casablanca(2026, 11, 30, 9)
    assert reference.add_business_hours(casablanca(2026, 11, 28, 12), 0) == casablanca(2026, 11, 28, 12)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite number"):
            reference.add_business_hours(monday, bad)


def test_business_seconds_between(reference: BusinessCalendar) -> None:
    friday, monday = casablanca(2026, 11, 27, 19), casablanca(2026, 11, 30, 9)
    assert reference.business_seconds_between(friday, monday) == 2 * 3600
    assert reference.business_seconds_between(monday, friday) == -2 * 3600
    assert reference.business_seconds_between(friday, friday) == 0
    with pytest.raises(ValueError, match="span longer"):
        reference.business_seconds_between(friday, friday + timedelta(days=30 * 366))


def test_day_plans_are_cached_but_bounded() -> None:
    limit = calendar_module._PLAN_CACHE_LIMIT  # the real bound (a few thousand plans take a tenth of a second)
    calendar = BusinessCalendar(load_callcenter())
    first = calendar.plan(date(2026, 11, 23))
    assert calendar.plan(date(2026, 11, 23)) is first
    for offset in range(limit + 20):
        calendar.plan(date(2000, 1, 1) + timedelta(days=offset))
    assert len(calendar._plans) <= limit
    assert calendar.plan(date(2026, 11, 23)) == first


# -- properties over random call centers --------------------------------------------------------------------------

ZONES = ["Africa/Casablanca", "Europe/Paris", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
# Instants around real clock changes, where mistakes hide.
CHANGES = [utc(2026, 2, 15, 2), utc(2026, 3, 22, 2), utc(2027, 2, 7, 2), utc(2027, 3, 14, 2), utc(2026, 10, 25, 1)]


def _clock(half_hours: int) -> str:
    return f"{half_hours // 2:02d}:{30 * (half_hours % 2):02d}"


@st.composite
def day_hours(draw: st.DrawFn) -> list[str]:
    bounds = sorted(draw(st.sets(st.integers(0, 48), max_size=6)))
    return [f"{_clock(a)}-{_clock(b)}" for a, b in zip(bounds[::2], bounds[1::2], strict=False)]


@st.composite
def week(draw: st.DrawFn) -> dict[str, list[str]]:
    names = (*WORKDAYS, "saturday", "sunday")
    return {name: draw(day_hours()) for name in names}


dates = st.dates(min_value=date(2025, 6, 1), max_value=date(2028, 6, 1))


@st.composite
def callcenters(draw: st.DrawFn) -> CallCenter:
    closures = []
    for start in draw(st.lists(dates, max_size=2)):
        end = start + timedelta(days=draw(st.integers(0, 20)))
        closures.append({"start": start.isoformat(), "end": end.isoformat(), "reason": "random"})
    special = []
    if draw(st.booleans()):
        start = draw(dates)
        end = start + timedelta(days=draw(st.integers(0, 60)))
        special.append({"name": "random", "start": start.isoformat(), "end": end.isoformat(), "hours": draw(week())})
    return make(
        timezone=draw(st.sampled_from(ZONES)),
        hours=draw(week()),
        public_holidays_open=draw(st.booleans()),
        holiday_country=draw(st.sampled_from(["MA", "FR", None])),
        closures=closures,
        special_hours=special,
    )


instants = st.one_of(
    st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2028, 6, 1), timezones=st.just(UTC)),
    st.builds(lambda base, minutes: base + timedelta(minutes=minutes), st.sampled_from(CHANGES),
              st.integers(-3000, 3000)),
)  # fmt: skip

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(callcenters(), instants)
@example(make(hours={}), utc(2026, 11, 23, 9))  # never open
@example(make(hours={"sunday": ["02:30-04:00"]}), utc(2026, 3, 22, 1, 59))  # opening skipped by the clocks
@example(make(hours={"sunday": ["00:00-02:30"]}), utc(2026, 3, 22, 1, 0))  # closing skipped by the clocks
def test_next_open_is_open_and_not_before_now(callcenter: CallCenter, now: datetime) -> None:
    calendar = BusinessCalendar(callcenter)
    opening = calendar.next_open(now)
    status = calendar.status(now)
    assert status.open == calendar.is_open(now)
    if calendar.is_open(now):
        assert opening is not None and opening.astimezone(UTC) == now  # see PEP 495 on comparing across zones
        assert status.next_open is None and status.reason is None
        if status.closes_at is not None:
            assert status.closes_at > now
            assert not calendar.is_open(status.closes_at)
            # the instant before, in absolute time: wall-clock arithmetic would step into a gap the clocks skip
            assert calendar.is_open(status.closes_at.astimezone(UTC) - timedelta(microseconds=1))
    else:
        assert (status.next_open is None and opening is None) or status.next_open == opening
        assert status.reason is not None
    if opening is not None:
        assert opening >= now
        assert calendar.is_open(opening)
        assert calendar.business_seconds_between(now, opening) == 0


@PROPERTY_SETTINGS
@given(callcenters(), instants, st.floats(0, 200), st.floats(0, 200))
def test_add_business_hours_is_monotonic_and_inverts_the_count(
    callcenter: CallCenter, start: datetime, hours_a: float, hours_b: float
) -> None:
    calendar = BusinessCalendar(callcenter)
    low, high = sorted((hours_a, hours_b))
    try:
        early, late = calendar.add_business_hours(start, low), calendar.add_business_hours(start, high)
    except ValueError:
        return  # not enough opening time within the horizon: a bounded refusal, also an answer
    assert start <= early <= late
    assert calendar.business_seconds_between(start, late) == pytest.approx(high * 3600, abs=1e-3)
    later_start = start + timedelta(hours=1)
    assert calendar.add_business_hours(later_start, high) >= late


def test_properties_meet_real_configurations() -> None:
    """Walk real configurations opening by opening: each is open, each closes, each closing is closed."""
    cityhall = Path(__file__).resolve().parents[2] / "examples" / "cityhall.toml"
    for callcenter in (load_callcenter(), load_callcenter(cityhall)):
        calendar = BusinessCalendar(callcenter)
        moment = utc(2026, 12, 20)
        for _ in range(200):
            status = calendar.status(moment)
            assert not status.open and status.next_open is not None and status.next_open > moment
            opened = calendar.status(status.next_open)
            assert opened.open and opened.closes_at is not None
            moment = opened.closes_at

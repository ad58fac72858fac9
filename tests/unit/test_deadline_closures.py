"""Deadlines count closures and holidays: those of the call-center file and those entered on /ui/closures.html
(merged into the request configuration, pure: RequestConfig.with_overrides). Hand-computed over a weekend, a public
holiday and a closure; the workflow's working-day clocks alike; a closure entered later leaves a deadline already
set where it was."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.request_config import RequestConfig
from api.request_rules import due_at, request_type_for
from callcenter.config import Closure
from callcenter.loading import load_callcenter
from callcenter.overrides import CalendarOverrides
from callcenter.workflow import Stage, deadline, stage_due

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
CASABLANCA = ZoneInfo("Africa/Casablanca")
CITYHALL = RequestConfig(callcenter=load_callcenter(ROOT / "examples" / "cityhall.toml"), recordings_dir=ROOT)
CONSULAR = RequestConfig(callcenter=load_callcenter(), recordings_dir=ROOT)


def closed_on(*days: date) -> CalendarOverrides:
    return CalendarOverrides(closures=tuple(Closure(start=day, reason="Fermeture exceptionnelle") for day in days))


def test_a_48_hour_deadline_skips_the_weekend_a_public_holiday_and_a_closure_entered_at_run_time() -> None:
    followup = request_type_for(CITYHALL.callcenter, 2)
    assert followup.deadline_hours == 48
    friday = datetime(2027, 11, 5, 16, 0, tzinfo=PARIS)
    # Fri 16:00-16:30 0.5 h; Sat 3; Sun -; Mon 8th, Tue, Wed 7.5 each (26); Thu 11th Armistice: closed (a French
    # holiday, public_holidays_open = false); Fri 12th 6.5 (32.5); Sat 3 (35.5); Mon 15th 7.5 (43); Tue 16th
    # 08:30-12:00 (46.5) and 1.5 h from 13:30
    assert due_at(CITYHALL.calendar, followup, friday) == datetime(2027, 11, 16, 15, 0, tzinfo=PARIS)
    closed = CITYHALL.with_overrides(closed_on(date(2027, 11, 8)))
    # Monday 8th closed too: every day after it a working day later, to Wednesday 17th 15:00
    assert due_at(closed.calendar, followup, friday) == datetime(2027, 11, 17, 15, 0, tzinfo=PARIS)


def test_a_closure_on_a_working_day_of_the_consulates_pushes_the_deadline_by_that_day() -> None:
    second = request_type_for(CONSULAR.callcenter, 2)
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=CASABLANCA)
    assert due_at(CONSULAR.calendar, second, friday_evening) == datetime(2026, 12, 3, 19, 0, tzinfo=CASABLANCA)
    # 1 h Friday, 12 h Monday, Tuesday 1st closed, 12 h Wednesday and Thursday, 11 h Friday
    closed = CONSULAR.with_overrides(closed_on(date(2026, 12, 1)))
    assert due_at(closed.calendar, second, friday_evening) == datetime(2026, 12, 4, 19, 0, tzinfo=CASABLANCA)


def test_the_workflows_working_days_skip_a_closure_entered_at_run_time() -> None:
    friday = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    cleanliness = CITYHALL.department_calendars.of("proprete")  # works Saturday mornings
    assert deadline(cleanliness, friday, 2) == datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # Saturday, then Monday
    closed = CITYHALL.with_overrides(closed_on(date(2027, 3, 8)))
    assert deadline(closed.department_calendars.of("proprete"), friday, 2) == datetime(2027, 3, 9, 14, 0, tzinfo=UTC)
    complaints = closed.callcenter.complaints
    assert complaints is not None
    assert stage_due(complaints, closed.department_calendars.of(None), Stage.ASSIGNED, friday) == datetime(
        2027, 3, 6, 11, 0, tzinfo=UTC
    )  # one working day: the city opens on Saturday mornings (09:00-12:00 Paris)


def test_a_deadline_already_set_does_not_move_when_a_closure_is_entered_later() -> None:
    followup = request_type_for(CITYHALL.callcenter, 2)
    friday = datetime(2027, 11, 5, 16, 0, tzinfo=PARIS)
    given = due_at(CITYHALL.calendar, followup, friday)  # stored with the request that day
    closed = CITYHALL.with_overrides(closed_on(date(2027, 11, 8)))
    assert due_at(CITYHALL.calendar, followup, friday) == given  # the configuration it was set with is unchanged
    later = datetime(2027, 11, 6, 10, 0, tzinfo=PARIS)  # a request opened once the closure is entered counts it
    # Sat 2 h; Mon closed; Tue 9th, Wed 7.5 (17); Thu holiday; Fri 6.5 (23.5); Sat 3 (26.5); Mon 15th, Tue 7.5
    # (41.5); Wed 17th 08:30-12:00 (45) and 3 h from 13:30
    assert due_at(closed.calendar, followup, later) == datetime(2027, 11, 17, 16, 30, tzinfo=PARIS)


def test_merged_configurations_are_kept_and_the_hooks_shared() -> None:
    config = RequestConfig(callcenter=CITYHALL.callcenter, recordings_dir=ROOT)
    assert config.with_overrides(CalendarOverrides()) is config
    first = config.with_overrides(closed_on(date(2027, 11, 8)))
    assert config.with_overrides(closed_on(date(2027, 11, 8))) is first  # the same merge: its caches live on
    assert first is not config and first.on_transition is config.on_transition
    assert config.with_overrides(closed_on(date(2027, 11, 9))) is not first
    assert not any(closure.start == date(2027, 11, 8) for closure in config.callcenter.closures)
    for day in range(10, 30):  # a bounded number of merges is kept
        config.with_overrides(closed_on(date(2027, 11, day)))
    assert len(config._merged) <= 8


def test_overrides_the_file_refuses_leave_the_files_calendar(caplog: pytest.LogCaptureFixture) -> None:
    unknown = CalendarOverrides(holiday_overrides={2027: {"Fête inconnue": [date(2027, 6, 1)]}})
    with caplog.at_level(logging.WARNING):
        assert CITYHALL.with_overrides(unknown) is CITYHALL
    assert "left out of request deadlines" in caplog.text

"""Pure rules of requests: references, business-hours deadlines, transitions."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from api.request_rules import (
    due_at,
    due_soon_cutoff,
    may_move,
    new_reference,
    request_type_for,
)
from callcenter.calendar import BusinessCalendar
from callcenter.loading import load_callcenter
from callcenter.requests import RequestStatus

CASABLANCA = ZoneInfo("Africa/Casablanca")
CALLCENTER = load_callcenter()
CALENDAR = BusinessCalendar(CALLCENTER)


def test_references_are_eight_digits_without_a_leading_zero_and_not_sequential() -> None:
    references = [new_reference() for _ in range(2000)]
    assert all(len(r) == 8 and r.isdigit() and r[0] != "0" for r in references)
    assert len(set(references)) > 1990
    ordered = sorted(int(r) for r in references)
    assert max(b - a for a, b in itertools.pairwise(ordered)) > 1


def test_deadlines_count_only_opening_hours() -> None:
    first, second, third = (request_type_for(CALLCENTER, n) for n in (1, 2, 3))
    assert (first.deadline_hours, second.deadline_hours) == (72, 48)
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=CASABLANCA)
    # 1 h on Friday, then 12 h a day from Monday: 47 more hours end Thursday 19:00.
    assert due_at(CALENDAR, second, friday_evening) == datetime(2026, 12, 3, 19, 0, tzinfo=CASABLANCA)
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=CASABLANCA)
    # nothing counts over the weekend: Monday 30th to Friday 4th, then Monday 7th, 12 h each
    assert due_at(CALENDAR, first, saturday) == datetime(2026, 12, 7, 20, 0, tzinfo=CASABLANCA)
    assert third.archived and not first.archived


def test_a_message_without_a_chosen_type_gets_the_first_type() -> None:
    assert request_type_for(CALLCENTER, None).digit == "1"
    assert request_type_for(CALLCENTER, 42).digit == "1"
    assert request_type_for(CALLCENTER, 2).key == "request_status"


def test_due_soon_cutoff_skips_the_night() -> None:
    evening = datetime(2026, 11, 24, 19, 0, tzinfo=CASABLANCA)
    assert due_soon_cutoff(CALENDAR, evening, 3) == datetime(2026, 11, 25, 10, 0, tzinfo=CASABLANCA)


def test_transitions() -> None:
    assert may_move(RequestStatus.NEW, RequestStatus.IN_PROGRESS)
    assert may_move(RequestStatus.ANSWERED, RequestStatus.IN_PROGRESS)  # reopened
    assert not may_move(RequestStatus.ANSWERED, RequestStatus.NEW)
    assert not any(may_move(RequestStatus.CLOSED, target) for target in RequestStatus)

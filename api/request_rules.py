"""Pure rules of requests: references, deadlines in business hours, the status workflow.

Rules:
- A reference is 8 random digits not starting with 0 (from `secrets`): short enough to key on a phone, and not
  sequential, so knowing one reference tells nothing about another. Uniqueness is the database's job.
- A deadline is `deadline_hours` of opening time after creation, from the call-center calendar: nights,
  weekends, public holidays the call center closes on and closures pause it, those of the call-center file and
  those entered on /ui/closures.html alike (the calendar passed in has them merged: api.request_config). A request
  created while closed starts counting at the next opening.
- A deadline is fixed when it is set: adding or removing a closure later does not move the deadlines already
  given. The citizen was shown that date (the portal's receipt and its follow-up page) and the ministry report
  measures "answered on time" against it; a closure counts for every deadline set once it is entered, so enter
  closures ahead (they usually are: holidays, bridge days). The complaint workflow's stage clocks follow the same
  rule, each set when its stage is entered (callcenter.workflow).
- Status moves only along `TRANSITIONS`; closing is possible from any open state, reopening only from answered.
- Time is always passed in.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter, RequestType
from callcenter.requests import RequestStatus

REFERENCE_DIGITS = 8

TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.NEW: frozenset({RequestStatus.IN_PROGRESS, RequestStatus.ANSWERED, RequestStatus.CLOSED}),
    RequestStatus.IN_PROGRESS: frozenset({RequestStatus.ANSWERED, RequestStatus.CLOSED}),
    RequestStatus.ANSWERED: frozenset({RequestStatus.IN_PROGRESS, RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset(),
}
OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)


def new_reference() -> str:
    low = 10 ** (REFERENCE_DIGITS - 1)
    return str(low + secrets.randbelow(9 * low))


def may_move(current: RequestStatus, target: RequestStatus) -> bool:
    return target in TRANSITIONS[current]


def request_type_for(callcenter: CallCenter, number: int | None) -> RequestType:
    """The configured type keyed `number`; a message left without choosing one (after hours) gets the first type."""
    if number is not None:
        found = callcenter.request_type(str(number))
        if found is not None:
            return found
    return callcenter.request_types[0]


def due_at(calendar: BusinessCalendar, kind: RequestType, created_at: datetime) -> datetime:
    return calendar.add_business_hours(created_at, kind.deadline_hours)


def due_soon_cutoff(calendar: BusinessCalendar, now: datetime, within_business_hours: float) -> datetime:
    """Open requests due before this instant are "due soon": less than that much opening time is left."""
    return calendar.add_business_hours(now, within_business_hours)

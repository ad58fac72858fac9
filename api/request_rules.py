"""Pure rules of requests: references, deadlines in business hours, the status workflow, the portal's limit.

Rules:
- A reference is 8 random digits not starting with 0 (from `secrets`): short enough to key on a phone, and not
  sequential, so knowing one reference tells nothing about another. Uniqueness is the database's job.
- A deadline is `deadline_hours` of opening time after creation, from the call-center calendar: nights,
  weekends, closures pause it. A request created while closed starts counting at the next opening.
- Status moves only along `TRANSITIONS`; closing is possible from any open state, reopening only from answered.
- Time is always passed in.
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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


@dataclass
class RateLimiter:
    """At most `limit` hits per key within `window` (a sliding window), for the unauthenticated portal form.

    In-process memory: with several API processes each keeps its own count (the limit per address is then
    limit x processes); a proxy in front should carry the global limit.
    """

    limit: int = 5
    window: timedelta = timedelta(minutes=10)
    max_keys: int = 100_000
    _hits: dict[str, deque[datetime]] = field(default_factory=dict)

    def allow(self, key: str, now: datetime) -> bool:
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > self.max_keys:  # forget idle addresses rather than grow without bound
            for stale in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window]:
                del self._hits[stale]
        return True

"""When a citizen notification that failed is tried again (sans-I/O: the time is passed in).

Rules:
- After the 1st failed try: 1 minute; after the 2nd: 5 minutes; after the 3rd: 30 minutes; then every hour.
- A notification is given up when its next try would fall more than `GIVE_UP_AFTER` (48 h) after it was recorded:
  `next_try` answers None, and the row is recorded as given up (the citizen is not told days late).
"""

from __future__ import annotations

from datetime import datetime, timedelta

DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
EVERY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=48)


def delay_after(attempts: int) -> timedelta:
    """The wait after `attempts` failed tries (1 or more)."""
    return DELAYS[attempts - 1] if 1 <= attempts <= len(DELAYS) else EVERY


def next_try(*, attempts: int, recorded_at: datetime, now: datetime) -> datetime | None:
    """The next try of a notification recorded at `recorded_at` whose `attempts`-th try just failed at `now`;
    None: give up."""
    candidate = now + delay_after(attempts)
    return candidate if candidate <= recorded_at + GIVE_UP_AFTER else None

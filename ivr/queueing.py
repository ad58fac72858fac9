"""The waiting experience's pure decisions and the `QueueDesk` the queue_wait flow asks (issue 6).

Rules:
- All times here are Asterisk's (${EPOCH}), never the flow clock: the dialplan stamped the join with it, and a
  demo or test agi server may run on a shifted clock.
- The wait is cut in slices of `announce_s`; the last slice is what remains of the queue timeout, and a caller
  whose time is used up goes to voicemail, as they would have without the announcements.
- A callback is only offered to a number we can dial back (digits, long enough): not to anonymous callers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

CALLBACK_NUMBER = re.compile(r"^\+?[0-9]{6,20}$")
MIN_SLICE_S = 5  # never re-enter the queue for less: the caller would hear announcements back to back


class QueueDesk(Protocol):
    async def estimate(self, queue: str, position: int) -> float | None:
        """Estimated seconds to wait at `position`; None when unknown (no recent data, API unavailable)."""
        ...

    async def book_callback(
        self, *, number: str, queue: str, language: str, linkedid: str, uniqueid: str, joined_at: datetime
    ) -> bool | None:
        """True: booked; False: this number already had an open callback; None: could not book."""
        ...


@dataclass(frozen=True)
class NextSlice:
    route: str  # "queue" (back in, for slice_s seconds at position) or "voicemail" (time used up)
    slice_s: int
    position: int


def next_slice(*, joined_at: float, now: float, timeout_s: float, announce_s: float, position: int) -> NextSlice:
    remaining = timeout_s - (now - joined_at)
    if remaining < 1:
        return NextSlice(route="voicemail", slice_s=0, position=position)
    slice_s = max(MIN_SLICE_S, math.ceil(min(announce_s, remaining)))
    return NextSlice(route="queue", slice_s=slice_s, position=max(1, position))


def can_call_back(number: str) -> bool:
    return bool(CALLBACK_NUMBER.match(number))


def parse_number(text: str | None, default: float) -> float:
    try:
        value = float(text or "")
    except ValueError:
        return default
    return value if math.isfinite(value) else default

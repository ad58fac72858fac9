"""Waiting for something to become true, always with a deadline.

Rules: a probe is looked at, then looked at again a few milliseconds later, until it returns something truthy
(which is returned) or the deadline passes (an AssertionError that says what was awaited and what was last
seen). The pause between two looks only spaces the looks out; it never stands in for the wait itself.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

INTERVAL_S = 0.02


def _timed_out(what: str, timeout_s: float, last: object) -> AssertionError:
    return AssertionError(f"{what}: not within {timeout_s} s (last seen: {last!r})")


async def eventually(
    probe: Callable[[], T | Awaitable[T]], *, timeout_s: float, what: str, interval_s: float = INTERVAL_S
) -> T:
    """Poll `probe` (a plain or an async function) until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        last: T = await value if inspect.isawaitable(value) else value  # type: ignore[assignment]
        if last:
            return last
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout_s, last)
        await asyncio.sleep(interval_s)


def eventually_blocking(
    probe: Callable[[], T], *, timeout_s: float, what: str, interval_s: float = INTERVAL_S
) -> T:
    """`eventually` for code that runs outside an event loop (sync fixtures, a file lock, a benchmark's setup)."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout_s, last)
        time.sleep(interval_s)

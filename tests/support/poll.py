"""Waiting for something to become true, always with a deadline.

Rules: a probe is looked at, then looked at again a few milliseconds later, until it returns something truthy
(which is returned) or the deadline passes (an AssertionError that says what was awaited and what was last
seen). The pause between two looks only spaces the looks out; it never stands in for the wait itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, overload

T = TypeVar("T")

INTERVAL_S = 0.02


def _timed_out(what: str, timeout_s: float, last: object) -> AssertionError:
    return AssertionError(f"{what}: not within {timeout_s} s (last seen: {last!r})")


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout_s: float, what: str, interval_s: float = INTERVAL_S
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T | None], *, timeout_s: float, what: str, interval_s: float = INTERVAL_S
) -> T: ...


async def eventually(probe: Callable[[], Any], *, timeout_s: float, what: str, interval_s: float = INTERVAL_S) -> Any:
    """Poll `probe` (a plain or an async function) until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = probe()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout_s, last)
        await asyncio.sleep(interval_s)


def eventually_blocking(probe: Callable[[], T], *, timeout_s: float, what: str, interval_s: float = INTERVAL_S) -> T:
    """`eventually` for code that runs outside an event loop (sync fixtures, a file lock, a benchmark's setup)."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout_s, last)
        time.sleep(interval_s)


@contextlib.contextmanager
def file_lock(path: Path, *, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if need be), waiting at most `timeout_s` for it; released on
    exit, or by the kernel if this process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:

        def taken() -> bool:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        eventually_blocking(taken, timeout_s=timeout_s, what=f"the lock {path}", interval_s=0.2)
        yield

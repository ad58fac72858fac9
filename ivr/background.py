"""Work a flow starts but must not wait for (remembering a caller's language), kept until it is done.

Rules: a task is held here so it is not garbage-collected mid-flight; the FastAGI server's loop runs it to its end
on its own; a one-call process (process AGI) must `await settle()` before its loop closes, or the work is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

_tasks: set[asyncio.Task[None]] = set()


def spawn(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def settle() -> None:
    """Wait for every task started so far (and any they start); their own errors are theirs to log."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)

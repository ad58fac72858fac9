"""The live state as the wallboard and agent pages read it: one JSON document, rendered at `now` (passed in)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from api.ami.queues import Member, QueueState, WaitingCaller, estimated_wait_s


def snapshot(
    queues: Mapping[str, QueueState], *, now: datetime, service_level_s: float, wrapup_s: int
) -> dict[str, object]:
    """The JSON the wallboard and agent pages render."""
    return {
        "at": now.isoformat(),
        "service_level_s": service_level_s,
        "queues": [_queue(queues[name], now=now, wrapup_s=wrapup_s) for name in sorted(queues)],
    }


def _queue(queue: QueueState, *, now: datetime, wrapup_s: int) -> dict[str, object]:
    level = queue.service_level()
    return {
        "name": queue.name,
        "waiting": [_caller(caller, now) for caller in sorted(queue.callers.values(), key=lambda c: c.position)],
        "longest_wait_s": round(queue.longest_wait_s(now)),
        "members": [_member(member, now, wrapup_s) for member in sorted(queue.members.values(), key=lambda m: m.name)],
        "offered_today": queue.offered,
        "answered_today": queue.answered,
        "abandoned_today": queue.abandoned,
        "callbacks_today": queue.callbacks,
        "service_level_today": None if level is None else round(level, 3),
        "estimated_wait_s": estimated_wait_s(queue.recent_waits, now=now, position=1),
    }


def _caller(caller: WaitingCaller, now: datetime) -> dict[str, object]:
    return {
        "number": caller.number,
        "language": caller.language,
        "position": caller.position,
        "joined_at": caller.joined_at.isoformat(),
        "wait_s": round((now - caller.joined_at).total_seconds()),
    }


def _member(member: Member, now: datetime, wrapup_s: int) -> dict[str, object]:
    return {
        "interface": member.interface,
        "name": member.name,
        "state": member.state(now, wrapup_s).value,
        "paused_reason": member.paused_reason,
        "penalty": member.penalty,
        "calls_taken": member.calls_taken,
        "caller": member.caller,
    }

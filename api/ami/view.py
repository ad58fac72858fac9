"""The live state as the wallboard and agent pages read it: one JSON document, rendered at `now` (passed in).

Rules:
- `queues`: one entry per queue (the first WAITING_LISTED waiting callers and their count, members, today's
  counters, last-hour sparkline): with 5,000 callers waiting the whole list would be most of every frame.
- `agents`: the agent grid, one row per seat however many queues it is in; its state is the most engaged of its
  per-queue states (STATE_PRIORITY), its time in state counts from the latest change among those queues.
- `totals`: the centre as a whole (what the wallboard's top row shows). Durations are whole seconds at `now`: the
  page ticks them on between snapshots.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import datetime

from api.ami.queues import STATE_PRIORITY, AgentDay, Member, QueueState, WaitingCaller, estimated_wait_s

WAITING_LISTED = 100  # callers listed per queue (the head of the line); `waiting_count` counts them all
_RANK = {state: rank for rank, state in enumerate(STATE_PRIORITY)}


def snapshot(
    queues: Mapping[str, QueueState],
    agents: Mapping[str, AgentDay] | None = None,
    *,
    now: datetime,
    service_level_s: float,
    wrapup_s: int,
) -> dict[str, object]:
    """The JSON the wallboard and agent pages render."""
    rendered = [_queue(queues[name], now=now, wrapup_s=wrapup_s) for name in sorted(queues)]
    grid = agent_grid(queues, agents or {}, now=now, wrapup_s=wrapup_s)
    return {
        "at": now.isoformat(),
        "service_level_s": service_level_s,
        "queues": rendered,
        "agents": grid,
        "totals": totals(queues.values(), grid, now=now),
    }


def agent_grid(
    queues: Mapping[str, QueueState], agents: Mapping[str, AgentDay], *, now: datetime, wrapup_s: int
) -> list[dict[str, object]]:
    """One row per seat: its most engaged state, since when, its queues, current call and today's figures."""
    rows: dict[str, dict[str, object]] = {}
    since: dict[str, datetime | None] = {}
    for name in sorted(queues):
        for member in queues[name].members.values():
            state = member.state(now, wrapup_s).value
            row = rows.get(member.interface)
            if row is None:
                row = rows[member.interface] = {
                    "interface": member.interface, "name": member.name, "state": state, "paused_reason": "",
                    "queues": [], "caller": "", "talk_queue": "", "talk_s": None, "calls_today": 0,
                    "avg_handle_s": None,
                }  # fmt: skip
                since[member.interface] = member.state_since
            elif _RANK[state] < _RANK[str(row["state"])]:
                row["state"], since[member.interface] = state, member.state_since
            elif state == row["state"] and member.state_since is not None:
                known = since[member.interface]
                since[member.interface] = member.state_since if known is None else max(known, member.state_since)
            queue_list = row["queues"]
            assert isinstance(queue_list, list)
            queue_list.append(name)
            if member.paused_reason and not row["paused_reason"]:
                row["paused_reason"] = member.paused_reason
            if member.caller and not row["caller"]:
                row["caller"] = member.caller
    for interface, row in rows.items():
        started = since[interface]
        row["in_state_s"] = None if started is None else max(0, round((now - started).total_seconds()))
        day = agents.get(interface)
        if day is None:
            continue
        row["calls_today"] = day.calls
        row["avg_handle_s"] = round(day.handle_s / day.calls) if day.calls else None
        if day.talk_since is not None and row["state"] == "on_call":
            row["talk_queue"] = day.talk_queue
            row["talk_s"] = max(0, round((now - day.talk_since).total_seconds()))
    return sorted(rows.values(), key=lambda row: (str(row["name"]), str(row["interface"])))


def totals(queues: Iterable[QueueState], grid: list[dict[str, object]], *, now: datetime) -> dict[str, object]:
    """The centre's figures: the sum of its queues, and its agents (each counted once) by state."""
    waiting = longest = offered = answered = abandoned = within = callbacks = 0
    longest_f = 0.0
    for queue in queues:
        waiting += len(queue.callers)
        longest_f = max(longest_f, queue.longest_wait_s(now))
        offered += queue.offered
        answered += queue.answered
        abandoned += queue.abandoned
        within += queue.answered_within_sl
        callbacks += queue.callbacks
    longest = round(longest_f)
    finished = answered + abandoned
    states = {state: 0 for state in STATE_PRIORITY}
    for row in grid:
        states[str(row["state"])] += 1
    return {
        "waiting": waiting,
        "longest_wait_s": longest,
        "offered_today": offered,
        "answered_today": answered,
        "abandoned_today": abandoned,
        "abandon_rate": None if finished == 0 else round(abandoned / finished, 3),
        "service_level_today": None if finished == 0 else round(within / finished, 3),
        "callbacks_today": callbacks,
        "agents": states,
    }


def _queue(queue: QueueState, *, now: datetime, wrapup_s: int) -> dict[str, object]:
    level = queue.service_level()
    return {
        "name": queue.name,
        "waiting": [
            _caller(caller, now)
            for caller in heapq.nsmallest(WAITING_LISTED, queue.callers.values(), key=lambda c: c.position)
        ],
        "waiting_count": len(queue.callers),
        "longest_wait_s": round(queue.longest_wait_s(now)),
        "members": [_member(member, now, wrapup_s) for member in sorted(queue.members.values(), key=lambda m: m.name)],
        "offered_today": queue.offered,
        "answered_today": queue.answered,
        "abandoned_today": queue.abandoned,
        "callbacks_today": queue.callbacks,
        "service_level_today": None if level is None else round(level, 3),
        "estimated_wait_s": estimated_wait_s(queue.recent_waits, now=now, position=1),
        "sparkline": queue.sparkline(now),
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

"""The live state as the wallboard and agent pages read it: one JSON document, rendered at `now` (passed in).

Rules:
- `queues`: one entry per queue (the first WAITING_LISTED waiting callers and their count, members, today's
  counters, last-hour sparkline): with 5,000 callers waiting the whole list would be most of every frame.
- `agents`: the agent grid, one row per seat however many queues it is in; its state is the most engaged of its
  per-queue states (STATE_PRIORITY), `state_since` the latest change among those queues (epoch seconds, like
  `talk_since`: rows are kept from one snapshot to the next, so they carry instants, not durations).
- `totals`: the centre as a whole (what the wallboard's top row shows). Durations are whole seconds at `now`: the
  page ticks them on between snapshots.
"""

from __future__ import annotations

import heapq
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from api.ami.queues import STATE_PRIORITY, AgentDay, Member, QueueState, WaitingCaller, estimated_wait_s

WAITING_LISTED = 20  # callers listed per queue (the head of the line); `waiting_count` counts them all
_RANK = {state: rank for rank, state in enumerate(STATE_PRIORITY)}


def snapshot(
    queues: Mapping[str, QueueState],
    agents: Mapping[str, AgentDay] | None = None,
    *,
    now: datetime,
    service_level_s: float,
    wrapup_s: int,
    grid_cache: GridCache | None = None,
) -> dict[str, object]:
    """The JSON the wallboard and agent pages render."""
    rendered = [_cached_queue(queues[name], now=now, wrapup_s=wrapup_s) for name in sorted(queues)]
    grid = agent_grid(queues, agents or {}, now=now, wrapup_s=wrapup_s, cache=grid_cache)
    return {
        "at": now.isoformat(),
        "service_level_s": service_level_s,
        "queues": rendered,
        "agents": grid,
        "totals": totals(queues.values(), grid, now=now, rendered=rendered),
    }


def _cached_queue(queue: QueueState, *, now: datetime, wrapup_s: int) -> dict[str, object]:
    """A queue's JSON, rendered again only when the queue changed or a new second began (its durations are whole
    seconds): with 1,000 agents an event in one queue re-renders that queue, not all of them."""
    # each queue starts its seconds at its own phase, so that they do not all re-render in the same snapshot
    key = (queue.version, int(now.timestamp() + zlib.crc32(queue.name.encode()) % 1000 / 1000), wrapup_s)
    if queue.rendered is None or queue.rendered[0] != key:
        queue.rendered = (key, _queue(queue, now=now, wrapup_s=wrapup_s))
    return queue.rendered[1]


@dataclass
class GridCache:
    """The agent grid between two snapshots: a row is rebuilt only when a queue it is (or was) in changed, or
    when it is in wrap-up (which ends with time, not with an event). Durations are not in the rows: they carry
    `state_since`/`talk_since` (epoch seconds) and the page counts from the snapshot's `at`."""

    versions: dict[str, int] = field(default_factory=dict)  # queue -> version the rows were built from
    members_of: dict[str, set[str]] = field(default_factory=dict)  # queue -> interfaces, as of those versions
    rows: dict[str, dict[str, object]] = field(default_factory=dict)  # interface -> row
    order: list[str] = field(default_factory=list)  # interfaces by name


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else round(moment.timestamp(), 1)


def _agent_row(
    interface: str, queues: Mapping[str, QueueState], day: AgentDay | None, *, now: datetime, wrapup_s: int
) -> dict[str, object] | None:
    row: dict[str, object] | None = None
    since: datetime | None = None
    names: list[str] = []
    for name in sorted(queues):
        member = queues[name].members.get(interface)
        if member is None:
            continue
        names.append(name)
        state = member.state(now, wrapup_s).value
        if row is None:
            row = {"interface": interface, "name": member.name, "state": state, "paused_reason": "", "caller": "",
                   "talk_queue": "", "talk_since": None, "calls_today": 0, "avg_handle_s": None}  # fmt: skip
            since = member.state_since
        elif _RANK[state] < _RANK[str(row["state"])]:
            row["state"], since = state, member.state_since
        elif state == row["state"] and member.state_since is not None:
            since = member.state_since if since is None else max(since, member.state_since)
        if member.paused_reason and not row["paused_reason"]:
            row["paused_reason"] = member.paused_reason
        if member.caller and not row["caller"]:
            row["caller"] = member.caller
    if row is None:
        return None
    row["queues"] = names
    row["state_since"] = _epoch(since)
    if day is not None:
        row["calls_today"] = day.calls
        row["avg_handle_s"] = round(day.handle_s / day.calls) if day.calls else None
        if day.talk_since is not None and row["state"] == "on_call":
            row["talk_queue"], row["talk_since"] = day.talk_queue, _epoch(day.talk_since)
    return row


def agent_grid(
    queues: Mapping[str, QueueState],
    agents: Mapping[str, AgentDay],
    *,
    now: datetime,
    wrapup_s: int,
    cache: GridCache | None = None,
) -> list[dict[str, object]]:
    """One row per seat: its most engaged state, since when, its queues, current call and today's figures."""
    cache = cache if cache is not None else GridCache()
    dirty: set[str] = {interface for interface, row in cache.rows.items() if row["state"] == "wrapup"}
    for name in set(queues) | set(cache.versions):
        queue = queues.get(name)
        if queue is not None and cache.versions.get(name) == queue.version:
            continue
        dirty |= cache.members_of.pop(name, set())
        cache.versions.pop(name, None)
        if queue is not None:
            cache.members_of[name] = set(queue.members)
            cache.versions[name] = queue.version
            dirty |= cache.members_of[name]
    reorder = False
    for interface in dirty:
        row = _agent_row(interface, queues, agents.get(interface), now=now, wrapup_s=wrapup_s)
        if row is None:
            reorder |= cache.rows.pop(interface, None) is not None
        else:
            old = cache.rows.get(interface)
            reorder |= old is None or old["name"] != row["name"]
            if old != row:  # an unchanged row stays the same object: its JSON text is kept (FragmentEncoder)
                cache.rows[interface] = row
    if reorder:
        cache.order = sorted(cache.rows, key=lambda interface: (str(cache.rows[interface]["name"]), interface))
    return [cache.rows[interface] for interface in cache.order]


def totals(
    queues: Iterable[QueueState],
    grid: list[dict[str, object]],
    *,
    now: datetime,
    rendered: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """The centre's figures: the sum of its queues, and its agents (each counted once) by state."""
    waiting = longest = offered = answered = abandoned = within = callbacks = 0
    longest_f = 0.0
    longest_of = {str(q["name"]): q["longest_wait_s"] for q in rendered or []}  # already computed: not again
    for queue in queues:
        waiting += len(queue.callers)
        known = longest_of.get(queue.name)
        longest_f = max(longest_f, float(known) if isinstance(known, int | float) else queue.longest_wait_s(now))
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
        "language": queue.language,
        "label": queue.label,
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


class FragmentEncoder:
    """The snapshot as the JSON text json.dumps would give (compact, UTF-8 kept), re-encoding only the queues and
    agent rows that are new objects since the last call: cached queues and rows are the same objects from one
    snapshot to the next (see _cached_queue, GridCache), so their text is kept with them."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[object, str]] = {}  # id -> (the object, kept alive so its id stays its own)

    @staticmethod
    def _dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def __call__(self, snapshot: Mapping[str, object]) -> str:
        used: dict[int, tuple[object, str]] = {}

        def text_of(item: object) -> str:
            known = self._texts.get(id(item))
            text = known[1] if known is not None and known[0] is item else self._dumps(item)
            used[id(item)] = (item, text)
            return text

        parts = []
        for key, value in snapshot.items():
            if key in ("queues", "agents") and isinstance(value, list):
                body = "[" + ",".join(text_of(item) for item in value) + "]"
            else:
                body = self._dumps(value)
            parts.append(f"{self._dumps(key)}:{body}")
        self._texts = used
        return "{" + ",".join(parts) + "}"

"""The wallboard's view of the live state (api.ami.view): the agent grid (one row per seat), the centre's totals,
the last-hour sparkline, and the caching that keeps a snapshot cheap with 1,000 agents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from api.ami.state import LiveState
from api.ami.view import FragmentEncoder
from tests.support.wallboard_scene import busy_centre, threshold_transcript

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Casablanca


def stamp(at: datetime) -> str:
    return f"{at.timestamp():.6f}"


def member(queue: str, interface: str, at: datetime, **fields: str) -> dict[str, str]:
    return {"Event": "QueueMemberAdded", "Queue": queue, "MemberName": "Nadia", "Interface": interface,
            "Status": "1", "InCall": "0", "Paused": "0", "Timestamp": stamp(at), **fields}  # fmt: skip


def call(queue: str, uniqueid: str, interface: str, joined: datetime, answered: datetime) -> list[dict[str, str]]:
    common = {"Queue": queue, "Uniqueid": uniqueid, "Linkedid": uniqueid, "CallerIDNum": "+33612345678"}
    return [
        {"Event": "QueueCallerJoin", **common, "Position": "1", "Timestamp": stamp(joined)},
        {"Event": "AgentConnect", **common, "Interface": interface, "HoldTime": "5", "Timestamp": stamp(answered)},
    ]


def part(snapshot: dict[str, object], name: str) -> list[dict[str, Any]]:
    value = snapshot[name]
    assert isinstance(value, list)
    return value


def state_with(events: list[dict[str, str]]) -> LiveState:
    state = LiveState(timezone="Africa/Casablanca", service_level_s=20)
    for event in events:
        state.apply(event, T0)
    return state


def test_a_seat_in_two_queues_is_one_row_with_its_most_engaged_state_and_its_day() -> None:
    seat = "PJSIP/agent1001"
    events = [member("q-fr", seat, T0), member("q-ar", seat, T0)]
    events += call("q-fr", "1.1", seat, T0 + timedelta(seconds=10), T0 + timedelta(seconds=15))
    events.append({"Event": "AgentComplete", "Queue": "q-fr", "Uniqueid": "1.1", "Interface": seat, "TalkTime": "100",
                   "Timestamp": stamp(T0 + timedelta(seconds=115))})  # fmt: skip
    events += call("q-ar", "1.2", seat, T0 + timedelta(seconds=200), T0 + timedelta(seconds=230))
    state = state_with(events)
    now = T0 + timedelta(seconds=260)
    snapshot = state.snapshot(now)
    [row] = part(snapshot, "agents")
    assert (row["interface"], row["state"], row["queues"]) == (seat, "on_call", ["q-ar", "q-fr"])
    assert (row["talk_queue"], row["talk_since"]) == ("q-ar", round((T0 + timedelta(seconds=230)).timestamp(), 1))
    assert (row["calls_today"], row["avg_handle_s"]) == (1, 100)
    assert row["state_since"] == round((T0 + timedelta(seconds=230)).timestamp(), 1)
    totals: Any = snapshot["totals"]
    assert (totals["offered_today"], totals["answered_today"], totals["abandon_rate"]) == (2, 2, 0.0)
    assert totals["agents"]["on_call"] == 1 and totals["agents"]["available"] == 0  # counted once


def test_the_recorded_transcript_gives_the_figures_the_thresholds_test_expects() -> None:
    now = T0.timestamp()
    state = state_with(threshold_transcript(now))
    snapshot = state.snapshot(T0)
    totals: Any = snapshot["totals"]
    assert (totals["waiting"], totals["longest_wait_s"], totals["abandon_rate"]) == (1, 200, 1.0)
    assert totals["service_level_today"] == 0.0
    [row] = part(snapshot, "agents")
    assert (row["state"], row["paused_reason"]) == ("paused", "training")
    assert 1000 < now - row["state_since"] < 1020


def test_the_sparkline_counts_offers_per_five_minutes_over_the_last_hour() -> None:
    events = [{"Event": "QueueCallerJoin", "Queue": "q-fr", "Uniqueid": f"2.{n}", "Position": "1",
               "Timestamp": stamp(T0 - timedelta(minutes=n * 2))} for n in range(40)]  # fmt: skip
    events.sort(key=lambda event: float(event["Timestamp"]))
    state = state_with(events)
    [queue] = part(state.snapshot(T0), "queues")
    spark = queue["sparkline"]
    # 12 slots of 5 min: T0 opens the last one, the first began 55 min before; joins every 2 min: 28 of 40
    assert len(spark) == 12 and sum(spark) == 28
    assert spark[-1] == 1  # T0 itself opens a new slot


def test_unchanged_rows_and_queues_stay_the_same_objects_and_text() -> None:
    state = state_with(busy_centre(T0.timestamp()))
    first = state.snapshot(T0)
    encode = FragmentEncoder()
    assert json.loads(encode(first)) == json.loads(json.dumps(first))
    state.apply({"Event": "QueueCallerJoin", "Queue": "q-de", "Uniqueid": "9.9", "Position": "1",
                 "Timestamp": stamp(T0)}, T0)  # fmt: skip
    second = state.snapshot(T0)
    rows_before = {row["interface"]: row for row in part(first, "agents")}
    kept = [row for row in part(second, "agents") if rows_before[row["interface"]] is row]
    assert len(kept) == len(rows_before)  # a caller joining changes no agent's row
    queues_before = {queue["name"]: queue for queue in part(first, "queues")}
    changed = [queue["name"] for queue in part(second, "queues") if queues_before[queue["name"]] is not queue]
    assert changed == ["q-de"]
    assert json.loads(encode(second)) == json.loads(json.dumps(second))

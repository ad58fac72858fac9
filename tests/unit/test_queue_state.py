"""The queue-state reducer, fed with AMI transcripts recorded from the sandbox Asterisk 22 (tests/fixtures/ami/):
every AMI message our test client saw, in order, unedited. paused_then_answered and api_restart come from
tests/asterisk/test_agents.py run with IVR_RECORD_AMI=DIR; answered_call and abandoned_call from the same tier
fixtures (an agent added with QueueAdd, a SIPp caller answered, or hanging up while the agent is paused)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.ami.state import LiveState, MemberState, estimated_wait_s

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ami"


def transcript(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def first(events: list[dict[str, str]], kind: str) -> int:
    return next(index for index, event in enumerate(events) if event.get("Event") == kind)


def replay(state: LiveState, events: list[dict[str, str]], at: datetime) -> None:
    for event in events:
        state.apply(event, at)


def new_state() -> LiveState:
    return LiveState(timezone="Africa/Casablanca", service_level_s=20, wrapup_s=15)


def at_event(event: dict[str, str]) -> datetime:
    return datetime.fromtimestamp(float(event["Timestamp"]), UTC)


def member_state(state: LiveState, queue: str, interface: str, now: datetime) -> MemberState:
    return state.queues[queue].members[interface].state(now, state.wrapup_s)


def test_answered_call_step_by_step() -> None:
    events = transcript("answered_call.jsonl")
    state = new_state()
    paused_at = first(events, "QueueMemberPause")
    replay(state, events[: paused_at + 1], at_event(events[paused_at]))
    fr = state.queues["q-fr"]
    now = at_event(events[paused_at])
    assert member_state(state, "q-fr", "PJSIP/agent1001", now) is MemberState.PAUSED
    assert fr.members["PJSIP/agent1001"].paused_reason == "lunch"

    joined = first(events, "QueueCallerJoin")
    replay(state, events[paused_at + 1 : joined + 1], now)
    now = at_event(events[joined])
    assert member_state(state, "q-fr", "PJSIP/agent1001", now) is MemberState.AVAILABLE
    [caller] = fr.callers.values()
    assert (caller.number, caller.language, caller.position) == ("+33612345678", "fr", 1)

    called = first(events, "AgentCalled")
    replay(state, events[joined + 1 : called + 1], now)
    assert member_state(state, "q-fr", "PJSIP/agent1001", now) is MemberState.RINGING

    connected = first(events, "AgentConnect")
    replay(state, events[called + 1 : connected + 1], now)
    now = at_event(events[connected])
    assert fr.callers == {}
    assert member_state(state, "q-fr", "PJSIP/agent1001", now) is MemberState.ON_CALL
    assert fr.members["PJSIP/agent1001"].caller == "+33612345678"
    assert (fr.answered, fr.abandoned, fr.service_level()) == (1, 0, 1.0)

    completed = first(events, "AgentComplete")
    replay(state, events[connected + 1 :], now)
    end = at_event(events[completed])
    # app_queue says "not in use" at once, but will not offer a call before wrapuptime has passed
    assert member_state(state, "q-fr", "PJSIP/agent1001", end + timedelta(seconds=5)) is MemberState.WRAPUP
    assert member_state(state, "q-fr", "PJSIP/agent1001", end + timedelta(seconds=16)) is MemberState.AVAILABLE


def test_abandoned_call_and_status_snapshot() -> None:
    events = transcript("abandoned_call.jsonl")
    state = new_state()
    status_reply = first(events, "QueueEntry")
    join_at = at_event(events[first(events, "QueueCallerJoin")])
    replay(state, events[: status_reply + 1], join_at + timedelta(seconds=2))
    fr = state.queues["q-fr"]
    assert [caller.number for caller in fr.callers.values()] == ["+33611111111"]
    assert fr.longest_wait_s(join_at + timedelta(seconds=2)) == 2
    assert member_state(state, "q-fr", "PJSIP/agent1001", join_at) is MemberState.PAUSED

    replay(state, events[status_reply + 1 :], join_at + timedelta(seconds=8))
    assert fr.callers == {}
    assert (fr.offered, fr.answered, fr.abandoned) == (1, 0, 1)
    assert fr.service_level() == 0.0
    assert fr.members == {}  # QueueMemberRemoved: logged out


def test_resync_rebuilds_live_part_from_a_status_reply_only() -> None:
    """After a reconnect the events in between are lost: QueueStatus alone must give the same callers and
    members, with the join time derived from the entry's Wait."""
    events = transcript("abandoned_call.jsonl")
    live = new_state()
    status_reply = first(events, "QueueEntry")
    replay(live, events[: status_reply + 1], datetime(2026, 11, 23, 2, 28, tzinfo=UTC))
    reply = [event for event in events if event.get("ActionID") and event.get("Event") != "QueueSummary"]
    resynced = new_state()
    resynced.begin_resync()
    received = at_event(events[first(events, "QueueCallerJoin")]) + timedelta(seconds=2)
    replay(resynced, reply, received)
    [caller] = resynced.queues["q-fr"].callers.values()
    assert caller.number == "+33611111111"
    assert abs((caller.joined_at - received).total_seconds() + 2) < 0.01
    member = resynced.queues["q-fr"].members["PJSIP/agent1001"]
    assert (member.paused, member.paused_reason) == (True, "training")
    assert set(resynced.queues) == {"q-fr"}  # QueueStatus was asked for q-fr only


def test_resync_forgets_callers_that_left_while_disconnected() -> None:
    events = transcript("abandoned_call.jsonl")
    state = new_state()
    join = first(events, "QueueCallerJoin")
    replay(state, events[: join + 1], at_event(events[join]))
    assert state.queues["q-fr"].callers
    state.begin_resync()
    state.apply({"Event": "QueueParams", "Queue": "q-fr", "Calls": "0"}, at_event(events[join]))
    assert state.queues["q-fr"].callers == {}
    assert state.queues["q-fr"].offered == 1  # the day's counters survive a resync


def test_a_new_local_day_resets_the_counters() -> None:
    events = transcript("abandoned_call.jsonl")
    state = new_state()
    replay(state, events, datetime(2026, 11, 23, 2, 28, tzinfo=UTC))
    assert state.queues["q-fr"].abandoned == 1
    # 23:30 UTC on the 23rd is 00:30 on the 24th in Casablanca (UTC+1)
    state.apply({"Event": "QueueParams", "Queue": "q-fr"}, datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    assert (state.queues["q-fr"].offered, state.queues["q-fr"].abandoned) == (0, 0)


def test_snapshot_is_json_for_the_wallboard() -> None:
    events = transcript("abandoned_call.jsonl")
    state = new_state()
    status_reply = first(events, "QueueEntry")
    now = at_event(events[first(events, "QueueCallerJoin")]) + timedelta(seconds=3)
    replay(state, events[: status_reply + 1], now)
    snapshot = state.snapshot(now)
    json.dumps(snapshot)
    [fr] = [queue for queue in snapshot["queues"] if queue["name"] == "q-fr"]  # type: ignore[attr-defined]
    assert fr["waiting"][0]["number"] == "+33611111111"
    assert fr["waiting"][0]["language"] == "fr"
    assert fr["members"][0]["state"] == "paused"
    assert fr["members"][0]["paused_reason"] == "training"
    assert fr["longest_wait_s"] == 3


def test_unrelated_events_change_nothing() -> None:
    state = new_state()
    before = state.version
    assert not state.apply({"Event": "Newchannel", "Channel": "PJSIP/x"}, datetime(2026, 1, 1, tzinfo=UTC))
    assert not state.apply({"Event": "QueueMemberStatus"}, datetime(2026, 1, 1, tzinfo=UTC))
    assert state.version == before and state.queues == {}


def test_estimated_wait_uses_recent_answered_waits_only() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    waits = [(now - timedelta(hours=3), 600.0), (now - timedelta(minutes=10), 30.0), (now - timedelta(minutes=5), 50.0)]
    assert estimated_wait_s(waits, now=now, position=1) == 40.0  # the 3-hour-old 600 s is ignored
    assert estimated_wait_s(waits, now=now, position=3) == 120.0
    assert estimated_wait_s(waits[:1], now=now, position=1) is None
    assert estimated_wait_s([], now=now, position=1) is None


def test_paused_agent_gets_the_waiting_caller_only_after_unpausing() -> None:
    """Recorded from tests/asterisk/test_agents.py: login and pause through the API, a caller waits, unpause."""
    events = transcript("paused_then_answered.jsonl")
    state = new_state()
    joined = first(events, "QueueCallerJoin")
    replay(state, events[: joined + 1], at_event(events[joined]))
    fr = state.queues["q-fr"]
    now = at_event(events[joined])
    assert member_state(state, "q-fr", "PJSIP/agent1001", now) is MemberState.PAUSED
    assert [caller.number for caller in fr.callers.values()] == ["+33612345678"]
    called = first(events, "AgentCalled")
    replay(state, events[joined + 1 : called], now)
    assert member_state(state, "q-fr", "PJSIP/agent1001", now) is MemberState.AVAILABLE  # unpaused, then rung
    replay(state, events[called:], now)
    assert (fr.offered, fr.answered, fr.abandoned, fr.callers, fr.members) == (1, 1, 0, {}, {})
    # the caller waited a few seconds while the agent was paused: that wait is what estimates the next one
    [(_, waited)] = fr.recent_waits
    assert waited >= 3


def test_status_reply_after_a_restart_describes_the_caller_who_joined_meanwhile() -> None:
    """Recorded from the restart test: the caller joined while the API was down; QueueStatus tells us."""
    events = transcript("api_restart.jsonl")
    join = events[first(events, "QueueCallerJoin")]
    reply = [event for event in events if event.get("ActionID") == "ivr-2"]
    state = new_state()
    state.begin_resync()
    received = at_event(join) + timedelta(seconds=2)
    replay(state, reply, received)
    fr = state.queues["q-fr"]
    [caller] = fr.callers.values()
    assert (caller.uniqueid, caller.number, caller.position) == (join["Uniqueid"], join["CallerIDNum"], 1)
    member = fr.members["PJSIP/agent1001"]
    assert member.state(received, state.wrapup_s) is MemberState.PAUSED
    assert member.paused_reason == "Réunion"
    assert fr.offered == 0  # a snapshot is not an offer: the day's counters come from stored events


def test_a_caller_taken_out_to_hear_their_position_and_put_back_is_one_offer_with_one_wait() -> None:
    state = new_state()
    t0 = datetime(2026, 11, 23, 10, tzinfo=UTC)
    join = {"Event": "QueueCallerJoin", "Queue": "q-fr", "Uniqueid": "7.1", "CallerIDNum": "+33600000007",
            "Language": "fr", "Position": "1"}  # fmt: skip
    state.apply(join, t0)
    state.apply({**join, "Event": "QueueCallerLeave"}, t0 + timedelta(seconds=30))
    state.apply(join, t0 + timedelta(seconds=35))  # back at position 1 after the queue_wait flow
    fr = state.queues["q-fr"]
    assert fr.offered == 1
    assert fr.longest_wait_s(t0 + timedelta(seconds=40)) == 40
    connect = {"Event": "AgentConnect", "Queue": "q-fr", "Uniqueid": "7.1", "Interface": "PJSIP/agent1001",
               "HoldTime": "5"}  # fmt: skip
    state.apply(connect, t0 + timedelta(seconds=40))
    assert fr.answered == 1 and fr.answered_within_sl == 0  # 40 s from the first join, not Asterisk's 5 s
    assert [wait for _, wait in fr.recent_waits] == [40.0]


def test_a_slice_that_timed_out_is_not_an_abandon_when_the_caller_comes_back_or_books_a_callback() -> None:
    """Recorded from the callback test: the first 4 s slice ends (app_queue says QueueCallerAbandon), the caller
    presses 1 in queue_wait and hangs up; the API then notes the booking (IvrCallbackBooked)."""
    events = transcript("callback_after_slice.jsonl")
    state = new_state()
    join = events[first(events, "QueueCallerJoin")]
    abandon = first(events, "QueueCallerAbandon")
    replay(state, events[: abandon + 1], at_event(events[abandon]))
    fr = state.queues["q-fr"]
    assert (fr.offered, fr.abandoned) == (1, 1)  # as far as Asterisk can tell
    booked = {"Event": "IvrCallbackBooked", "Queue": "q-fr", "Uniqueid": join["Uniqueid"]}
    state.apply(booked, at_event(events[abandon]) + timedelta(seconds=2))
    assert (fr.offered, fr.abandoned, fr.callbacks) == (1, 0, 1)
    replay(state, events[abandon + 1 :], at_event(events[abandon]) + timedelta(seconds=3))
    assert (fr.answered, fr.abandoned, fr.callbacks) == (0, 0, 1)  # the callback itself is not a queue call


def test_a_caller_back_in_the_queue_after_the_announcement_was_not_an_abandon() -> None:
    state = new_state()
    t0 = datetime(2026, 11, 23, 10, tzinfo=UTC)
    join = {"Event": "QueueCallerJoin", "Queue": "q-fr", "Uniqueid": "8.1", "CallerIDNum": "+33600000008",
            "Position": "2"}  # fmt: skip
    state.apply(join, t0)
    state.apply({**join, "Event": "QueueCallerAbandon", "HoldTime": "45"}, t0 + timedelta(seconds=45))
    state.apply({**join, "Event": "QueueCallerLeave"}, t0 + timedelta(seconds=45))
    assert state.queues["q-fr"].abandoned == 1
    state.apply(join, t0 + timedelta(seconds=50))
    assert (state.queues["q-fr"].offered, state.queues["q-fr"].abandoned) == (1, 0)


def test_the_queues_follow_a_configuration_reload() -> None:
    state = new_state()
    now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert state.configure({"q-fr": ("fr", "Français"), "q-ar": ("ar", "العربية")})
    assert sorted(state.queues) == ["q-ar", "q-fr"] and not state.configure(
        {"q-fr": ("fr", "Français"), "q-ar": ("ar", "العربية")}
    )
    [ar] = [queue for queue in state.snapshot(now)["queues"] if queue["name"] == "q-ar"]  # type: ignore[attr-defined]
    assert (ar["language"], ar["label"], ar["waiting_count"], ar["members"]) == ("ar", "العربية", 0, [])
    join = {"Event": "QueueCallerJoin", "Queue": "q-ar", "Uniqueid": "1.1", "Channel": "PJSIP/c-1", "Position": "1"}
    member = {"Event": "QueueMemberAdded", "Queue": "q-fr", "Interface": "PJSIP/agent1001", "Status": "1"}
    state.apply(join, now)
    state.apply(member, now)

    version = state.version
    assert state.configure({"q-fr": ("fr", "French"), "q-zgh": ("zgh", "ⵜⴰⵎⴰⵣⵉⵖⵜ"), "q-ar2": ("ar", "Arabe")})
    assert state.version > version
    assert sorted(state.queues) == ["q-ar", "q-ar2", "q-fr", "q-zgh"]  # q-ar keeps its waiting caller
    assert (state.queues["q-ar"].label, state.queues["q-fr"].label, state.queues["q-zgh"].language) == (
        "",
        "French",
        "zgh",
    )
    state.apply({"Event": "QueueParams", "Queue": "q-old", "Max": "0"}, now)  # Asterisk still has it: not shown
    assert "q-old" not in state.queues
    state.apply({**join, "Event": "QueueCallerLeave"}, now)  # the last caller left the removed queue: it goes
    assert "q-ar" not in state.queues

    assert state.configure({"q-zgh": ("zgh", "ⵜⴰⵎⴰⵣⵉⵖⵜ")})  # q-fr has a member: it stays until removed
    assert sorted(state.queues) == ["q-fr", "q-zgh"] and state.queues["q-fr"].language == ""
    state.apply({**member, "Event": "QueueMemberRemoved"}, now)
    assert sorted(state.queues) == ["q-zgh"]

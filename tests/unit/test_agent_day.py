"""The agent's day: the reducer's ringing caller and time in state on a recorded transcript of the sandbox
Asterisk (tests/fixtures/ami/answered_call.jsonl), and the pure rules of api.agent_day (local day, seat state,
figures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from api.agent_day import ACW_CAP_S, CallFacts, day_figures, local_day, member_since, seat_state
from api.ami.state import LiveState, Member, MemberState
from tests.unit.test_queue_state import at_event, first, new_state, replay, transcript

CASABLANCA = ZoneInfo("Africa/Casablanca")
AGENT = "PJSIP/agent1001"


def test_the_ringing_seat_knows_its_caller_and_since_when_it_rings() -> None:
    events = transcript("answered_call.jsonl")
    state = new_state()
    called = first(events, "AgentCalled")
    replay(state, events[: called + 1], at_event(events[called]))
    member = state.queues["q-fr"].members[AGENT]
    assert (member.caller, member.caller_channel) == ("+33612345678", events[called]["Channel"])
    assert member.caller_ids == (events[called]["Uniqueid"], events[called]["Linkedid"])
    assert member.state(at_event(events[called]), state.wrapup_s) is MemberState.RINGING
    assert member.state_since == at_event(events[called])
    connected = first(events, "AgentConnect")
    replay(state, events[called + 1 : connected + 1], at_event(events[connected]))
    assert member.in_call and member.caller == "+33612345678"
    assert member.state_since == at_event(events[connected])
    completed = first(events, "AgentComplete")
    replay(state, events[connected + 1 : completed + 1], at_event(events[completed]))
    assert (member.caller, member.caller_ids) == ("", ("", ""))
    # the wrap-up that follows is derived: the seat is available since it ended, not since the call ended
    last = max(at_event(event) for event in events if "Timestamp" in event)
    replay(state, events[completed + 1 :], last)
    later = last + timedelta(minutes=5)
    assert member.state(later, state.wrapup_s) is MemberState.AVAILABLE
    assert member.last_call_end is not None
    assert member_since(member, later, state.wrapup_s) == member.last_call_end + timedelta(seconds=state.wrapup_s)


def test_a_ring_let_go_by_forgets_the_caller() -> None:
    state = new_state()
    ring = {"Queue": "q-fr", "Interface": AGENT, "MemberName": "agent1001", "Channel": "PJSIP/c-1",
            "CallerIDNum": "+33600000001", "Uniqueid": "9.1", "Linkedid": "9.0"}  # fmt: skip
    now = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    state.apply({"Event": "AgentCalled", **ring}, now)
    assert state.queues["q-fr"].members[AGENT].caller_ids == ("9.1", "9.0")
    state.apply({"Event": "AgentRingNoAnswer", **ring}, now + timedelta(seconds=15))
    member = state.queues["q-fr"].members[AGENT]
    assert (member.caller, member.ringing, member.state_since) == ("", False, now + timedelta(seconds=15))


def test_unchanged_states_keep_their_start() -> None:
    state = LiveState(timezone="Africa/Casablanca", service_level_s=20)
    added = {"Event": "QueueMemberAdded", "Queue": "q-fr", "Interface": AGENT, "MemberName": "agent1001",
             "Status": "1", "Paused": "0"}  # fmt: skip
    now = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    state.apply(added, now)
    state.apply({**added, "Event": "QueueMemberStatus"}, now + timedelta(minutes=3))  # still available
    assert state.queues["q-fr"].members[AGENT].state_since == now


def test_the_local_day_runs_from_the_call_centers_midnight() -> None:
    day, start, end = local_day(datetime(2026, 11, 11, 23, 30, tzinfo=UTC), CASABLANCA)  # 00:30 on the 12th there
    assert (str(day), start, end) == (
        "2026-11-12", datetime(2026, 11, 11, 23, 0, tzinfo=UTC), datetime(2026, 11, 12, 23, 0, tzinfo=UTC)
    )  # fmt: skip


def test_the_seat_state_is_the_most_telling_of_its_queues() -> None:
    now = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    idle = Member(interface=AGENT, name="agent1001", state_since=now - timedelta(minutes=10))
    ringing = Member(interface=AGENT, name="agent1001", ringing=True, state_since=now - timedelta(seconds=5))
    assert seat_state([idle, ringing], now, 15) == (MemberState.RINGING, now - timedelta(seconds=5))
    assert seat_state([], now, 15) == (MemberState.UNAVAILABLE, None)


def test_handle_time_is_talk_plus_capped_after_call_work() -> None:
    end = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    calls = [
        CallFacts(linkedid="a", answered=True, talk_seconds=100.0, ended_at=end),
        CallFacts(linkedid="b", answered=True, talk_seconds=200.0, ended_at=end),
        CallFacts(linkedid="c", answered=False, talk_seconds=None, ended_at=end),
    ]
    figures = day_figures(calls, {"a": end + timedelta(seconds=30), "b": end + timedelta(hours=3)})
    assert (figures.calls_answered, figures.talk_seconds) == (2, 300.0)
    assert figures.after_call_seconds == 30 + ACW_CAP_S
    assert figures.average_handle_seconds == (300 + 30 + ACW_CAP_S) / 2
    assert day_figures([], {}).average_handle_seconds is None

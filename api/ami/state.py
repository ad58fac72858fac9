"""Live queue state: a sans-I/O reducer of AMI events (no sockets, no clock of its own).

Rules:
- `LiveState.apply(event, at)` folds one AMI message (a plain dict, as Asterisk sent it) into the state. Time is
  the event's own `Timestamp` (manager.conf timestampevents=yes) when present, else `at`; so a recorded
  transcript replays to the same state on any machine.
- Events tell us about changes (QueueCallerJoin/Leave/Abandon, AgentCalled/Connect/Complete, QueueMember*).
  Snapshots (the replies to QueueStatus: QueueParams, QueueMember, QueueEntry) replace what they describe: after a
  reconnect `begin_resync()` forgets callers and members, and the QueueStatus reply rebuilds them. Counters of the
  day (answered, abandoned, within service level) are ours, not Asterisk's (its Completed/Abandoned count since
  the last reload), so after a restart they are rebuilt by replaying the day's stored events.
- A new local day (in the call center's timezone) resets the day's counters.
- A member knows its caller (and the call's ids) from AgentCalled to AgentComplete, and since when its state is
  what it is (`state_since`: the event that changed it; after a resync, the resync).
- `configure(queues)` follows the call-center file (at start and on every reload): each queue it names exists
  (empty until AMI events arrive) and carries its language and label; a queue it no longer names is dropped once
  it has no waiting callers and no members (until then it stays, without label), so nobody on a call vanishes.
- The values it folds into (queues, callers, members, what a member's state means) are in `api.ami.queues`; the
  JSON the pages read is rendered by `api.ami.view`. Both are re-exported here: `api.ami.state` stays the one name
  other modules import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from api.ami.queues import (
    CALLBACK_BOOKED,
    HISTORY_EVENTS,
    QUEUE_EVENTS,
    RECENT_WAITS,
    RECENT_WINDOW,
    RINGING_DEVICE,
    AgentDay,
    AmiEvent,
    Member,
    MemberState,
    QueueState,
    WaitingCaller,
    estimated_wait_s,
)
from api.ami.view import GridCache, snapshot

__all__ = [
    "CALLBACK_BOOKED",
    "HISTORY_EVENTS",
    "QUEUE_EVENTS",
    "RECENT_WAITS",
    "RECENT_WINDOW",
    "AgentDay",
    "AmiEvent",
    "LiveState",
    "Member",
    "MemberState",
    "QueueState",
    "WaitingCaller",
    "estimated_wait_s",
]


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def _epoch(value: str | None) -> datetime | None:
    seconds = _int(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


class LiveState:
    """Every queue's live state. Mutated only through `apply`, `begin_resync` and `roll_day`."""

    def __init__(self, *, timezone: str, service_level_s: float, wrapup_s: int = 15) -> None:
        self.zone = ZoneInfo(timezone)
        self.service_level_s = service_level_s
        self.wrapup_s = wrapup_s
        self.queues: dict[str, QueueState] = {}
        self.agents: dict[str, AgentDay] = {}  # interface -> the seat's day, across its queues
        self.grid_cache = GridCache()  # the agent grid's rows between snapshots (api.ami.view)
        self.day: date | None = None
        self.version = 0  # bumped on every change, so pushers can skip unchanged states
        self.configured: frozenset[str] | None = None  # the file's queues once `configure` ran; None: not yet

    def queue(self, name: str) -> QueueState:
        if name not in self.queues:
            self.queues[name] = QueueState(name=name)
        return self.queues[name]

    def configure(self, queues: Mapping[str, tuple[str, str]]) -> bool:
        """Follow the call-center file: queue name -> (language code, label). True if anything changed."""
        changed = False
        for name, (language, label) in queues.items():
            queue = self.queues.get(name)
            if queue is None:
                self.queues[name] = QueueState(name=name, language=language, label=label)
                changed = True
            elif (queue.language, queue.label) != (language, label):
                queue.language, queue.label = language, label
                queue.version += 1
                changed = True
        for name in [name for name in self.queues if name not in queues]:
            queue = self.queues[name]
            if not queue.callers and not queue.members:
                del self.queues[name]
                changed = True
            elif queue.language or queue.label:
                queue.language, queue.label = "", ""
                queue.version += 1
                changed = True
        self.configured = frozenset(queues)
        if changed:
            self.version += 1
        return changed

    def begin_resync(self) -> None:
        """Forget live callers and members: a QueueStatus reply is about to describe them again."""
        for queue in self.queues.values():
            queue.callers.clear()
            queue.members.clear()
            queue.version += 1
        self.version += 1

    def roll_day(self, at: datetime) -> None:
        today = at.astimezone(self.zone).date()
        if self.day is None or today > self.day:  # forward only: a late event of yesterday is not a new day
            self.day = today
            for queue in self.queues.values():
                queue.offered = queue.answered = queue.abandoned = queue.answered_within_sl = queue.callbacks = 0
                queue.first_join.clear()
                queue.abandoned_ids.clear()
                queue.version += 1
            for agent in self.agents.values():
                agent.calls, agent.handle_s = 0, 0.0

    @staticmethod
    def event_time(event: AmiEvent, at: datetime) -> datetime:
        try:
            return datetime.fromtimestamp(float(event["Timestamp"]), UTC)
        except (KeyError, ValueError):
            return at

    def apply(self, event: AmiEvent, at: datetime) -> bool:
        """Fold one AMI message in; True if it changed anything."""
        kind = event.get("Event", "")
        if kind not in QUEUE_EVENTS or not event.get("Queue"):
            return False
        when = self.event_time(event, at)
        self.roll_day(when)
        queue = self.queue(event["Queue"])
        before = queue.members.get(interface := event.get("Interface") or event.get("Location", ""))
        was = before.state(when, self.wrapup_s) if before is not None else None
        _HANDLERS[kind](self, queue, event, when)
        queue.version += 1
        if (after := queue.members.get(interface)) is not None and after.state(when, self.wrapup_s) != was:
            after.state_since = when
        if self.configured is not None and queue.name not in self.configured and not (queue.callers or queue.members):
            del self.queues[queue.name]  # removed from the file, and now nobody is left in it
        self.version += 1
        return True

    # -- callers ----------------------------------------------------------------------------------------------

    def _caller_join(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        uniqueid = event.get("Uniqueid", "")
        if uniqueid not in queue.first_join:
            queue.offered += 1
            queue.first_join[uniqueid] = when
            queue.count_offer(when)
        if uniqueid in queue.abandoned_ids:
            queue.abandoned_ids.discard(uniqueid)
            queue.abandoned -= 1
        queue.callers[uniqueid] = WaitingCaller(
            uniqueid=uniqueid,
            channel=event.get("Channel", ""),
            number=event.get("CallerIDNum", ""),
            language=event.get("Language", ""),
            joined_at=queue.first_join[uniqueid],
            position=_int(event.get("Position"), 1),
        )

    def _queue_entry(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        uniqueid = event.get("Uniqueid", "")
        known = queue.callers.get(uniqueid)
        queue.callers[uniqueid] = WaitingCaller(
            uniqueid=uniqueid,
            channel=event.get("Channel", ""),
            number=event.get("CallerIDNum", ""),
            # QueueEntry carries no language; keep what the join told us, if we saw it
            language=known.language if known else "",
            # our own join time is exact (and counts re-entries from the first); Wait is whole seconds
            joined_at=known.joined_at
            if known
            else queue.first_join.get(uniqueid, when - timedelta(seconds=_int(event.get("Wait")))),
            position=_int(event.get("Position"), 1),
        )

    def _caller_leave(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        self._remove_caller(queue, event.get("Uniqueid", ""))

    def _caller_abandon(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        queue.abandoned += 1
        queue.abandoned_ids.add(event.get("Uniqueid", ""))
        self._remove_caller(queue, event.get("Uniqueid", ""))

    def _callback_booked(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        uniqueid = event.get("Uniqueid", "")
        queue.callbacks += 1
        if uniqueid in queue.abandoned_ids:
            queue.abandoned_ids.discard(uniqueid)
            queue.abandoned -= 1

    @staticmethod
    def _remove_caller(queue: QueueState, uniqueid: str) -> None:
        gone = queue.callers.pop(uniqueid, None)
        if gone is None:
            return
        for caller in queue.callers.values():  # app_queue moves everyone behind up by one
            if caller.position > gone.position:
                caller.position -= 1

    # -- agents -----------------------------------------------------------------------------------------------

    def _member(self, queue: QueueState, event: AmiEvent) -> Member:
        interface = event.get("Interface") or event.get("Location", "")
        member = queue.members.get(interface)
        if member is None:
            name = event.get("MemberName") or event.get("Name") or interface
            member = queue.members[interface] = Member(interface=interface, name=name)
        return member

    def _agent_called(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        if not (member := self._member(queue, event)).in_call:  # the caller's card shows while it rings
            self._take_caller(member, event)
        member.ringing = True

    def _agent_no_answer(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        if not (member := self._member(queue, event)).in_call:
            member.caller, member.caller_channel, member.caller_ids = "", "", ("", "")
        member.ringing = False

    @staticmethod
    def _take_caller(member: Member, event: AmiEvent) -> None:
        member.caller, member.caller_channel = event.get("CallerIDNum", ""), event.get("Channel", "")
        member.caller_ids = (event.get("Uniqueid", ""), event.get("Linkedid") or event.get("Uniqueid", ""))

    def _agent_connect(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        hold = float(_int(event.get("HoldTime")))
        first = queue.first_join.get(event.get("Uniqueid", ""))
        if first is not None:  # HoldTime counts from the last (re-)entry only
            hold = max(hold, (when - first).total_seconds())
        queue.answered += 1
        if hold <= self.service_level_s:
            queue.answered_within_sl += 1
        queue.recent_waits.append((when, hold))
        member = self._member(queue, event)
        member.ringing = False
        member.in_call = True
        self._take_caller(member, event)
        self._remove_caller(queue, event.get("Uniqueid", ""))
        agent = self.agents.setdefault(member.interface, AgentDay())
        agent.talk_since, agent.talk_queue = when, queue.name

    def _agent_complete(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        member = self._member(queue, event)
        member.in_call = False
        member.caller, member.caller_channel, member.caller_ids = "", "", ("", "")
        member.last_call_end = when
        agent = self.agents.setdefault(member.interface, AgentDay())
        agent.calls += 1
        agent.handle_s += _int(event.get("TalkTime"))
        agent.talk_since, agent.talk_queue = None, ""

    def _member_snapshot(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        member = self._member(queue, event)
        member.penalty = _int(event.get("Penalty"))
        member.device = event.get("Status", member.device)
        member.in_call = event.get("InCall", "0") == "1"
        member.paused = event.get("Paused", "0") == "1"
        member.paused_reason = event.get("PausedReason", "") if member.paused else ""
        member.calls_taken = _int(event.get("CallsTaken"), member.calls_taken)
        member.wrapup_s = _int(event.get("Wrapuptime"))
        member.ringing = member.device in RINGING_DEVICE
        last_call = _epoch(event.get("LastCall"))
        if last_call is not None and (member.last_call_end is None or last_call > member.last_call_end):
            member.last_call_end = last_call
        if not member.in_call and not member.ringing:
            member.caller, member.caller_channel, member.caller_ids = "", "", ("", "")

    def _member_removed(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        queue.members.pop(event.get("Interface", ""), None)

    def _queue_seen(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        pass  # the queue now exists in the state, even with nobody in it

    def snapshot(self, now: datetime) -> dict[str, object]:
        """The JSON the wallboard and agent pages render."""
        return snapshot(
            self.queues,
            self.agents,
            now=now,
            service_level_s=self.service_level_s,
            wrapup_s=self.wrapup_s,
            grid_cache=self.grid_cache,
        )


_Handler = Callable[[LiveState, QueueState, AmiEvent, datetime], None]
# Which method folds which event: a visible table (QUEUE_EVENTS is exactly its keys).
_HANDLERS: dict[str, _Handler] = {
    "QueueCallerJoin": LiveState._caller_join,
    "QueueEntry": LiveState._queue_entry,
    "QueueCallerLeave": LiveState._caller_leave,
    "QueueCallerAbandon": LiveState._caller_abandon,
    "AgentCalled": LiveState._agent_called,
    "AgentRingNoAnswer": LiveState._agent_no_answer,
    "AgentDump": LiveState._agent_no_answer,
    "AgentConnect": LiveState._agent_connect,
    "AgentComplete": LiveState._agent_complete,
    "QueueMemberAdded": LiveState._member_snapshot,
    "QueueMemberStatus": LiveState._member_snapshot,
    "QueueMemberPause": LiveState._member_snapshot,
    "QueueMemberPenalty": LiveState._member_snapshot,
    "QueueMemberRinginuse": LiveState._member_snapshot,
    "QueueMember": LiveState._member_snapshot,
    "QueueMemberRemoved": LiveState._member_removed,
    "QueueParams": LiveState._queue_seen,
    "QueueSummary": LiveState._queue_seen,
    CALLBACK_BOOKED: LiveState._callback_booked,
}
assert set(_HANDLERS) == QUEUE_EVENTS

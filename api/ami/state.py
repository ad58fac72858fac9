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
- Member state follows app_queue's fields: Status is a device state (ast_device_state: 1 not in use, 2 in use,
  3 busy, 4 invalid, 5 unavailable, 6 ringing, 7 ring+in use, 8 on hold), InCall, Paused/PausedReason. Wrap-up is
  derived: not in a call, and the last call ended less than the queue's wrapuptime ago (queues.conf; app_queue
  does not report it in QueueParams, so it is configuration passed in).
- A new local day (in the call center's timezone) resets the day's counters.
- A member knows its caller (and the call's ids) from AgentCalled to AgentComplete, and since when its state is
  what it is (`state_since`: the event that changed it; after a resync, the resync).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

AmiEvent = Mapping[str, str]

# Not from Asterisk: the API notes it (and stores it with the queue events) when a waiting caller books a callback,
# so the slice that ended for the offer is not counted as an abandon, now or when the day is replayed.
CALLBACK_BOOKED = "IvrCallbackBooked"

# Events the reducer (and the event store) care about; everything else is ignored.
QUEUE_EVENTS = frozenset(
    {
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueCallerAbandon",
        "AgentCalled",
        "AgentRingNoAnswer",
        "AgentConnect",
        "AgentComplete",
        "AgentDump",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "QueueMemberPause",
        "QueueMemberPenalty",
        "QueueMemberStatus",
        "QueueMemberRinginuse",
        "QueueParams",
        "QueueMember",
        "QueueEntry",
        "QueueSummary",
        CALLBACK_BOOKED,
    }
)
# Events that change the day's history (stored and replayed after a restart); the rest is live detail that a
# QueueStatus snapshot restores better than a replay would.
HISTORY_EVENTS = frozenset({"QueueCallerJoin", "QueueCallerAbandon", "AgentConnect", "AgentComplete", CALLBACK_BOOKED})

RECENT_WAITS = 20  # answered waits kept per queue for the estimated wait
RECENT_WINDOW = timedelta(hours=1)  # ... and only those answered in the last hour


class MemberState(enum.StrEnum):
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAPUP = "wrapup"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"


_UNAVAILABLE_DEVICE = {"0", "4", "5"}  # unknown, invalid, unavailable (not registered)
_RINGING_DEVICE = {"6", "7"}
_BUSY_DEVICE = {"2", "3", "7", "8"}


@dataclass
class WaitingCaller:
    uniqueid: str
    channel: str
    number: str
    language: str
    joined_at: datetime
    position: int


@dataclass
class Member:
    interface: str
    name: str
    penalty: int = 0
    device: str = "1"
    in_call: bool = False
    paused: bool = False
    paused_reason: str = ""
    ringing: bool = False
    calls_taken: int = 0
    last_call_end: datetime | None = None
    wrapup_s: int = 0  # member-level override; 0 = the queue's
    caller: str = ""  # number of the caller they are talking to (AgentConnect)
    caller_channel: str = ""  # that caller's channel, to read the IVR_* variables the flows set
    caller_ids: tuple[str, str] = ("", "")  # that call's (Uniqueid, Linkedid), for the disposition
    state_since: datetime | None = None

    def state(self, now: datetime, queue_wrapup_s: int) -> MemberState:
        if self.device in _UNAVAILABLE_DEVICE:
            return MemberState.UNAVAILABLE
        if self.in_call or (self.device in _BUSY_DEVICE and self.device != "7"):
            return MemberState.ON_CALL
        if self.ringing or self.device in _RINGING_DEVICE:
            return MemberState.RINGING
        if self.paused:
            return MemberState.PAUSED
        wrapup = self.wrapup_s or queue_wrapup_s
        if self.last_call_end is not None and now < self.last_call_end + timedelta(seconds=wrapup):
            return MemberState.WRAPUP
        return MemberState.AVAILABLE


@dataclass
class QueueState:
    name: str
    callers: dict[str, WaitingCaller] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    offered: int = 0
    callbacks: int = 0  # callers who left the queue for a callback today
    answered: int = 0
    abandoned: int = 0
    answered_within_sl: int = 0
    recent_waits: deque[tuple[datetime, float]] = field(default_factory=lambda: deque(maxlen=RECENT_WAITS))
    # First join of each caller today: the queue_wait flow takes callers out of Queue() to speak to them and
    # puts them back at their position, so one caller may join several times; they are offered once, and
    # their wait runs from the first join.
    first_join: dict[str, datetime] = field(default_factory=dict)
    # app_queue reports a slice that timed out as QueueCallerAbandon; if the caller comes back, it was not one
    abandoned_ids: set[str] = field(default_factory=set)

    def longest_wait_s(self, now: datetime) -> float:
        return max(((now - caller.joined_at).total_seconds() for caller in self.callers.values()), default=0.0)

    def service_level(self) -> float | None:
        """Share of today's finished offers (answered + abandoned) answered within the service level."""
        finished = self.answered + self.abandoned
        return None if finished == 0 else self.answered_within_sl / finished


def estimated_wait_s(waits: Iterable[tuple[datetime, float]], *, now: datetime, position: int) -> float | None:
    """Estimated wait of a caller at `position`, from the queue's recently answered waits; None without data.

    The median of the last hour's answered waits is the wait of a typical caller who reached an agent; a caller
    further back waits proportionally longer than the one at the head, hence the scaling by position. Old
    waits are ignored: the morning rush says nothing about the afternoon.
    """
    recent = [seconds for answered_at, seconds in waits if now - answered_at <= RECENT_WINDOW]
    if not recent:
        return None
    return median(recent) * max(1, position)


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
        self.day: date | None = None
        self.version = 0  # bumped on every change, so pushers can skip unchanged states

    def queue(self, name: str) -> QueueState:
        if name not in self.queues:
            self.queues[name] = QueueState(name=name)
        return self.queues[name]

    def begin_resync(self) -> None:
        """Forget live callers and members: a QueueStatus reply is about to describe them again."""
        for queue in self.queues.values():
            queue.callers.clear()
            queue.members.clear()
        self.version += 1

    def roll_day(self, at: datetime) -> None:
        today = at.astimezone(self.zone).date()
        if self.day is None or today > self.day:  # forward only: a late event of yesterday is not a new day
            self.day = today
            for queue in self.queues.values():
                queue.offered = queue.answered = queue.abandoned = queue.answered_within_sl = queue.callbacks = 0
                queue.first_join.clear()
                queue.abandoned_ids.clear()

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
        if (after := queue.members.get(interface)) is not None and after.state(when, self.wrapup_s) != was:
            after.state_since = when
        self.version += 1
        return True

    # -- callers ----------------------------------------------------------------------------------------------

    def _caller_join(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        uniqueid = event.get("Uniqueid", "")
        if uniqueid not in queue.first_join:
            queue.offered += 1
            queue.first_join[uniqueid] = when
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

    def _agent_complete(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        member = self._member(queue, event)
        member.in_call = False
        member.caller, member.caller_channel, member.caller_ids = "", "", ("", "")
        member.last_call_end = when

    def _member_snapshot(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        member = self._member(queue, event)
        member.penalty = _int(event.get("Penalty"))
        member.device = event.get("Status", member.device)
        member.in_call = event.get("InCall", "0") == "1"
        member.paused = event.get("Paused", "0") == "1"
        member.paused_reason = event.get("PausedReason", "") if member.paused else ""
        member.calls_taken = _int(event.get("CallsTaken"), member.calls_taken)
        member.wrapup_s = _int(event.get("Wrapuptime"))
        member.ringing = member.device in _RINGING_DEVICE
        last_call = _epoch(event.get("LastCall"))
        if last_call is not None and (member.last_call_end is None or last_call > member.last_call_end):
            member.last_call_end = last_call
        if not member.in_call and not member.ringing:
            member.caller, member.caller_channel, member.caller_ids = "", "", ("", "")

    def _member_removed(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        queue.members.pop(event.get("Interface", ""), None)

    def _queue_seen(self, queue: QueueState, event: AmiEvent, when: datetime) -> None:
        pass  # the queue now exists in the state, even with nobody in it

    # -- views ------------------------------------------------------------------------------------------------

    def snapshot(self, now: datetime) -> dict[str, object]:
        """The JSON the wallboard and agent pages render."""
        queues = []
        for name in sorted(self.queues):
            queue = self.queues[name]
            callers = sorted(queue.callers.values(), key=lambda caller: caller.position)
            level = queue.service_level()
            queues.append(
                {
                    "name": name,
                    "waiting": [
                        {
                            "number": caller.number,
                            "language": caller.language,
                            "position": caller.position,
                            "joined_at": caller.joined_at.isoformat(),
                            "wait_s": round((now - caller.joined_at).total_seconds()),
                        }
                        for caller in callers
                    ],
                    "longest_wait_s": round(queue.longest_wait_s(now)),
                    "members": [
                        {
                            "interface": member.interface,
                            "name": member.name,
                            "state": member.state(now, self.wrapup_s).value,
                            "paused_reason": member.paused_reason,
                            "penalty": member.penalty,
                            "calls_taken": member.calls_taken,
                            "caller": member.caller,
                        }
                        for member in sorted(queue.members.values(), key=lambda m: m.name)
                    ],
                    "offered_today": queue.offered,
                    "answered_today": queue.answered,
                    "abandoned_today": queue.abandoned,
                    "callbacks_today": queue.callbacks,
                    "service_level_today": None if level is None else round(level, 3),
                    "estimated_wait_s": estimated_wait_s(queue.recent_waits, now=now, position=1),
                }
            )
        return {"at": now.isoformat(), "service_level_s": self.service_level_s, "queues": queues}


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

"""What the live state is made of: queues, their waiting callers and members, and the events that concern them.

Rules:
- Plain values, no I/O and no clock: `now` is passed in. The reducer that changes them is `api.ami.state`.
- Member state follows app_queue's fields: Status is a device state (ast_device_state: 1 not in use, 2 in use,
  3 busy, 4 invalid, 5 unavailable, 6 ringing, 7 ring+in use, 8 on hold), InCall, Paused/PausedReason. Wrap-up is
  derived: not in a call, and the last call ended less than the queue's wrapuptime ago (queues.conf; app_queue
  does not report it in QueueParams, so it is configuration passed in).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

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
SPARK_BUCKET_S = 300  # the wallboard's last-hour sparkline: calls offered per 5 minutes...
SPARK_BUCKETS = 12  # ... over the last hour
# An agent in several queues has one state on the agent grid: the most engaged of its per-queue states.
STATE_PRIORITY = ("on_call", "ringing", "wrapup", "paused", "available", "unavailable")


class MemberState(enum.StrEnum):
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAPUP = "wrapup"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"


UNAVAILABLE_DEVICE = {"0", "4", "5"}  # unknown, invalid, unavailable (not registered)
RINGING_DEVICE = {"6", "7"}
BUSY_DEVICE = {"2", "3", "7", "8"}


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
    state_since: datetime | None = None  # when its state last changed (the event that changed it, or a resync)

    def state(self, now: datetime, queue_wrapup_s: int) -> MemberState:
        if self.device in UNAVAILABLE_DEVICE:
            return MemberState.UNAVAILABLE
        if self.in_call or (self.device in BUSY_DEVICE and self.device != "7"):
            return MemberState.ON_CALL
        if self.ringing or self.device in RINGING_DEVICE:
            return MemberState.RINGING
        if self.paused:
            return MemberState.PAUSED
        wrapup = self.wrapup_s or queue_wrapup_s
        if self.last_call_end is not None and now < self.last_call_end + timedelta(seconds=wrapup):
            return MemberState.WRAPUP
        return MemberState.AVAILABLE


@dataclass
class AgentDay:
    """One seat across all its queues: today's calls and handle time, and the call it is on now."""

    calls: int = 0
    handle_s: float = 0.0  # talk time of today's completed calls (AgentComplete TalkTime)
    talk_since: datetime | None = None  # AgentConnect of the current call
    talk_queue: str = ""  # the queue that call came from


@dataclass
class QueueState:
    name: str
    language: str = ""  # the call-center file's language served by this queue ("" if the file does not name it)
    label: str = ""  # that language's name in its own script, for the wallboard's card title
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
    version: int = 0  # bumped by every change to this queue (api.ami.state): the key of its rendered JSON
    rendered: tuple[tuple[int, int, int], dict[str, object]] | None = field(default=None, repr=False, compare=False)
    # calls offered per SPARK_BUCKET_S slot (epoch seconds // SPARK_BUCKET_S), the last SPARK_BUCKETS slots kept
    offered_by_slot: dict[int, int] = field(default_factory=dict)

    def count_offer(self, when: datetime) -> None:
        slot = int(when.timestamp()) // SPARK_BUCKET_S
        if slot not in self.offered_by_slot:
            for old in [key for key in self.offered_by_slot if key <= slot - SPARK_BUCKETS]:
                del self.offered_by_slot[old]
        self.offered_by_slot[slot] = self.offered_by_slot.get(slot, 0) + 1

    def sparkline(self, now: datetime) -> list[int]:
        """Calls offered per 5 minutes over the last hour, oldest first (the current slot last)."""
        current = int(now.timestamp()) // SPARK_BUCKET_S
        return [self.offered_by_slot.get(slot, 0) for slot in range(current - SPARK_BUCKETS + 1, current + 1)]

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

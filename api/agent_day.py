"""The agent's day, as pure functions: which local day "today" is, the seat's overall state and since when, and
the day's personal figures from the seat's call records and dispositions.

Rules:
- "Today" is the call center's local day (its time zone), from local midnight to the next (a DST day is 23 or
  25 hours long); a call belongs to the day it started.
- A seat is a member of several queues; its state is the most telling of its queue states (on call > ringing >
  wrap-up > paused > available > unavailable), since the time the reducer saw it change in that queue. An
  available seat that was in wrap-up is available since the wrap-up ended, not since the call ended.
- Figures count answered calls whose record names the seat (MEMBERINTERFACE, PJSIP/<seat>). Handle time is talk
  time plus after-call work, the time from the call's end to its disposition, capped at `ACW_CAP_S` (a
  disposition filed hours later from the list is not hours of work); a call without disposition adds none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.ami.state import Member, MemberState

ACW_CAP_S = 300.0
STATE_ORDER = (
    MemberState.ON_CALL,
    MemberState.RINGING,
    MemberState.WRAPUP,
    MemberState.PAUSED,
    MemberState.AVAILABLE,
    MemberState.UNAVAILABLE,
)


def local_day(now: datetime, zone: ZoneInfo) -> tuple[date, datetime, datetime]:
    """The local date of `now` and its bounds [start, end) as aware instants."""
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return day, start, end


def member_since(member: Member, now: datetime, wrapup_s: int) -> datetime | None:
    """Since when `member` is in its present state."""
    state = member.state(now, wrapup_s)
    since = member.state_since
    if state is MemberState.AVAILABLE and member.last_call_end is not None:
        wrapup_end = member.last_call_end + timedelta(seconds=member.wrapup_s or wrapup_s)
        if since is None or wrapup_end > since:
            since = min(wrapup_end, now)
    return since


def seat_state(members: Iterable[Member], now: datetime, wrapup_s: int) -> tuple[MemberState, datetime | None]:
    """The seat's state over its queues and since when (UNAVAILABLE, None when it is in no queue)."""
    states = [(member.state(now, wrapup_s), member_since(member, now, wrapup_s)) for member in members]
    if not states:
        return MemberState.UNAVAILABLE, None
    best = min(STATE_ORDER.index(state) for state, _ in states)
    moments = [since for state, since in states if STATE_ORDER.index(state) == best and since is not None]
    return STATE_ORDER[best], min(moments) if moments else None


@dataclass(frozen=True)
class CallFacts:
    """What the figures need of one call record."""

    linkedid: str
    answered: bool
    talk_seconds: float | None
    ended_at: datetime | None


@dataclass(frozen=True)
class DayFigures:
    calls_answered: int
    talk_seconds: float
    after_call_seconds: float
    average_handle_seconds: float | None  # None without an answered call


def day_figures(calls: Iterable[CallFacts], disposed_at: Mapping[str, datetime]) -> DayFigures:
    """Calls answered, talk time, after-call work and average handle time of a seat's day."""
    answered = [call for call in calls if call.answered]
    talk = sum(call.talk_seconds or 0.0 for call in answered)
    after_call = 0.0
    for call in answered:
        disposed = disposed_at.get(call.linkedid)
        if disposed is not None and call.ended_at is not None:
            after_call += min(ACW_CAP_S, max(0.0, (disposed - call.ended_at).total_seconds()))
    average = (talk + after_call) / len(answered) if answered else None
    return DayFigures(
        calls_answered=len(answered),
        talk_seconds=round(talk, 1),
        after_call_seconds=round(after_call, 1),
        average_handle_seconds=None if average is None else round(average, 1),
    )

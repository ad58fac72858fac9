"""The agent's day on one page: the desk's configuration, and a seat's state, queues, figures and calls of today.

Rules:
- The same seat rule as api.routes.agents: an agent reads their own seat only; supervisors and admins any.
- "Today" is the call center's local day (api.agent_day); the clock is the app's (passed in, never read here).
- Skills are read back from the penalty the seat logged in with (0 native, 1 fluent, 2 basic: queues.conf).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fastapi import APIRouter

from api.agent_day import CallFacts, day_figures, local_day, member_since, seat_state
from api.ami.state import LiveState
from api.crud import desk, dispositions
from api.deps import LiveDep, NowDep, RequestConfigDep, SessionDep, StaffDep
from api.problems import documented
from api.routes.agents import PENALTY, SeatPath, check_seat, interface
from api.schemas.desk import (
    AgentDay,
    DayCall,
    DayFiguresPublic,
    DayQueue,
    DeskConfig,
    LanguageChoice,
    LastCall,
    OutcomeChoice,
    RequestTypeChoice,
)
from callcenter.records import Outcome

router = APIRouter(tags=["agents"])
SKILL_OF_PENALTY = {penalty: skill.value for skill, penalty in PENALTY.items()}


@router.get("/desk/config")
async def desk_config(principal: StaffDep, config: RequestConfigDep) -> DeskConfig:
    """What the agent's page offers: languages and their queues, request types, disposition outcomes."""
    center = config.callcenter
    return DeskConfig(
        languages=[LanguageChoice(code=lang.code, name=lang.name, queue=lang.queue) for lang in center.languages],
        request_types=[
            RequestTypeChoice(key=kind.key, digit=kind.digit, names=kind.names, deadline_hours=kind.deadline_hours)
            for kind in center.request_types
        ],
        outcomes=[
            OutcomeChoice(key=outcome.key, names=outcome.names, proposes_request=outcome.proposes_request)
            for outcome in center.disposition_outcomes
        ],
        due_soon_hours=config.due_soon_hours,
    )


@router.get("/agents/{seat}/day", responses=documented(503))
async def agent_day(
    seat: SeatPath, principal: StaffDep, live: LiveDep, session: SessionDep, config: RequestConfigDep, now: NowDep
) -> AgentDay:
    """A seat's state and time in it, its queues with skills, and its figures and calls of today."""
    check_seat(principal, seat)
    language_of = {queue: code for code, queue in live.queues_by_language.items()}
    wrapup_s = live.state.wrapup_s
    members = [
        (queue.name, queue.members[interface(seat)])
        for queue in sorted(live.state.queues.values(), key=lambda q: q.name)
        if interface(seat) in queue.members
    ]
    state, since = seat_state([member for _, member in members], now, wrapup_s)
    day, start, end = local_day(now, config.callcenter.tz)
    calls = await desk.seat_calls(session, seat=seat, since=start, until=end)
    last = await desk.last_completed_call(session, interface=interface(seat), since=start)
    last_ids = [last.get("Linkedid") or last.get("Uniqueid", "")] if last else []
    closed = await dispositions.dispositions_of(
        session, seat=seat, linkedids=[call.linkedid for call in calls] + last_ids
    )
    figures = day_figures(
        [
            CallFacts(
                linkedid=call.linkedid,
                answered=call.outcome == Outcome.ANSWERED.value,
                talk_seconds=call.talk_seconds,
                ended_at=call.ended_at,
            )
            for call in calls
        ],
        {linkedid: row.created_at for linkedid, row in closed.items()},
    )
    return AgentDay(
        seat=seat,
        day=day,
        state=state.value,
        since=since,
        time_in_state_s=None if since is None else round(max(0.0, (now - since).total_seconds()), 1),
        paused_reason=next((member.paused_reason for _, member in members if member.paused_reason), ""),
        queues=[
            DayQueue(
                queue=name,
                language=language_of.get(name),
                skill=SKILL_OF_PENALTY.get(member.penalty, "basic"),
                state=member.state(now, wrapup_s).value,
                since=member_since(member, now, wrapup_s),
                paused_reason=member.paused_reason,
            )
            for name, member in members
        ],
        figures=DayFiguresPublic(**vars(figures)),
        calls=[
            DayCall(
                linkedid=call.linkedid,
                started_at=call.started_at,
                caller_number=call.caller_number,
                language=call.language,
                request_type=call.request_type,
                talk_seconds=call.talk_seconds,
                outcome=call.outcome,
                disposition=closed[call.linkedid].outcome if call.linkedid in closed else None,
            )
            for call in calls
        ],
        last_call=None if last is None else last_call(last, closed.keys(), now),
    )


def last_call(event: dict[str, str], disposed: Iterable[str], now: datetime) -> LastCall:
    linkedid = event.get("Linkedid") or event.get("Uniqueid", "")
    return LastCall(
        linkedid=linkedid,
        uniqueid=event.get("Uniqueid", ""),
        number=event.get("CallerIDNum", ""),
        language=event.get("Language", ""),
        ended_at=LiveState.event_time(event, now),
        disposed=linkedid in set(disposed),
    )

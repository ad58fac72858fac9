"""Agents over AMI: log in/out of the language queues, pause with a reason, see one's own state and caller.

Rules:
- A seat is the agent's PJSIP endpoint name (agent1001 -> PJSIP/agent1001). An agent acts on their own seat
  only (`principal.seat`: the seat of their account, or the name of an agent token, `ivr token create --role
  agent --name agent1001`); supervisors and admins act on any seat. Anyone else: 403.
- Logging in states the agent's language skills; each becomes a QueueAdd to that language's queue with the
  penalty of the skill (queues.conf: 0 native, 1 fluent, 2 can help), and queues not listed are left.
- During a call, GET /agents/{seat} shows the caller's card (number, IVR variables, previous calls): the one
  place an agent sees calls they did not answer (api.security.access); each read of it is audited.
- Pausing without a queue pauses the seat in every queue (QueuePause without Queue), with a reason that the
  wallboard shows and the queue log keeps.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from api.ami.client import AmiError, AmiUnavailableError
from api.ami.service import LiveService
from api.crud import agent_pauses, agent_skills, calls, desk
from api.deps import LiveDep, NowDep, SessionDep, StaffDep
from api.problems import documented
from api.schemas.agents import (
    SEAT_PATTERN,
    AgentLogin,
    AgentPause,
    AgentPublic,
    AgentQueue,
    CurrentCaller,
    PreviousCall,
    PreviousRequest,
    Skill,
)
from api.schemas.audit import AuditAction
from api.security.audit import AuditDep
from api.security.tokens import Principal, Role

router = APIRouter(prefix="/agents", tags=["agents"])

SeatPath = Annotated[str, Path(pattern=SEAT_PATTERN, description="the agent's seat (PJSIP endpoint name)")]
PENALTY = {Skill.NATIVE: 0, Skill.FLUENT: 1, Skill.BASIC: 2}  # queues.conf: 0 native, 1 fluent, 2 can help


def check_seat(principal: Principal, seat: str) -> None:
    if principal.role == Role.AGENT and principal.seat != seat:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an agent may only act on their own seat")


def interface(seat: str) -> str:
    return f"PJSIP/{seat}"


async def ami_simple(live: LiveService, action: str, **fields: str) -> dict[str, str]:
    try:
        return await live.require_link().simple(action, **fields)
    except AmiUnavailableError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error


async def leave(live: LiveService, seat: str, queue: str) -> None:
    with contextlib.suppress(AmiError):  # "Not there": nothing to leave
        await ami_simple(live, "QueueRemove", Queue=queue, Interface=interface(seat))


def agent_view(live: LiveService, seat: str) -> list[AgentQueue]:
    now = live.clock()
    rows = []
    for queue in sorted(live.state.queues.values(), key=lambda q: q.name):
        member = queue.members.get(interface(seat))
        if member is not None:
            rows.append(
                AgentQueue(
                    queue=queue.name,
                    state=member.state(now, live.state.wrapup_s).value,
                    penalty=member.penalty,
                    paused_reason=member.paused_reason,
                )
            )
    return rows


@router.post("/{seat}/login", responses=documented(502, 503))
async def login(
    seat: SeatPath, body: AgentLogin, principal: StaffDep, live: LiveDep, session: SessionDep, now: NowDep
) -> list[AgentQueue]:
    """Log a seat into the queues of its languages (penalty by skill) and out of the others."""
    check_seat(principal, seat)
    unknown = sorted(set(body.skills) - set(live.queues_by_language))
    if unknown:
        raise HTTPException(422, f"no queue for language(s) {', '.join(unknown)}")
    wanted = {live.queues_by_language[code]: PENALTY[skill] for code, skill in body.skills.items()}
    for queue, penalty in wanted.items():
        fields = {"Queue": queue, "Interface": interface(seat), "MemberName": seat, "Penalty": str(penalty)}
        try:
            await ami_simple(live, "QueueAdd", **fields)
        except AmiError as error:
            if "already there" not in str(error).lower():
                raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(error)) from error
            await ami_simple(live, "QueuePenalty", Queue=queue, Interface=interface(seat), Penalty=str(penalty))
    for queue in sorted(set(live.queues_by_language.values()) - set(wanted)):
        await leave(live, seat, queue)
    await live.wait_until(lambda: {row.queue for row in agent_view(live, seat)} == set(wanted))
    await agent_skills.remember_skills(session, seat=seat, skills=body.skills, now=now)
    return agent_view(live, seat)


@router.post("/{seat}/logout", responses=documented(502, 503))
async def logout(seat: SeatPath, principal: StaffDep, live: LiveDep, session: SessionDep) -> list[AgentQueue]:
    """Take a seat out of every queue."""
    check_seat(principal, seat)
    await agent_skills.forget_skills(session, seat=seat)
    await agent_pauses.forget_pause(session, seat=seat)
    for queue in sorted(set(live.queues_by_language.values())):
        await leave(live, seat, queue)
    await live.wait_until(lambda: not agent_view(live, seat))
    return agent_view(live, seat)


@router.post("/{seat}/pause", responses=documented(409, 503))
async def pause(
    seat: SeatPath, body: AgentPause, principal: StaffDep, live: LiveDep, session: SessionDep, now: NowDep
) -> list[AgentQueue]:
    """Pause a seat in all its queues, with a reason (no calls are offered until unpaused)."""
    check_seat(principal, seat)
    await agent_pauses.remember_pause(session, seat=seat, reason=body.reason, now=now)
    try:
        await ami_simple(live, "QueuePause", Interface=interface(seat), Paused="true", Reason=body.reason)
    except AmiError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, f"cannot pause {seat}: {error}") from error
    await live.wait_until(lambda: all(row.state == "paused" or row.paused_reason for row in agent_view(live, seat)))
    return agent_view(live, seat)


@router.post("/{seat}/unpause", responses=documented(409, 503))
async def unpause(seat: SeatPath, principal: StaffDep, live: LiveDep, session: SessionDep) -> list[AgentQueue]:
    """Unpause a seat in all its queues."""
    check_seat(principal, seat)
    await agent_pauses.forget_pause(session, seat=seat)
    try:
        await ami_simple(live, "QueuePause", Interface=interface(seat), Paused="false")
    except AmiError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, f"cannot unpause {seat}: {error}") from error
    await live.wait_until(lambda: not any(row.paused_reason or row.state == "paused" for row in agent_view(live, seat)))
    return agent_view(live, seat)


@router.get("/{seat}", responses=documented(503))
async def agent_state(
    seat: SeatPath, principal: StaffDep, live: LiveDep, session: SessionDep, audit: AuditDep
) -> AgentPublic:
    """A seat's state in each queue and, during a call, the caller's context and previous calls."""
    check_seat(principal, seat)
    caller: CurrentCaller | None = None
    mine = [queue.members[interface(seat)] for queue in live.state.queues.values() if interface(seat) in queue.members]
    member = next((m for m in mine if m.caller), None)  # the queue whose call rings or is connected
    if member is not None and member.caller:
        variables = {"IVR_LANG": "", "IVR_REQUEST_TYPE": "", "IVR_REFERENCE": ""}
        if member.caller_channel and live.link is not None:
            for name in variables:
                try:
                    reply = await live.link.simple("Getvar", Channel=member.caller_channel, Variable=name)
                except AmiError:
                    continue
                variables[name] = reply.get("Value", "")
        previous = await calls.latest_calls_from(session, caller_number=member.caller)
        await audit(AuditAction.READ_CALLER_HISTORY, f"caller:{member.caller}", f"seat={seat} rows={len(previous)}")
        caller = CurrentCaller(
            number=member.caller,
            language=variables["IVR_LANG"],
            request_type=variables["IVR_REQUEST_TYPE"],
            reference=variables["IVR_REFERENCE"],
            ringing=not member.in_call,
            uniqueid=member.caller_ids[0],
            linkedid=member.caller_ids[1],
            reference_status=await desk.status_of_reference(session, reference=variables["IVR_REFERENCE"]),
            previous_requests=[
                PreviousRequest(
                    reference=row.reference,
                    type_key=row.type_key,
                    status=row.status,
                    created_at=row.created_at.isoformat(),
                    due_at=row.due_at.isoformat(),
                )
                for row in await desk.requests_of_caller(session, caller_number=member.caller)
            ],
            previous_calls=[
                PreviousCall(
                    started_at=call.started_at.isoformat(),
                    language=call.language,
                    request_type=call.request_type,
                    reference=call.reference,
                    outcome=call.outcome,
                )
                for call in previous
            ],
        )
    return AgentPublic(seat=seat, queues=agent_view(live, seat), caller=caller)

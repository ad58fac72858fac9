"""Supervisors listen to, whisper to or barge into an agent's call (ChanSpy through Originate).

Asterisk first rings the supervisor's own seat; when they answer, ChanSpy attaches to the agent's channel:
`q` (no beep, quiet), plus `w` to whisper (only the agent hears the supervisor) or `B` to barge (both parties
hear). See Asterisk's ChanSpy documentation. Only supervisors and admins; the AMI user needs write=originate.
"""

from __future__ import annotations

import enum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from api.ami.client import AmiError
from api.routes.agents import SEAT_PATTERN, LiveDep, ami_simple, interface
from api.security.tokens import Principal, Role, require

router = APIRouter(prefix="/supervision", tags=["supervision"])

Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.ADMIN))]


class SpyMode(enum.StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


CHANSPY_OPTIONS = {SpyMode.LISTEN: "qE", SpyMode.WHISPER: "qEw", SpyMode.BARGE: "qEB"}


class SpyRequest(BaseModel):
    agent: str = Field(pattern=SEAT_PATTERN, description="the seat to listen to")
    supervisor_seat: str = Field(pattern=SEAT_PATTERN, description="the supervisor's own phone, rung first")
    mode: SpyMode = SpyMode.LISTEN


class SpyStarted(BaseModel):
    agent: str
    supervisor_seat: str
    mode: SpyMode
    channel: str


def spy_originate(request: SpyRequest) -> dict[str, str]:
    """The Originate fields for a spy session (pure, so the exact AMI action is tested without Asterisk)."""
    return {
        "Channel": interface(request.supervisor_seat),
        "Application": "ChanSpy",
        # E: end when the spied channel hangs up; the trailing '-' keeps agent1001 from matching agent10010
        "Data": f"{interface(request.agent)}-,{CHANSPY_OPTIONS[request.mode]}",
        "CallerID": f'"{request.mode.value} {request.agent}" <{request.agent}>',
        "Timeout": "30000",
        "Async": "true",
    }


@router.post("/spy", status_code=status.HTTP_202_ACCEPTED)
async def spy(body: SpyRequest, principal: Supervisor, live: LiveDep) -> SpyStarted:
    """Ring the supervisor's seat, then listen to / whisper to / barge into the agent's call."""
    if not any(
        (member := queue.members.get(interface(body.agent))) is not None and member.in_call
        for queue in live.state.queues.values()
    ):
        raise HTTPException(status.HTTP_409_CONFLICT, f"{body.agent} is not on a queue call")
    try:
        await ami_simple(live, "Originate", **spy_originate(body))
    except AmiError as error:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(error)) from error
    return SpyStarted(
        agent=body.agent, supervisor_seat=body.supervisor_seat, mode=body.mode, channel=interface(body.supervisor_seat)
    )

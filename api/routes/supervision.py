"""Supervisors listen to, whisper to or barge into an agent's call (ChanSpy through Originate); the wallboard's
settings (thresholds from the call-center file's [supervision], queue titles in each language's own name).

Asterisk first rings the supervisor's own seat; when they answer, ChanSpy attaches to the agent's channel:
`q` (no beep, quiet), plus `w` to whisper (only the agent hears the supervisor) or `B` to barge (both parties
hear). See Asterisk's ChanSpy documentation. Only supervisors and admins; the AMI user needs write=originate.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.ami.client import AmiError
from api.deps import LiveDep, RequestConfigDep, SettingsDep, StaffDep, SupervisorDep
from api.problems import documented
from api.routes.agents import ami_simple, interface
from api.schemas.agents import BoardPublic, BoardQueue, SpyCreate, SpyMode, SpyStarted

router = APIRouter(prefix="/supervision", tags=["supervision"])


CHANSPY_OPTIONS = {SpyMode.LISTEN: "qE", SpyMode.WHISPER: "qEw", SpyMode.BARGE: "qEB"}


def spy_originate(spy_in: SpyCreate) -> dict[str, str]:
    """The Originate fields for a spy session (pure, so the exact AMI action is tested without Asterisk)."""
    return {
        "Channel": interface(spy_in.supervisor_seat),
        "Application": "ChanSpy",
        # E: end when the spied channel hangs up; the trailing '-' keeps agent1001 from matching agent10010
        "Data": f"{interface(spy_in.agent)}-,{CHANSPY_OPTIONS[spy_in.mode]}",
        "CallerID": f'"{spy_in.mode.value} {spy_in.agent}" <{spy_in.agent}>',
        "Timeout": "30000",
        "Async": "true",
    }


@router.post("/spy", status_code=status.HTTP_202_ACCEPTED, responses=documented(409, 502, 503))
async def spy(body: SpyCreate, principal: SupervisorDep, live: LiveDep) -> SpyStarted:
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


@router.get("/board")
async def board(principal: StaffDep, settings: SettingsDep, config: RequestConfigDep) -> BoardPublic:
    """The wallboard's thresholds, the queues' titles (their language's own name) and the viewer's seat."""
    callcenter = config.callcenter
    limits = callcenter.supervision
    return BoardPublic(
        service_level_s=settings.service_level_seconds,
        service_level_target_percent=limits.service_level_target_percent,
        longest_wait_limit_s=limits.longest_wait_limit_s,
        abandon_rate_limit_percent=limits.abandon_rate_limit_percent,
        paused_limit_s=limits.paused_limit_s,
        sound_alert=limits.sound_alert,
        queues=[
            BoardQueue(queue=lang.queue, language=lang.code, name=lang.name, english_name=lang.english_name)
            for lang in callcenter.languages
        ],
        seat=principal.seat,
    )

"""The request scope of whoever is calling (api.security.access has the rules), as a route dependency: queue
membership from the live state while the AMI link is up, else the skills the seat last logged in with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.ami.service import LiveService
from api.crud import agent_skills
from api.deps import SessionDep, authenticate
from api.security.access import RequestScope, request_scope, sees_everything
from api.security.tokens import Principal


def member_queues(live: LiveService | None, seat: str | None) -> set[str] | None:
    """The queues `seat` is a member of now; None when nobody can know (no AMI link connected)."""
    if live is None or seat is None or live.ami_status()["status"] != "connected":
        return None
    interface = f"PJSIP/{seat}"
    return {queue.name for queue in live.state.queues.values() if interface in queue.members}


async def scope_of(
    request: Request, principal: Annotated[Principal, Depends(authenticate)], session: SessionDep
) -> RequestScope | None:
    if sees_everything(principal):
        return None
    live: LiveService | None = getattr(request.app.state, "live", None)
    members = member_queues(live, principal.seat)
    skills = (
        await agent_skills.skill_languages(session, seat=principal.seat)
        if members is None and principal.seat
        else set()
    )
    return request_scope(
        principal,
        member_queues=members,
        queues_by_language=live.queues_by_language if live is not None else {},
        skill_languages=skills,
    )


RequestScopeDep = Annotated[RequestScope | None, Depends(scope_of)]

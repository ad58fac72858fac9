"""The request scope of whoever is calling (api.security.access has the rules), as a route dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.ami.service import LiveService
from api.deps import authenticate
from api.security.access import RequestScope, request_scope
from api.security.tokens import Principal


def member_queues(live: LiveService | None, seat: str | None) -> set[str] | None:
    """The queues `seat` is a member of now; None when nobody can know (no AMI link connected)."""
    if live is None or seat is None or live.ami_status()["status"] != "connected":
        return None
    interface = f"PJSIP/{seat}"
    return {queue.name for queue in live.state.queues.values() if interface in queue.members}


async def scope_of(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> RequestScope | None:
    live: LiveService | None = getattr(request.app.state, "live", None)
    return request_scope(
        principal,
        member_queues=member_queues(live, principal.seat),
        queues_by_language=live.queues_by_language if live is not None else {},
    )


RequestScopeDep = Annotated[RequestScope | None, Depends(scope_of)]

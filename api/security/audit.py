"""Accountability: the one dependency through which a route records that someone read personal data.

Rules:
- A route that returns personal data (caller numbers, call details, request contents, recordings) takes
  `audit: AuditDep` and awaits `audit(action, object_id, detail)` once it knows what it will return and before
  returning it. The entry names the principal (name and role), the action, the object, the time (the API's
  clock) and the client address as the connection gave it.
- The agi service's reads (a caller's language for routing, a request's status for the IVR) are machine
  lookups made for the caller on the line: they are not recorded, so the log stays about people.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud import audit
from api.deps import authenticate, get_now, get_session
from api.schemas.audit import AuditAction, AuditCreate
from api.security.tokens import Principal, Role


class AuditTrail:
    """Bound to one request: who is asking, from where, at what time."""

    def __init__(self, session: AsyncSession, principal: Principal, client: str, now: datetime) -> None:
        self.session = session
        self.principal = principal
        self.client = client
        self.now = now

    async def __call__(self, action: AuditAction, object_id: str | None = None, detail: str = "") -> None:
        if self.principal.role is Role.AGI:
            return
        entry = AuditCreate(
            actor=self.principal.name,
            role=self.principal.role.value,
            action=action,
            object_id=object_id,
            detail=detail[:2000],
            client=self.client,
        )
        await audit.record(self.session, entry=entry, now=self.now)


async def audit_trail(
    request: Request,
    session: Annotated[AsyncSession, Depends(get_session)],
    principal: Annotated[Principal, Depends(authenticate)],  # the route's own check ran it: cached, not repeated
    now: Annotated[datetime, Depends(get_now)],
) -> AuditTrail:
    client = request.client.host if request.client else ""
    return AuditTrail(session, principal, client[:64], now)


AuditDep = Annotated[AuditTrail, Depends(audit_trail)]

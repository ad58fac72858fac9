"""A citizen notification the worker gave up, asked again by who owns its request (api.channels.notify_desk has
who; api.crud.notifications what it does). The notifications themselves are shown with the request, on
GET /requests/{reference} and GET /complaints/{reference}.

404: no such request for you (as one that does not exist), or no such notification on it; 403: you read the
request but do not own it; 409: the notification is not given up. Each retry is audited, in the same commit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from api.channels import notify_desk
from api.crud import notifications, requests
from api.deps import NowDep, RequestConfigDep, SessionDep, require
from api.problems import documented
from api.schemas.audit import AuditAction
from api.schemas.requests import CitizenNotificationPublic
from api.security.audit import AuditDep
from api.security.scopes import RequestScopeDep
from api.security.tokens import Principal, Role

router = APIRouter(tags=["requests"])
RetryRoleDep = Annotated[
    Principal, Depends(require(Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.DESK, Role.OFFICER))
]
NotificationId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/requests/{reference}/notifications/{notification_id}/retry", responses=documented(409))
async def retry_notification(
    reference: str,
    notification_id: NotificationId,
    session: SessionDep,
    config: RequestConfigDep,
    principal: RetryRoleDep,
    scope: RequestScopeDep,
    now: NowDep,
    audit: AuditDep,
) -> CitizenNotificationPublic:
    """Send a given-up notification again: queued at once with a fresh budget of tries (409 unless given up)."""
    found = await requests.by_reference(session, reference=reference)
    if found is None:
        raise HTTPException(404, "no such request")
    allowed = notify_desk.rights(principal, request=found, scope=scope, complaints=config.callcenter.complaints)
    if not allowed.reads:
        raise HTTPException(404, "no such request")
    if not allowed.retries:
        raise HTTPException(403, "only who handles this request (or a supervisor) may send its notifications again")
    try:
        row = await notifications.requeue(session, request_id=found.id, notification_id=notification_id,
                                          actor=principal.name, now=now)  # fmt: skip
    except notifications.UnknownNotificationError as error:
        raise HTTPException(404, str(error)) from error
    except notifications.NotGivenUpError as error:
        raise HTTPException(409, str(error)) from error
    detail = f"notification={row.id} kind={row.kind} channel={row.channel}"
    await audit(AuditAction.RETRY_NOTIFICATION, f"request:{found.reference}", detail)  # commits the requeue too
    await session.commit()
    return notify_desk.shown(row, principal=principal, may_retry=True)

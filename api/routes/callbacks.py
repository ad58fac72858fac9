"""What the waiting experience asks the API: a queue's estimated wait, and booking a callback.

The agi service (role agi) asks both while a caller waits; supervisors list callbacks. Estimates come from the
live state's recently answered waits (api.ami.state.estimated_wait_s); callbacks are dialed by the live
service when their turn comes (api.ami.service: agent first, then the caller).
A queue name must be one of the call-center configuration's queues (422 otherwise): a made-up name would
otherwise become a phantom queue on the wallboard.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.exceptions import RequestValidationError

from api.ami.service import LiveService
from api.ami.state import MemberState, estimated_wait_s
from api.crud import callbacks
from api.deps import LiveDep, NowDep, SessionDep, SupervisorDep, WaitingDep
from api.problems import documented
from api.schemas.audit import AuditAction
from api.schemas.callbacks import QUEUE_PATTERN, CallbackCreate, CallbackPublic, QueueEstimate
from api.security.audit import AuditDep

router = APIRouter(tags=["callbacks"])
QueueName = Annotated[str, Path(pattern=QUEUE_PATTERN, examples=["q-fr"])]


def require_configured_queue(live: LiveService, queue: str, *, loc: tuple[str, ...]) -> None:
    """422 naming the parameter when `queue` is not a queue of the call-center configuration."""
    known = sorted(set(live.queues_by_language.values()))
    if queue not in known:
        message = f"not a configured queue (known: {', '.join(known) or 'none'})"
        raise RequestValidationError([{"type": "unknown_queue", "loc": loc, "msg": message}])


@router.get("/queues/{queue}/estimate", responses=documented(503))
async def queue_estimate(
    queue: QueueName,
    principal: WaitingDep,
    live: LiveDep,
    now: NowDep,
    position: Annotated[int, Query(ge=1, le=999)] = 1,
) -> QueueEstimate:
    """Estimated wait at `position` in `queue`, from the queue's answered waits of the last hour."""
    require_configured_queue(live, queue, loc=("path", "queue"))
    state = live.state.queues.get(queue)
    if state is None:
        return QueueEstimate(queue=queue, position=position, estimated_wait_s=None, agents_available=0)
    available = sum(
        member.state(now, live.state.wrapup_s) is MemberState.AVAILABLE for member in state.members.values()
    )
    return QueueEstimate(
        queue=queue,
        position=position,
        estimated_wait_s=estimated_wait_s(state.recent_waits, now=now, position=position),
        agents_available=available,
    )


@router.post(
    "/callbacks",
    responses={
        **documented(503),
        200: {"description": "this number already had an open callback: that one is returned"},
    },
    status_code=status.HTTP_201_CREATED,
)
async def book_callback(
    body: CallbackCreate, principal: WaitingDep, session: SessionDep, now: NowDep, response: Response, live: LiveDep
) -> CallbackPublic:
    """Book a callback that keeps the caller's place; one open callback per number."""
    require_configured_queue(live, body.queue, loc=("body", "queue"))
    row, created = await callbacks.book_callback(session, callback_in=body, now=now)
    if created:
        await live.callback_booked(queue=body.queue, uniqueid=body.uniqueid or body.linkedid)
    else:
        response.status_code = status.HTTP_200_OK
    return CallbackPublic.model_validate(row)


@router.get("/callbacks")
async def list_callbacks(
    principal: SupervisorDep,
    session: SessionDep,
    audit: AuditDep,
    status_filter: Annotated[str | None, Query(alias="status", max_length=16)] = None,
) -> list[CallbackPublic]:
    """Callbacks, oldest place first (pending, dialing, done, failed)."""
    found = await callbacks.list_callbacks(session, status=status_filter)
    await audit(AuditAction.LIST_CALLBACKS, None, f"status={status_filter or 'any'} rows={len(found)}")
    return [CallbackPublic.model_validate(row) for row in found]

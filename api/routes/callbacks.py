"""What the waiting experience asks the API: a queue's estimated wait, and booking a callback.

The agi service (role agi) asks both while a caller waits; supervisors list callbacks. Estimates come from the
live state's recently answered waits (api.ami.state.estimated_wait_s); callbacks are dialed by the live
service when their turn comes (api.ami.service: agent first, then the caller).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, Field

from api.ami import store
from api.ami.models import CallbackRow
from api.ami.state import MemberState, estimated_wait_s
from api.db import SessionDep
from api.deps import NowDep
from api.routes.agents import LiveDep
from api.security.tokens import Role, require

router = APIRouter(tags=["callbacks"])
QueueName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class QueueEstimate(BaseModel):
    queue: str
    position: int
    estimated_wait_s: float | None  # None: no answered call in the last hour to estimate from
    agents_available: int


class CallbackCreate(BaseModel):
    number: str = Field(pattern=r"^\+?[0-9]{3,20}$")
    queue: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    language: str = Field(default="", pattern=r"^([a-z]{2,3})?$")
    linkedid: str = Field(default="", max_length=64)
    uniqueid: str = Field(default="", max_length=64)  # the waiting channel's, to match its queue events
    joined_at: datetime  # when the caller first joined the queue: the callback keeps that place


class CallbackPublic(BaseModel):
    id: int
    number: str
    queue: str
    language: str
    linkedid: str
    joined_at: datetime
    requested_at: datetime
    status: str
    attempts: int
    agent: str


def public(row: CallbackRow) -> CallbackPublic:
    return CallbackPublic.model_validate(row, from_attributes=True)


@router.get("/queues/{queue}/estimate", dependencies=[Depends(require(Role.AGI, Role.SUPERVISOR, Role.ADMIN))])
async def queue_estimate(
    queue: QueueName, live: LiveDep, now: NowDep, position: Annotated[int, Query(ge=1, le=999)] = 1
) -> QueueEstimate:
    """Estimated wait at `position` in `queue`, from the queue's answered waits of the last hour."""
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
    dependencies=[Depends(require(Role.AGI, Role.SUPERVISOR, Role.ADMIN))],
    responses={200: {"description": "this number already had an open callback: that one is returned"}},
    status_code=status.HTTP_201_CREATED,
)
async def book_callback(
    body: CallbackCreate, session: SessionDep, now: NowDep, response: Response, live: LiveDep
) -> CallbackPublic:
    """Book a callback that keeps the caller's place; one open callback per number."""
    row, created = await store.book_callback(
        session,
        number=body.number,
        queue=body.queue,
        language=body.language,
        linkedid=body.linkedid,
        joined_at=body.joined_at,
        now=now,
    )
    if created:
        await live.callback_booked(queue=body.queue, uniqueid=body.uniqueid or body.linkedid)
    else:
        response.status_code = status.HTTP_200_OK
    return public(row)


@router.get("/callbacks", dependencies=[Depends(require(Role.SUPERVISOR, Role.ADMIN))])
async def list_callbacks(
    session: SessionDep, status_filter: Annotated[str | None, Query(alias="status", max_length=16)] = None
) -> list[CallbackPublic]:
    """Callbacks, oldest place first (pending, dialing, done, failed)."""
    return [public(row) for row in await store.list_callbacks(session, status=status_filter)]

"""Callbacks in PostgreSQL: keyword-only functions, each given its session and time.

Rules:
- One number holds at most one open callback (pending or dialing): the partial unique index decides, so two API
  processes booking at once still make one row.
- Every change of an open callback is a conditional UPDATE on what the caller saw (pending to claim; dialing
  *and the same attempt* to settle), so two API processes, or a UserEvent and the recovery of a callback lost
  in flight (api.ami.callback_rules), change it once: the loser's update matches no row.
- A pending callback waits for its `retry_at` (api.ami.callback_rules.retry_delay) before it is dialed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.ami.callback_rules import Dialing, after_attempt
from api.models import OPEN_CALLBACK_PREDICATE, OPEN_CALLBACK_STATUSES, CallbackRow
from api.schemas.callbacks import CallbackCreate


async def book_callback(
    session: AsyncSession, *, callback_in: CallbackCreate, now: datetime
) -> tuple[CallbackRow, bool]:
    """The number's open callback, and whether this call created it (False: one was already booked)."""
    number = callback_in.number
    statement = (
        insert(CallbackRow)
        .values(
            **callback_in.model_dump(exclude={"uniqueid"}),
            requested_at=now,
            status="pending",
            attempts=0,
            agent="",
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[CallbackRow.number],
            index_where=OPEN_CALLBACK_PREDICATE,  # literal: see api.models
        )
        .returning(CallbackRow.id)
    )
    created_id = (await session.execute(statement)).scalar_one_or_none()
    await session.commit()
    row = await session.scalar(
        select(CallbackRow).where(CallbackRow.number == number, CallbackRow.status.in_(OPEN_CALLBACK_STATUSES))
    )
    assert row is not None  # either we inserted it or the conflicting open one exists
    return row, created_id is not None


async def list_callbacks(session: AsyncSession, *, status: str | None = None, limit: int = 200) -> list[CallbackRow]:
    query = select(CallbackRow).order_by(CallbackRow.joined_at, CallbackRow.id).limit(limit)
    if status is not None:
        query = query.where(CallbackRow.status == status)
    return list((await session.scalars(query)).all())


async def claim_callback(session: AsyncSession, *, callback_id: int, agent: str, now: datetime) -> bool:
    """pending -> dialing, for one claimer only (several API processes may race for the same callback)."""
    result = await session.execute(
        update(CallbackRow)
        .where(CallbackRow.id == callback_id, CallbackRow.status == "pending")
        .values(status="dialing", attempts=CallbackRow.attempts + 1, agent=agent, updated_at=now)
        .returning(CallbackRow.id)
    )
    claimed = result.scalar_one_or_none() is not None
    await session.commit()
    return claimed


async def due_callbacks(session: AsyncSession, *, now: datetime) -> list[CallbackRow]:
    """Pending callbacks whose retry time has come, oldest place first."""
    query = (
        select(CallbackRow)
        .where(CallbackRow.status == "pending", or_(CallbackRow.retry_at.is_(None), CallbackRow.retry_at <= now))
        .order_by(CallbackRow.joined_at, CallbackRow.id)
    )
    return list((await session.scalars(query)).all())


async def dialing_callbacks(session: AsyncSession) -> list[Dialing]:
    rows = await session.execute(
        select(CallbackRow.id, CallbackRow.attempts, CallbackRow.updated_at).where(CallbackRow.status == "dialing")
    )
    return [Dialing(callback_id=row.id, attempts=row.attempts, since=row.updated_at) for row in rows]


async def settle_callback(
    session: AsyncSession,
    *,
    callback_id: int,
    answered: bool,
    max_attempts: int,
    now: datetime,
    attempt: int | None = None,
) -> tuple[str, bool]:
    """After a dial attempt (`attempt`: only if it is still that one): done when the caller answered; else
    pending again after a delay, or failed after max_attempts. Returns the status the callback has now, and
    whether this call changed it (False: it was not dialing that attempt, or another process settled it)."""
    row = await session.get(CallbackRow, callback_id)
    if row is None or row.status != "dialing" or (attempt is not None and row.attempts != attempt):
        await session.commit()
        return (row.status if row is not None else "unknown"), False
    decision = after_attempt(answered=answered, attempts=row.attempts, max_attempts=max_attempts, now=now)
    result = await session.execute(
        update(CallbackRow)
        .where(CallbackRow.id == callback_id, CallbackRow.status == "dialing", CallbackRow.attempts == row.attempts)
        .values(status=decision.status, retry_at=decision.retry_at, updated_at=now)
        .returning(CallbackRow.status)
        .execution_options(synchronize_session=False)
    )
    settled = result.scalar_one_or_none()
    await session.commit()
    if settled is None:  # another process settled it first
        await session.refresh(row)
        return row.status, False
    return settled, True

"""Callbacks in PostgreSQL: keyword-only functions, each given its session and time.

Rules:
- One number holds at most one open callback (pending or dialing): the partial unique index decides, so two API
  processes booking at once still make one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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


async def settle_callback(
    session: AsyncSession, *, callback_id: int, answered: bool, max_attempts: int, now: datetime
) -> str:
    """After a dial attempt: done when the caller answered; else pending again, or failed after max_attempts."""
    row = await session.get(CallbackRow, callback_id)
    if row is None or row.status != "dialing":
        await session.commit()
        return row.status if row is not None else "unknown"
    row.status = "done" if answered else ("failed" if row.attempts >= max_attempts else "pending")
    row.updated_at = now
    await session.commit()
    return row.status

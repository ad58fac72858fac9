"""Which seats are paused and why: keyword-only functions, each given its session.

Rules: pausing a seat stores its reason, unpausing or logging out forgets it, so after a failover the standby box
is told the same (api.ami.restore). Asterisk still decides routing; this is what to tell the next box.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AgentPause


async def remember_pause(session: AsyncSession, *, seat: str, reason: str, now: datetime) -> None:
    statement = insert(AgentPause).values(seat=seat, reason=reason, since=now)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[AgentPause.seat], set_={"reason": reason, "since": now})
    )
    await session.commit()


async def forget_pause(session: AsyncSession, *, seat: str) -> None:
    await session.execute(delete(AgentPause).where(AgentPause.seat == seat))
    await session.commit()


async def paused_seats(session: AsyncSession) -> dict[str, str]:
    rows = (await session.execute(select(AgentPause.seat, AgentPause.reason))).all()
    return {seat: reason for seat, reason in rows}

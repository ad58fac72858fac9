"""What the agent's page reads besides dispositions: the seat's calls of a day, its last queue call (from the
stored AgentComplete events: the page may have skipped the live states of a short call, the store has not), a
caller's requests, and the status of a keyed reference. Keyword-only functions, each given its session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Call, QueueEventRow, RequestRow

MAX_DAY_CALLS = 500  # far above a day's work; keeps one page bounded


def seat_interfaces(seat: str) -> tuple[str, ...]:
    """How a seat appears in `calls.agent`: the queue member's interface (MEMBERINTERFACE), or its bare name."""
    return (f"PJSIP/{seat}", seat)


async def seat_calls(session: AsyncSession, *, seat: str, since: datetime, until: datetime) -> list[Call]:
    """The calls the seat answered that started in [since, until), newest first."""
    query = (
        select(Call)
        .where(Call.agent.in_(seat_interfaces(seat)), Call.started_at >= since, Call.started_at < until)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(MAX_DAY_CALLS)
    )
    return list((await session.scalars(query)).all())


async def requests_of_caller(session: AsyncSession, *, caller_number: str, limit: int = 5) -> list[RequestRow]:
    """The caller's most recent requests, newest first (none for a hidden or empty number)."""
    if not caller_number or not any(character.isdigit() for character in caller_number):
        return []
    query = (
        select(RequestRow)
        .where(RequestRow.caller_number == caller_number)
        .order_by(RequestRow.created_at.desc(), RequestRow.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def status_of_reference(session: AsyncSession, *, reference: str) -> str | None:
    if not (reference.isascii() and reference.isdigit() and len(reference) <= 12):
        return None
    return await session.scalar(select(RequestRow.status).where(RequestRow.reference == reference))


async def last_completed_call(session: AsyncSession, *, interface: str, since: datetime) -> dict[str, str] | None:
    """The AgentComplete event of the seat's latest queue call since `since` (as Asterisk sent it), or None."""
    query = (
        select(QueueEventRow.payload)
        .where(
            QueueEventRow.event == "AgentComplete",
            QueueEventRow.interface == interface,
            QueueEventRow.event_at >= since,
        )
        .order_by(QueueEventRow.event_at.desc(), QueueEventRow.id.desc())
        .limit(1)
    )
    payload = await session.scalar(query)
    return None if payload is None else {str(key): str(value) for key, value in payload.items()}

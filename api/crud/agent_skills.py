"""The language skills a seat last logged in with: keyword-only functions, each given its session.

Rules: logging in replaces the seat's skills, logging out forgets them, so the table says what the API last
asked Asterisk to do. It is a fallback for access decisions (api.security.access) while Asterisk's own queue
membership is unknown, never a second source of truth for routing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AgentSkill


async def remember_skills(session: AsyncSession, *, seat: str, skills: Mapping[str, str], now: datetime) -> None:
    await session.execute(delete(AgentSkill).where(AgentSkill.seat == seat))
    session.add_all(
        AgentSkill(seat=seat, language=language, skill=skill, updated_at=now) for language, skill in skills.items()
    )
    await session.commit()


async def forget_skills(session: AsyncSession, *, seat: str) -> None:
    await session.execute(delete(AgentSkill).where(AgentSkill.seat == seat))
    await session.commit()


async def skill_languages(session: AsyncSession, *, seat: str) -> set[str]:
    return set((await session.scalars(select(AgentSkill.language).where(AgentSkill.seat == seat))).all())


async def all_skills(session: AsyncSession) -> list[tuple[str, str, str]]:
    """Every stored (seat, language, skill): what a box that just took over must be told (api.ami.restore)."""
    rows = (await session.execute(select(AgentSkill.seat, AgentSkill.language, AgentSkill.skill))).all()
    return [(seat, language, skill) for seat, language, skill in rows]

"""Browser sessions of staff in PostgreSQL (rules: api.security.sessions): keyword-only functions, each given its
session and the current time. The cookie's secret never reaches the database, only its hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import StaffSession, StaffUser
from api.security.sessions import (
    TOUCH_INTERVAL,
    SessionPolicy,
    needs_touch,
    new_csrf_token,
    new_session_secret,
    session_alive,
    session_hash,
)
from api.security.tokens import Principal, Role

PURGE_AFTER = timedelta(days=1)  # ended or expired sessions are kept a day (for an admin asking "who was on")


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, its id and its CSRF token."""

    principal: Principal
    session_id: int
    user_id: int
    csrf_token: str
    expires_at: datetime


async def start_session(
    session: AsyncSession, *, user: StaffUser, now: datetime, policy: SessionPolicy
) -> tuple[str, str]:
    """A new session for `user`; returns the cookie's secret (never stored) and the CSRF token. Sessions long
    over are purged here, at sign-in, rather than by a job."""
    await session.execute(
        delete(StaffSession).where(
            or_(StaffSession.expires_at < now - PURGE_AFTER, StaffSession.ended_at < now - PURGE_AFTER)
        )
    )
    secret, csrf = new_session_secret(), new_csrf_token()
    session.add(
        StaffSession(
            user_id=user.id,
            secret_hash=session_hash(secret),
            csrf_token=csrf,
            created_at=now,
            last_used_at=now,
            expires_at=now + policy.absolute,
        )
    )
    await session.commit()
    return secret, csrf


async def signed_in(session: AsyncSession, *, secret: str, now: datetime, policy: SessionPolicy) -> SignedIn | None:
    """The live session whose cookie holds `secret` (None: unknown, ended, expired, idle too long, or its user
    disabled); notes the use at most once a minute."""
    found = (
        await session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.secret_hash == session_hash(secret), ~StaffUser.disabled)
        )
    ).first()
    if found is None:
        return None
    row, user = found
    alive = session_alive(
        last_used_at=row.last_used_at, expires_at=row.expires_at, ended_at=row.ended_at, now=now, policy=policy
    )
    if not alive:
        return None
    if needs_touch(row.last_used_at, now):
        await session.execute(
            update(StaffSession)
            .where(StaffSession.id == row.id, StaffSession.last_used_at <= now - TOUCH_INTERVAL)
            .values(last_used_at=now)
        )
        await session.commit()
    principal = Principal(name=user.username, role=Role(user.role), seat=user.seat)
    return SignedIn(
        principal=principal, session_id=row.id, user_id=user.id, csrf_token=row.csrf_token, expires_at=row.expires_at
    )


async def end_session(session: AsyncSession, *, session_id: int, now: datetime) -> None:
    await session.execute(
        update(StaffSession).where(StaffSession.id == session_id, StaffSession.ended_at.is_(None)).values(ended_at=now)
    )
    await session.commit()


async def end_user_sessions(session: AsyncSession, *, user_id: int, now: datetime) -> None:
    """Ends them in the caller's transaction (the caller commits with its own change)."""
    await session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )


async def live_session_hashes(
    session: AsyncSession, *, hashes: set[str], now: datetime, policy: SessionPolicy
) -> set[str]:
    """Which of these session hashes are still live (api.credential_watch's one query for every open socket);
    an open page counts as use, noted at most once a minute."""
    if not hashes:
        return set()
    alive = set(
        (
            await session.scalars(
                select(StaffSession.secret_hash)
                .join(StaffUser, StaffUser.id == StaffSession.user_id)
                .where(
                    StaffSession.secret_hash.in_(sorted(hashes)),
                    StaffSession.ended_at.is_(None),
                    StaffSession.expires_at > now,
                    StaffSession.last_used_at > now - policy.idle,
                    ~StaffUser.disabled,
                )
            )
        ).all()
    )
    if alive:
        await session.execute(
            update(StaffSession)
            .where(StaffSession.secret_hash.in_(sorted(alive)), StaffSession.last_used_at <= now - TOUCH_INTERVAL)
            .values(last_used_at=now)
        )
        await session.commit()
    return alive

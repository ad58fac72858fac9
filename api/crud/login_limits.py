"""Failed sign-ins per username and per client address, in PostgreSQL so every API process counts them together
(rules: api.security.sessions). Keyword-only functions, given their session and the current time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import LoginFailure
from api.security.sessions import LoginLimit, retry_after_s

USER = "user"
ADDRESS = "address"
MAX_KEY = 128


def _keys(username: str, address: str) -> list[tuple[str, str]]:
    return [(USER, username[:MAX_KEY]), (ADDRESS, address[:MAX_KEY])]


async def retry_after(session: AsyncSession, *, username: str, address: str, now: datetime, limit: LoginLimit) -> int:
    """Seconds before this username or address may try again (0: now)."""
    rows = (
        await session.scalars(
            select(LoginFailure).where(tuple_(LoginFailure.scope, LoginFailure.key).in_(_keys(username, address)))
        )
    ).all()
    limits = {USER: limit.per_user, ADDRESS: limit.per_address}
    waits = [
        retry_after_s(
            failures=row.failures,
            window_started_at=row.window_started_at,
            limit=limits[row.scope],
            window=limit.window,
            now=now,
        )
        for row in rows
    ]
    return max(waits, default=0)


async def record_failure(
    session: AsyncSession, *, username: str, address: str, now: datetime, window: timedelta
) -> None:
    """One more failure for both keys, atomically (INSERT .. ON CONFLICT): a window over starts again at 1."""
    for scope, key in _keys(username, address):
        statement = insert(LoginFailure).values(scope=scope, key=key, window_started_at=now, failures=1)
        expired = statement.excluded.window_started_at - LoginFailure.window_started_at >= window
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[LoginFailure.scope, LoginFailure.key],
                set_={
                    "failures": case((expired, 1), else_=LoginFailure.failures + 1),
                    "window_started_at": case((expired, now), else_=LoginFailure.window_started_at),
                },
            )
        )
    await session.execute(delete(LoginFailure).where(LoginFailure.window_started_at < now - 2 * window))
    await session.commit()


async def clear_user_failures(session: AsyncSession, *, username: str) -> None:
    """A successful sign-in forgives the username (not the address: one good account must not reset a scan)."""
    await session.execute(
        delete(LoginFailure).where(LoginFailure.scope == USER, LoginFailure.key == username[:MAX_KEY])
    )
    await session.commit()

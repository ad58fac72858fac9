"""API tokens in PostgreSQL (see api.security.tokens for the rules): keyword-only functions, each given its
session and, when it writes, the current time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import ApiToken
from api.security.sessions import TOUCH_INTERVAL, needs_touch
from api.security.tokens import DEMO_HASHES, DEMO_TOKENS, Principal, Role, hash_secret, new_secret


async def principal_for_secret(session: AsyncSession, *, secret: str, demo: bool, now: datetime) -> Principal | None:
    """Who holds `secret`: None when it is unknown, revoked or expired, or a demo secret while `demo` is off. Notes
    the use when the last one noted is over a minute old (one write per token per minute, not per request)."""
    token_hash = hash_secret(secret)
    if token_hash in DEMO_HASHES and not demo:
        return None
    token = await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )
    if token is None:
        return None
    if needs_touch(token.last_used_at, now):
        # the WHERE makes concurrent requests of several processes write once
        await session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_INTERVAL),
            )
            .values(last_used_at=now)
        )
        await session.commit()
    role = Role(token.role)
    return Principal(name=token.name, role=role, seat=token.name if role == Role.AGENT else None)


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list((await session.scalars(select(ApiToken).order_by(ApiToken.id))).all())


async def create_token(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    now: datetime,
    secret: str | None = None,
    demo: bool = False,
    expires_at: datetime | None = None,
) -> str:
    """Store a new token and return its secret (the only time it exists outside the caller's hands)."""
    secret = secret or new_secret()
    session.add(
        ApiToken(
            name=name,
            role=role.value,
            token_hash=hash_secret(secret),
            demo=demo,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.commit()
    return secret


async def revoke_tokens(session: AsyncSession, *, name: str, now: datetime) -> int:
    tokens = (await session.scalars(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)))).all()
    for token in tokens:
        token.revoked_at = now
    await session.commit()
    return len(tokens)


async def ensure_demo_tokens(session: AsyncSession, *, now: datetime) -> dict[Role, str]:
    existing = set((await session.scalars(select(ApiToken.token_hash).where(ApiToken.demo))).all())
    for role, secret in DEMO_TOKENS.items():
        if hash_secret(secret) not in existing:
            session.add(
                ApiToken(
                    name=f"demo-{role.value}",
                    role=role.value,
                    token_hash=hash_secret(secret),
                    demo=True,
                    created_at=now,
                )
            )
    await session.commit()
    return dict(DEMO_TOKENS)


async def delete_demo_tokens(session: AsyncSession) -> None:
    await session.execute(delete(ApiToken).where(ApiToken.demo | ApiToken.token_hash.in_(sorted(DEMO_HASHES))))
    await session.commit()


async def count_usable_tokens(session: AsyncSession, *, now: datetime) -> int:
    query = (
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.revoked_at.is_(None),
            ~ApiToken.demo,
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )
    return int(await session.scalar(query) or 0)


async def live_token_hashes(session: AsyncSession, *, hashes: set[str], demo: bool, now: datetime) -> set[str]:
    """Which of these token hashes still open the API (api.credential_watch's one query for every open socket);
    their last use is noted as in principal_for_secret."""
    wanted = sorted(hashes if demo else hashes - DEMO_HASHES)
    if not wanted:
        return set()
    alive = set(
        (
            await session.scalars(
                select(ApiToken.token_hash).where(
                    ApiToken.token_hash.in_(wanted),
                    ApiToken.revoked_at.is_(None),
                    or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
                )
            )
        ).all()
    )
    if alive:
        await session.execute(
            update(ApiToken)
            .where(
                ApiToken.token_hash.in_(sorted(alive)),
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_INTERVAL),
            )
            .values(last_used_at=now)
        )
        await session.commit()
    return alive

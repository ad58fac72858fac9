"""Bearer tokens with roles.

Rules:
- A token is 32 random bytes from `secrets` (256 bits), shown once at creation; only its SHA-256 is stored.
  A plain fast hash is enough here, unlike for passwords: with 256 bits of entropy there is no dictionary to
  try, so a slow KDF (bcrypt, argon2) would only slow every request down. It also lets us find the token by
  its hash with an index lookup instead of comparing secrets one by one.
- Demo tokens have known secrets. They are created only with IVR_DEMO=1; outside demo mode they are deleted at
  start and refused even if presented, so a demo secret can never open a real deployment.
- No token, an unknown or revoked one: 401. A valid token whose role may not do this: 403.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import SessionDep
from api.models import ApiToken

TOKEN_PREFIX = "ivr_"  # noqa: S105 (a prefix that makes leaked tokens greppable, not a secret)


class Role(enum.StrEnum):
    AGI = "agi"  # the agi service: post call records, read a caller's language; nothing else
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# Known secrets, for the demo and tests only (see the rules above).
DEMO_TOKENS: dict[Role, str] = {role: f"ivr-demo-{role.value}-token" for role in Role}


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    now: datetime,
    secret: str | None = None,
    demo: bool = False,
) -> str:
    """Store a new token and return its secret (the only time it exists outside the caller's hands)."""
    secret = secret or new_secret()
    session.add(ApiToken(name=name, role=role.value, token_hash=hash_secret(secret), demo=demo, created_at=now))
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
    demo_hashes = [hash_secret(secret) for secret in DEMO_TOKENS.values()]
    await session.execute(delete(ApiToken).where(ApiToken.demo | ApiToken.token_hash.in_(demo_hashes)))
    await session.commit()


async def count_usable_tokens(session: AsyncSession) -> int:
    query = select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None), ~ApiToken.demo)
    return int(await session.scalar(query) or 0)


_bearer = HTTPBearer(auto_error=False, description="A token created with `ivr token create`")
_DEMO_HASHES = frozenset(hash_secret(secret) for secret in DEMO_TOKENS.values())


async def authenticate(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "missing or invalid bearer token",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None or not credentials.credentials:
        raise unauthorized
    token_hash = hash_secret(credentials.credentials)
    if token_hash in _DEMO_HASHES and not request.app.state.settings.demo:
        raise unauthorized
    token = await session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )
    if token is None:
        raise unauthorized
    return Principal(name=token.name, role=Role(token.role))


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only `roles` (403 for any other valid token)."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role.value!r} may not do this")
        return principal

    return check

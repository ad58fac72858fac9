"""PostgreSQL for tests and benchmarks: the server, throw-away databases in it, and bearer tokens.

Rules:
- The server is DATABASE_URL's when it is set, otherwise the embedded PostgreSQL of ./var/pg (the one
  `make run` uses, shared safely between processes by pgserver's lock and handle list).
- A throw-away database has a name no other process can pick (prefix, pid, random suffix), is migrated before
  it is handed out, and is dropped afterwards whatever happened. Benchmarks keep named databases instead
  (`migrated_database`), never the API's own `ivr` one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.crud.tokens import create_token
from api.crud.users import create_user
from api.db import (
    asyncpg_url,
    create_database,
    drop_database,
    make_engine,
    run_migrations,
    start_embedded,
    with_database,
)
from api.schemas.users import UserCreate
from api.security.passwords import hash_password
from api.security.tokens import Role

REPO = Path(__file__).resolve().parents[2]


def database_server() -> str:
    """The server's URL (no database in it): DATABASE_URL's, or the embedded one, started if need be."""
    if os.environ.get("DATABASE_URL"):
        return asyncpg_url(os.environ["DATABASE_URL"])
    return start_embedded(REPO / "var" / "pg")


async def migrated_database(server: str, name: str, *, keep: bool = False, migrate: bool = True) -> str:
    """The URL of database `name` on `server`, migrated unless not `migrate`; dropped and created anew first
    unless `keep`."""
    if not keep:
        await drop_database(server, name)
    await create_database(server, name)
    url = with_database(server, name)
    if migrate:
        engine = make_engine(url)
        try:
            await run_migrations(engine)
        finally:
            await engine.dispose()
    return url


async def empty_tables(url: str, *tables: str, lock_timeout_s: float = 5.0) -> None:
    """TRUNCATE `tables` (identities restarted). Bounded: a connection an earlier app left in a transaction makes
    it fail after `lock_timeout_s`, not hang."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"SET LOCAL lock_timeout = '{int(lock_timeout_s * 1000)}ms'"))
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def throwaway_database(prefix: str, *, migrate: bool = True) -> Iterator[str]:
    """A fresh database named `prefix_<pid>_<random>` (migrated unless not `migrate`), dropped on exit. Enter it
    outside an event loop (a sync fixture): it runs its own."""
    server = database_server()
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        yield asyncio.run(migrated_database(server, name, keep=True, migrate=migrate))
    finally:
        asyncio.run(drop_database(server, name))


async def issue_tokens(url: str, holders: Mapping[str, Role], *, now: datetime) -> dict[str, str]:
    """A bearer token for each holder (token name -> role) in database `url`; returns name -> secret. An agent's
    token is named after the seat (the rule of api.routes.agents)."""
    engine = make_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            return {name: await create_token(session, name=name, role=role, now=now) for name, role in holders.items()}
    finally:
        await engine.dispose()


async def create_staff(
    url: str,
    *,
    username: str,
    role: Role,
    password: str,
    seat: str | None = None,
    language: str = "fr",
    now: datetime | None = None,
) -> None:
    """A staff account that signs in with `password` (an agent's `seat` must be a configured one)."""
    user = UserCreate.model_validate(
        {"username": username, "display_name": username.title(), "role": role, "seat": seat, "language": language}
    )
    engine = make_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await create_user(session, user=user, password_hash=hash_password(password), now=now or datetime.now(UTC))
    finally:
        await engine.dispose()


async def role_tokens(url: str, roles: Iterable[Role] = Role, *, prefix: str, now: datetime) -> dict[Role, str]:
    """A token per role, named `prefix-<role>`; returns role -> secret."""
    wanted = tuple(roles)
    issued = await issue_tokens(url, {f"{prefix}-{role.value}": role for role in wanted}, now=now)
    return {role: issued[f"{prefix}-{role.value}"] for role in wanted}


@dataclass(frozen=True)
class Database:
    url: str
    tokens: dict[str, str]  # role value ("supervisor") or seat ("agent1001") -> secret

    def bearer(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@contextlib.contextmanager
def database_with_tokens(prefix: str, *, seats: Iterable[str] = (), now: datetime | None = None) -> Iterator[Database]:
    """`throwaway_database` holding a token per role (`test-<role>`) and per agent seat (named after it)."""
    with throwaway_database(prefix) as url:
        holders = {f"test-{role.value}": role for role in Role} | dict.fromkeys(seats, Role.AGENT)
        issued = asyncio.run(issue_tokens(url, holders, now=now or datetime.now(UTC)))
        yield Database(url=url, tokens={name.removeprefix("test-"): secret for name, secret in issued.items()})

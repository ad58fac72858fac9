"""db tier: the API against a real PostgreSQL.

The server is the same embedded PostgreSQL `make run` uses (./var/pg, shared safely between processes by
pgserver's lock and handle list), or DATABASE_URL's server. Each test session works in its own throw-away
database, so a running API keeps its data; each test starts from empty call tables.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.config import ApiSettings
from api.db import (
    asyncpg_url,
    create_database,
    drop_database,
    make_engine,
    run_migrations,
    start_embedded,
    with_database,
)
from api.main import create_app
from api.security.tokens import Role, create_token

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # a Tuesday; Casablanca is UTC+1 then


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.db)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return asyncpg_url(os.environ["DATABASE_URL"])
    return start_embedded(REPO / "var" / "pg")


async def _prepare(url: str) -> dict[Role, str]:
    engine = make_engine(url)
    try:
        await run_migrations(engine)
        tokens: dict[Role, str] = {}
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            for role in Role:
                tokens[role] = await create_token(session, name=f"test-{role.value}", role=role, now=T0)
        return tokens
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database(server_url: str) -> Iterator[tuple[str, dict[Role, str]]]:
    name = f"ivr_test_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(create_database(server_url, name))
    url = with_database(server_url, name)
    try:
        yield url, asyncio.run(_prepare(url))
    finally:
        asyncio.run(drop_database(server_url, name))


@pytest.fixture
def database_url(database: tuple[str, dict[Role, str]]) -> str:
    return database[0]


@pytest.fixture
def tokens(database: tuple[str, dict[Role, str]]) -> dict[Role, str]:
    return database[1]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + timedelta(days=1))


@pytest.fixture
def settings(database_url: str) -> ApiSettings:
    return ApiSettings(database_url=database_url, demo=False, timezone="Africa/Casablanca", max_batch=50)


async def _empty_tables(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE calls, caller_languages RESTART IDENTITY"))
    finally:
        await engine.dispose()


@pytest.fixture
async def app(settings: ApiSettings, clock: FixedClock, database_url: str) -> AsyncIterator[FastAPI]:
    await _empty_tables(database_url)
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


@pytest.fixture
def auth(tokens: dict[Role, str]) -> dict[Role, dict[str, str]]:
    return {role: {"Authorization": f"Bearer {secret}"} for role, secret in tokens.items()}


def call(linkedid: str, **fields: Any) -> dict[str, Any]:
    """A valid call record as the agi side posts it; `fields` override."""
    record: dict[str, Any] = {
        "linkedid": linkedid,
        "caller_number": "+33612345678",
        "caller_name": "Test Caller",
        "dialed_number": "0800123456",
        "started_at": T0.isoformat(),
        "outcome": "answered",
        "language": "fr",
        "queue": "q-fr",
        "wait_seconds": 10.0,
        "talk_seconds": 60.0,
    }
    record.update(fields)
    return record

"""db tier: the API against a real PostgreSQL.

The server is the same embedded PostgreSQL `make run` uses (./var/pg, shared safely between processes by
pgserver's lock and handle list), or DATABASE_URL's server. Each test session works in its own throw-away
database, so a running API keeps its data; each test starts from empty call tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from api.config import ApiSettings
from api.db import make_engine
from api.main import create_app
from api.security.tokens import Role
from tests.support.database import database_with_tokens, throwaway_database

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
def database() -> Iterator[tuple[str, dict[Role, str]]]:
    with database_with_tokens("ivr_test", now=T0) as prepared:
        yield prepared.url, {role: prepared.tokens[role.value] for role in Role}


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database of its own with nothing in it, not even the schema."""
    with throwaway_database("ivr_test_empty", migrate=False) as url:
        yield url


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

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

from api.ami.service import AmiEnvironment, LiveService
from api.config import ApiSettings
from api.main import create_app
from api.security.tokens import Role
from tests.fake_ami import FakeAmi
from tests.support.database import database_with_tokens, empty_tables, issue_tokens, throwaway_database
from tests.support.poll import eventually

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


@pytest.fixture
async def app(settings: ApiSettings, clock: FixedClock, database_url: str) -> AsyncIterator[FastAPI]:
    await empty_tables(database_url, "calls", "caller_languages")
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


# -- agents: the API with its AMI link to a fake Asterisk on loopback (tests/fake_ami.py) ---------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    async with FakeAmi(queues=("q-ar", "q-zgh", "q-fr", "q-en", "q-es", "q-nl", "q-it", "q-de")) as server:
        yield server


@pytest.fixture
async def seat_tokens(database_url: str) -> dict[str, str]:
    return await make_seat_tokens(database_url)


async def make_seat_tokens(database_url: str) -> dict[str, str]:
    """Empty queue tables and the stored agent state (skills and pauses, re-applied on every AMI connection by
    api.ami.restore), and agent tokens named after their seats (the rule of api.routes.agents)."""
    await empty_tables(database_url, "queue_events", "callbacks", "agent_skills", "agent_pauses")
    return await issue_tokens(database_url, dict.fromkeys(("agent1001", "agent1002"), Role.AGENT), now=T0)


def start_app(settings: ApiSettings, clock: FixedClock, fake: FakeAmi) -> FastAPI:
    return create_app(settings, clock=clock, ami=AmiEnvironment(port=fake.port, secret=fake.secret))


@pytest.fixture
async def live_app(
    settings: ApiSettings, clock: FixedClock, fake: FakeAmi, seat_tokens: dict[str, str]
) -> AsyncIterator[FastAPI]:
    application = start_app(settings, clock, fake)
    async with application.router.lifespan_context(application):
        await eventually(
            lambda: live_of(application).ami_status()["status"] == "connected", timeout_s=5, what="AMI connected"
        )
        yield application


@pytest.fixture
async def http(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://api.test") as client:
        yield client


def live_of(app: FastAPI) -> LiveService:
    live: LiveService = app.state.live
    return live


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


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

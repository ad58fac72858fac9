"""Upgrading from the previous release (issue 21): its schema with data in it (tests/db/fixtures/release-0011.sql,
made by tests/db/release_fixture.py) migrates to this release's head with every row kept, the guards on the
complaint history still in force, and the API serving the old data."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from api.backup import libpq_arguments, pg_tool, server_facts
from api.config import ApiSettings
from api.db import make_engine, run_migrations
from api.main import create_app
from api.security.tokens import Role
from tests.db.conftest import T0, FixedClock
from tests.db.release_fixture import FIXTURE, RELEASE
from tests.support.database import issue_tokens, throwaway_database

KEPT = ("calls", "requests", "request_events", "audit_log", "call_hourly", "caller_languages", "api_tokens")


@pytest.fixture
def release_database() -> Iterator[str]:
    with throwaway_database("ivr_upgrade", migrate=False) as url:
        yield url


async def counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return {table: int(await connection.fetchval(f"SELECT count(*) FROM {table}")) for table in KEPT}
    finally:
        await connection.close()


async def test_the_previous_release_with_data_migrates_to_head_and_keeps_everything(release_database: str) -> None:
    url = release_database
    major, _, _ = await server_facts(url)
    arguments, environment = libpq_arguments(url)
    loaded = subprocess.run(
        [str(pg_tool("psql", major)), "--quiet", "--set", "ON_ERROR_STOP=1", "--file", str(FIXTURE), *arguments],
        env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert (await server_facts(url))[2] == RELEASE
    before = await counts(url)
    assert before["calls"] >= 5 and before["requests"] >= 3 and before["request_events"] >= 4

    engine = make_engine(url)
    try:
        await run_migrations(engine)  # what `ivr db migrate` and the API's start do
    finally:
        await engine.dispose()
    _, _, head = await server_facts(url)
    assert head is not None and head != RELEASE
    assert await counts(url) == before

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await connection.execute("UPDATE request_events SET actor = 'someone else'")
        with pytest.raises(asyncpg.PostgresError, match="archived"):
            await connection.execute("UPDATE requests SET description = 'rewritten' WHERE archived")
    finally:
        await connection.close()

    tokens = await issue_tokens(url, {"up-sup": Role.SUPERVISOR}, now=T0)
    app = create_app(ApiSettings(database_url=url, demo=False), clock=FixedClock(T0 + timedelta(days=1)))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = {"Authorization": f"Bearer {tokens['up-sup']}"}
        listed = await client.get("/requests", params={"due": "all"}, headers=headers)
        assert listed.status_code == 200 and len(listed.json()["items"]) == before["requests"]
        calls = await client.get("/calls", params={"limit": 100}, headers=headers)
        assert calls.status_code == 200 and len(calls.json()["items"]) == before["calls"]

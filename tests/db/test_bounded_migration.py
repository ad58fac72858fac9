"""Migration 0006: rows stored before instants and durations were bounded (-infinity, year 1, 1e308 seconds) are
repaired, so the reports and the call list answer again."""

from __future__ import annotations

import httpx
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from api.config import ApiSettings
from api.db import MIGRATIONS, make_engine, run_migrations
from api.main import create_app
from api.security.tokens import Role
from tests.db.conftest import T0
from tests.support.database import issue_tokens

BROKEN = [  # (linkedid, started_at, answered_at, wait_seconds, talk_seconds)
    ("old.1", "-infinity", None, 10.0, 60.0),
    ("old.2", "0001-01-01T00:00:00Z", "0001-01-01T00:00:10Z", 1e308, float("inf")),
    ("old.3", "2026-11-10T09:00:00Z", "infinity", float("nan"), -4.0),
    ("ok.1", "2026-11-10T09:00:00Z", "2026-11-10T09:00:10Z", 10.0, 60.0),
]


def _upgrade_to_0005(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "0005")


async def test_rows_out_of_range_are_repaired_and_the_reports_answer(empty_database: str) -> None:
    engine = make_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to_0005)
            for linkedid, started, answered, wait, talk in BROKEN:
                await connection.execute(
                    text(
                        "INSERT INTO calls (linkedid, caller_number, caller_name, dialed_number, started_at,"
                        " answered_at, outcome, wait_seconds, talk_seconds, received_at, updated_at, deliveries)"
                        " VALUES (:linkedid, '+33612345678', '', '', CAST(CAST(:started AS text) AS timestamptz),"
                        " CAST(CAST(:answered AS text) AS timestamptz), 'answered', :wait, :talk, :now, :now, 1)"
                    ),
                    {"linkedid": linkedid, "started": started, "answered": answered, "wait": wait, "talk": talk,
                     "now": T0},
                )
        await run_migrations(engine)
    finally:
        await engine.dispose()
    tokens = await issue_tokens(empty_database, {"boss": Role.SUPERVISOR}, now=T0)
    settings = ApiSettings(database_url=empty_database, demo=False, timezone="Africa/Casablanca")
    app = create_app(settings, clock=lambda: T0)
    headers = {"Authorization": f"Bearer {tokens['boss']}"}
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/reports/ministry", "/reports/ministry?group_by=week", "/reports/summary?group_by=day",
                     "/reports/summary", "/calls"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)
        calls = {call["linkedid"]: call for call in (await client.get("/calls", headers=headers)).json()["items"]}
    assert calls["old.1"]["started_at"] == "2026-11-10T09:00:00Z"  # received_at stands in
    assert calls["old.2"]["answered_at"] is None
    assert calls["old.2"]["wait_seconds"] is None and calls["old.2"]["talk_seconds"] is None
    assert calls["old.3"]["wait_seconds"] is None and calls["old.3"]["talk_seconds"] is None
    assert calls["ok.1"]["wait_seconds"] == 10.0

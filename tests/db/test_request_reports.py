"""The ministry's report and its CSV on hand-computed data (Africa/Casablanca is UTC+1 in November 2026)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from api.db import make_engine
from api.request_config import RequestConfig
from api.security.tokens import Role
from tests.db.conftest import FixedClock, call
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import empty_tables

Auth = dict[Role, dict[str, str]]

CALLS = [
    call("m.1", language="fr", request_type=1, outcome="answered", wait_seconds=10, survey_rating=5,
         started_at="2026-11-10T09:10:00Z", dialed_number="0800100200"),
    call("m.2", language="fr", request_type=1, outcome="answered", wait_seconds=40, survey_rating=2,
         started_at="2026-11-10T09:20:00Z", dialed_number="0800100200"),
    call("m.3", language="fr", request_type=2, outcome="abandoned_queue", wait_seconds=50, talk_seconds=None,
         started_at="2026-11-10T10:00:00Z", dialed_number="0800100200"),
    call("m.4", language="ar", request_type=None, outcome="voicemail", route="voicemail", queue=None,
         wait_seconds=None, talk_seconds=None, voicemail_path="/rec/m.4",
         started_at="2026-11-10T23:30:00Z", dialed_number="0800300400"),  # 00:30 local on the 11th
    call("m.5", language="ar", request_type=3, outcome="callback", wait_seconds=30, talk_seconds=None,
         started_at="2026-11-11T09:00:00Z", dialed_number="0800300400"),
    call("m.6", language="ar", request_type=None, outcome="abandoned_ivr", queue=None, wait_seconds=None,
         talk_seconds=None, started_at="2026-11-11T09:30:00Z", dialed_number="0800300400"),
]  # fmt: skip


@pytest.fixture
async def request_config(app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[RequestConfig]:
    await empty_tables(database_url, "request_events", "requests")
    chosen = RequestConfig(
        callcenter=request_desk_callcenter(),
        recordings_dir=tmp_path,
        service_lines={"0800100200": "paris", "0800300400": "rabat"},
    )
    app.state.request_config = chosen
    yield chosen


@pytest.fixture
async def loaded(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig, clock: FixedClock, database_url: str
) -> AsyncIterator[dict[str, str]]:
    assert (await client.post("/calls", json=CALLS, headers=auth[Role.AGI])).status_code == 200
    engine = make_engine(database_url)
    try:  # the caller of m.1 booked a callback while waiting (issue 6's table)
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO callbacks (number, queue, language, linkedid, joined_at, requested_at, status, attempts,"
                " agent, updated_at) VALUES ('+33612345678', 'q-fr', 'fr', 'm.1', now(), now(), 'done', 1, '', now())"
            ))  # fmt: skip
        references: dict[str, str] = {}
        clock.now = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)  # Tuesday 10:30 local
        for name, kind, service in (("on_time", 1, "paris"), ("late", 2, "paris"), ("open", 1, "paris")):
            created = await client.post("/requests", headers=auth[Role.AGENT], json={
                "request_type": kind, "description": name, "language": "fr", "service": service})  # fmt: skip
            references[name] = created.json()["reference"]
        clock.now = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
        await client.post(f"/requests/{references['on_time']}/status", json={"status": "answered"},
                          headers=auth[Role.AGENT])  # fmt: skip
        clock.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # past the 48 h (business) of "late" and 72 h of "open"
        await client.post(f"/requests/{references['late']}/status", json={"status": "answered"},
                          headers=auth[Role.AGENT])  # fmt: skip
        yield references
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM callbacks WHERE linkedid = 'm.1'"))
        await engine.dispose()


async def test_report_by_service_tag(client: httpx.AsyncClient, auth: Auth, loaded: dict[str, str]) -> None:
    report = await client.get("/reports/ministry", params={"group_by": "service", "threshold": 20},
                              headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert report.status_code == 200, report.text
    rows = {row["key"]: row for row in report.json()["rows"]}
    assert set(rows) == {"paris", "rabat"}
    paris, rabat = rows["paris"], rows["rabat"]
    assert (paris["calls_offered"], paris["calls_answered"], paris["calls_abandoned"]) == (3, 2, 1)
    assert paris["service_level_percent"] == pytest.approx(100 / 3, abs=0.01)  # m.1 of m.1, m.2, m.3
    assert (paris["surveys"], paris["satisfaction_average"]) == (2, 3.5)
    assert paris["requests_opened"] == 3
    assert (paris["requests_answered_on_time"], paris["requests_answered_late"], paris["requests_overdue"]) == (
        1, 1, 1)  # fmt: skip
    # the voicemail (m.4) opened a request tagged with its line's service
    assert (rabat["calls_offered"], rabat["voicemails"], rabat["callbacks"], rabat["calls_abandoned"]) == (3, 1, 1, 1)
    assert paris["callbacks"] == 1  # m.1's booked callback
    assert rabat["requests_opened"] == 1 and rabat["surveys"] == 0 and rabat["satisfaction_average"] is None
    assert rabat["service_level_percent"] is None  # nobody was offered to a queue


async def test_report_by_local_day_with_filters_and_csv(
    client: httpx.AsyncClient, auth: Auth, loaded: dict[str, str]
) -> None:
    params = {"group_by": "day", "from": "2026-11-10T00:00:00+01:00", "to": "2026-11-12T00:00:00+01:00"}
    report = (await client.get("/reports/ministry", params=params, headers=auth[Role.SUPERVISOR])).json()
    offered = {row["key"]: row["calls_offered"] for row in report["rows"]}
    assert offered == {"2026-11-10": 3, "2026-11-11": 3}  # m.4 at 23:30 UTC is the 11th locally
    arabic = await client.get("/reports/ministry", params={**params, "language": "ar"}, headers=auth[Role.ADMIN])
    assert {row["key"]: row["calls_offered"] for row in arabic.json()["rows"]} == {"2026-11-11": 3}

    exported = await client.get("/reports/ministry.csv", params={"group_by": "language"},
                                headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    by_language = {line["key"]: line for line in lines}
    assert by_language["fr"]["calls_offered"] == "3" and by_language["fr"]["satisfaction_average"] == "3.5"
    assert by_language["fr"]["requests_opened"] == "3"
    assert by_language["ar"]["voicemails"] == "1" and by_language["ar"]["satisfaction_average"] == ""


async def test_report_is_for_supervisors(client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig) -> None:
    assert (await client.get("/reports/ministry", headers=auth[Role.AGENT])).status_code == 403
    assert (await client.get("/reports/ministry.csv")).status_code == 401
    naive = await client.get("/reports/ministry", params={"from": "2026-11-10T00:00:00"},
                             headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert naive.status_code == 422


async def test_csv_cells_never_become_spreadsheet_formulas(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig
) -> None:
    await client.post("/requests", headers=auth[Role.AGENT], json={
        "request_type": 1, "description": "x", "service": "=HYPERLINK(\"http://evil\")"})  # fmt: skip
    exported = await client.get("/reports/ministry.csv", params={"group_by": "service"},
                                headers=auth[Role.SUPERVISOR])  # fmt: skip
    keys = [line["key"] for line in csv.DictReader(io.StringIO(exported.text))]
    assert keys == ["'=HYPERLINK(\"http://evil\")"]

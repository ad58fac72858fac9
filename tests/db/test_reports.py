"""GET /reports/summary on hand-computed data, grouped in the call center's timezone (Africa/Casablanca,
UTC+1 in November 2026), so a call at 23:30 UTC belongs to the next local day."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.security.tokens import Role
from tests.db.conftest import call

Auth = dict[Role, dict[str, str]]

CALLS = [
    call(
        "r.1",
        language="fr",
        queue="q-fr",
        outcome="answered",
        wait_seconds=10,
        talk_seconds=100,
        started_at="2026-11-10T09:10:00Z",
    ),
    call(
        "r.2",
        language="fr",
        queue="q-fr",
        outcome="answered",
        wait_seconds=30,
        talk_seconds=200,
        started_at="2026-11-10T09:20:00Z",
    ),
    call(
        "r.3",
        language="fr",
        queue="q-fr",
        outcome="abandoned_queue",
        wait_seconds=45,
        talk_seconds=None,
        started_at="2026-11-10T09:40:00Z",
    ),
    call(
        "r.4",
        language="ar",
        queue="q-ar",
        outcome="answered",
        wait_seconds=5,
        talk_seconds=60,
        started_at="2026-11-10T10:05:00Z",
    ),
    call(
        "r.5",
        language="ar",
        queue=None,
        outcome="abandoned_ivr",
        wait_seconds=None,
        talk_seconds=None,
        started_at="2026-11-10T10:30:00Z",
    ),
    call(
        "r.6",
        language="ar",
        queue=None,
        outcome="after_hours",
        wait_seconds=None,
        talk_seconds=None,
        started_at="2026-11-10T23:30:00Z",
    ),
    call(
        "r.7",
        language=None,
        queue=None,
        outcome="voicemail",
        wait_seconds=None,
        talk_seconds=None,
        started_at="2026-11-10T22:50:00Z",
    ),
]


@pytest.fixture
async def loaded(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post("/calls", json=CALLS, headers=auth[Role.AGI])
    assert response.status_code == 200, response.text


async def summary(client: httpx.AsyncClient, auth: Auth, **params: str) -> dict[str, Any]:
    response = await client.get("/reports/summary", params=params, headers=auth[Role.SUPERVISOR])
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in report["rows"]}


async def test_totals(client: httpx.AsyncClient, auth: Auth, loaded: None) -> None:
    report = await summary(client, auth)
    assert report["timezone"] == "Africa/Casablanca"
    assert report["threshold_seconds"] == 20
    [total] = report["rows"]
    assert total == {
        "key": "all",
        "offered": 7,
        "answered": 3,
        "abandoned": 2,
        "abandoned_ivr": 1,
        "abandoned_queue": 1,
        "offered_to_queue": 4,
        "answered_within_threshold": 2,
        "asa_seconds": 15.0,
        "aht_seconds": 120.0,
        "service_level_percent": 50.0,
    }


async def test_by_language_and_threshold(client: httpx.AsyncClient, auth: Auth, loaded: None) -> None:
    rows = by_key(await summary(client, auth, group_by="language"))
    assert set(rows) == {"", "ar", "fr"}
    assert (rows["fr"]["offered"], rows["fr"]["answered"], rows["fr"]["abandoned"]) == (3, 2, 1)
    assert rows["fr"]["service_level_percent"] == 33.33
    assert (rows["fr"]["asa_seconds"], rows["fr"]["aht_seconds"]) == (20.0, 150.0)
    assert rows["ar"]["service_level_percent"] == 100.0
    assert rows[""]["service_level_percent"] is None  # nothing reached a queue: no service level, not 0
    assert rows[""]["asa_seconds"] is None

    wider = by_key(await summary(client, auth, group_by="language", threshold="30"))
    assert wider["fr"]["answered_within_threshold"] == 2  # a 30 s wait counts as within 30 s


async def test_days_and_hours_are_local(client: httpx.AsyncClient, auth: Auth, loaded: None) -> None:
    days = by_key(await summary(client, auth, group_by="day"))
    assert {key: row["offered"] for key, row in days.items()} == {"2026-11-10": 6, "2026-11-11": 1}
    hours = by_key(await summary(client, auth, group_by="hour"))
    assert {key: row["offered"] for key, row in hours.items()} == {
        "2026-11-10T10:00": 3,
        "2026-11-10T11:00": 2,
        "2026-11-10T23:00": 1,
        "2026-11-11T00:00": 1,
    }


async def test_period_and_queue_filters(client: httpx.AsyncClient, auth: Auth, loaded: None) -> None:
    window = await summary(client, auth, **{"from": "2026-11-10T10:00:00Z", "to": "2026-11-10T11:00:00Z"})
    assert window["rows"][0]["offered"] == 2
    queues = by_key(await summary(client, auth, group_by="queue", queue="q-fr"))
    assert list(queues) == ["q-fr"]
    assert queues["q-fr"]["offered"] == 3


async def test_an_empty_period_has_no_rows(client: httpx.AsyncClient, auth: Auth) -> None:
    assert (await summary(client, auth))["rows"] == []


async def test_a_period_without_offset_or_an_unknown_grouping_is_422(client: httpx.AsyncClient, auth: Auth) -> None:
    naive = await client.get("/reports/summary", params={"to": "2026-11-10T00:00"}, headers=auth[Role.SUPERVISOR])
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["loc"] == ["query", "to"]
    unknown = await client.get("/reports/summary", params={"group_by": "agent"}, headers=auth[Role.SUPERVISOR])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["query", "group_by"]

"""POST/GET /calls and /callers against a real PostgreSQL: idempotency, filters, pagination, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from api.security.tokens import Role
from tests.db.conftest import T0, call

Auth = dict[Role, dict[str, str]]


async def all_calls(client: httpx.AsyncClient, auth: Auth, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):  # bounded: a cursor that never ends is a failure, not a hang
        query = dict(params, limit="7") | ({"cursor": cursor} if cursor else {})
        response = await client.get("/calls", params=query, headers=auth[Role.SUPERVISOR])
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("pagination did not end")


async def test_a_posted_call_reads_back_by_id_and_by_linkedid(client: httpx.AsyncClient, auth: Auth) -> None:
    posted = await client.post("/calls", json=call("1700000000.1", reference="AB12"), headers=auth[Role.AGI])
    assert posted.status_code == 200, posted.text
    stored = posted.json()["items"][0]
    assert stored["linkedid"] == "1700000000.1"

    by_id = await client.get(f"/calls/{stored['id']}", headers=auth[Role.SUPERVISOR])
    by_linkedid = await client.get("/calls/1700000000.1", headers=auth[Role.SUPERVISOR])
    assert by_id.status_code == by_linkedid.status_code == 200
    assert by_id.json() == by_linkedid.json()
    body = by_id.json()
    assert body["reference"] == "AB12"
    assert body["outcome"] == "answered"
    assert body["deliveries"] == 1
    assert body["received_at"] == "2026-11-11T09:00:00Z"
    assert (await client.get("/calls/999999", headers=auth[Role.AGENT])).status_code == 404


async def test_posting_the_same_call_again_merges_into_one_record(client: httpx.AsyncClient, auth: Auth) -> None:
    first = call("1700000000.2", outcome="abandoned_queue", talk_seconds=None, agent=None)
    second = call(
        "1700000000.2",
        queue=None,  # left empty: keeps the stored queue
        caller_name="",
        outcome="answered",
        agent="agent-7",
        started_at=(T0 + timedelta(seconds=5)).isoformat(),  # later: the earliest start is kept
    )
    for body in (first, second):
        response = await client.post("/calls", json=body, headers=auth[Role.AGI])
        assert response.status_code == 200, response.text

    calls = await all_calls(client, auth)
    assert len(calls) == 1
    merged = calls[0]
    assert merged["deliveries"] == 2
    assert merged["outcome"] == "answered"
    assert merged["agent"] == "agent-7"
    assert merged["queue"] == "q-fr"
    assert merged["caller_name"] == "Test Caller"
    assert merged["started_at"] == "2026-11-10T09:00:00Z"


async def test_a_batch_and_concurrent_posts_never_duplicate(client: httpx.AsyncClient, auth: Auth) -> None:
    batch = [call(f"1700000001.{n}") for n in range(10)] + [call("1700000001.3", agent="later-wins")]
    response = await client.post("/calls", json=batch, headers=auth[Role.AGI])
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 10

    async def post_once() -> int:
        result = await client.post("/calls", json=call("1700000001.99"), headers=auth[Role.AGI])
        return result.status_code

    statuses = await asyncio.gather(*(post_once() for _ in range(8)))
    assert statuses == [200] * 8

    calls = await all_calls(client, auth)
    linkedids = [c["linkedid"] for c in calls]
    assert sorted(linkedids) == sorted({*linkedids})
    assert len(calls) == 11
    by_linkedid = {c["linkedid"]: c for c in calls}
    assert by_linkedid["1700000001.3"]["agent"] == "later-wins"
    assert by_linkedid["1700000001.99"]["deliveries"] == 8


async def test_filters_select_the_right_calls(client: httpx.AsyncClient, auth: Auth) -> None:
    batch = [
        call("f.1", language="fr", queue="q-fr", outcome="answered", started_at=T0.isoformat()),
        call(
            "f.2",
            language="ar",
            queue="q-ar",
            outcome="abandoned_queue",
            started_at=(T0 + timedelta(hours=1)).isoformat(),
        ),
        call(
            "f.3",
            language="ar",
            queue="q-ar",
            outcome="answered",
            caller_number="+212600000001",
            started_at=(T0 + timedelta(hours=2)).isoformat(),
        ),
        call(
            "f.4",
            language=None,
            queue=None,
            outcome="after_hours",
            caller_number="",
            started_at=(T0 + timedelta(days=1)).isoformat(),
        ),
    ]
    assert (await client.post("/calls", json=batch, headers=auth[Role.AGI])).status_code == 200

    async def ids(**params: str) -> list[object]:
        return [c["linkedid"] for c in await all_calls(client, auth, **params)]

    assert await ids() == ["f.4", "f.3", "f.2", "f.1"]  # newest first
    assert await ids(language="ar") == ["f.3", "f.2"]
    assert await ids(queue="q-fr") == ["f.1"]
    assert await ids(outcome="answered") == ["f.3", "f.1"]
    assert await ids(caller="+212600000001") == ["f.3"]
    assert await ids(
        **{"from": (T0 + timedelta(hours=1)).isoformat(), "to": (T0 + timedelta(hours=2)).isoformat()}
    ) == ["f.2"]
    assert await ids(language="ar", outcome="answered") == ["f.3"]


async def test_cursor_pages_are_stable_while_new_calls_arrive(client: httpx.AsyncClient, auth: Auth) -> None:
    # Several calls share one started_at: the id breaks the tie, so no row is skipped or repeated.
    batch = [call(f"p.{n:02d}", started_at=(T0 + timedelta(minutes=n // 3)).isoformat()) for n in range(23)]
    assert (await client.post("/calls", json=batch, headers=auth[Role.AGI])).status_code == 200

    first = (await client.get("/calls", params={"limit": "10"}, headers=auth[Role.SUPERVISOR])).json()
    # a newer call arrives between two page reads: it must not shift the following pages
    assert (
        await client.post(
            "/calls",
            json=call("p.new", started_at=(T0 + timedelta(hours=5)).isoformat()),
            headers=auth[Role.AGI],
        )
    ).status_code == 200
    seen = [c["linkedid"] for c in first["items"]]
    cursor = first["next_cursor"]
    for _ in range(10):
        if cursor is None:
            break
        page = (await client.get("/calls", params={"limit": "10", "cursor": cursor}, headers=auth[Role.ADMIN])).json()
        seen += [c["linkedid"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert sorted(seen) == sorted(f"p.{n:02d}" for n in range(23))
    assert len(seen) == 23


async def test_a_bad_cursor_or_naive_period_is_422_naming_the_parameter(client: httpx.AsyncClient, auth: Auth) -> None:
    bad_cursor = await client.get("/calls", params={"cursor": "not-a-cursor"}, headers=auth[Role.AGENT])
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["loc"] == ["query", "cursor"]
    naive = await client.get("/calls", params={"from": "2026-11-10T09:00:00"}, headers=auth[Role.AGENT])
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["loc"] == ["query", "from"]
    bad_outcome = await client.get("/calls", params={"outcome": "exploded"}, headers=auth[Role.AGENT])
    assert bad_outcome.status_code == 422
    assert bad_outcome.json()["errors"][0]["loc"] == ["query", "outcome"]


async def test_the_remembered_language_is_the_newest_calls(client: httpx.AsyncClient, auth: Auth) -> None:
    number = "+31612345678"
    newer = call("l.2", caller_number=number, language="nl", started_at=(T0 + timedelta(days=2)).isoformat())
    older = call("l.1", caller_number=number, language="en", started_at=T0.isoformat())
    no_language = call("l.3", caller_number=number, language=None, started_at=(T0 + timedelta(days=3)).isoformat())
    for body in (newer, older, no_language):  # the older call arrives late (a replay): it must not win
        assert (await client.post("/calls", json=body, headers=auth[Role.AGI])).status_code == 200

    response = await client.get(f"/callers/{number}/language", headers=auth[Role.AGI])
    assert response.status_code == 200
    assert response.json()["language"] == "nl"

    anonymous = call("l.4", caller_number="anonymous", language="de")
    assert (await client.post("/calls", json=anonymous, headers=auth[Role.AGI])).status_code == 200
    assert (await client.get("/callers/anonymous/language", headers=auth[Role.AGI])).status_code == 404
    assert (await client.get("/callers/+4900000/language", headers=auth[Role.AGI])).status_code == 404


async def test_health_and_openapi(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["database"]["status"] == "up"
    schema = (await client.get("/openapi.json")).json()
    assert {"/calls", "/calls/{key}", "/callers/{number}/language", "/reports/summary", "/health"} <= set(
        schema["paths"]
    )
    assert (await client.get("/docs")).status_code == 200


async def test_a_late_older_version_never_overwrites_a_newer_one(client: httpx.AsyncClient, auth: Auth) -> None:
    newer = call("1700000009.1", outcome="answered", agent="agent-7", version=2_000)
    older = call("1700000009.1", outcome="abandoned_queue", agent="agent-3", survey_rating=1, version=1_000)
    first = await client.post("/calls", json=newer, headers=auth[Role.AGI])
    late = await client.post("/calls", json=[older, call("1700000009.2", version=5)], headers=auth[Role.AGI])
    assert late.status_code == 200, late.text  # the sender's work is done: a newer version is stored
    assert [(item["linkedid"], item["stale"]) for item in late.json()["items"]] == [
        ("1700000009.1", True),
        ("1700000009.2", False),
    ]
    assert late.json()["items"][0]["id"] == first.json()["items"][0]["id"]
    stored = (await client.get("/calls/1700000009.1", headers=auth[Role.SUPERVISOR])).json()
    assert (stored["outcome"], stored["agent"], stored["survey_rating"]) == ("answered", "agent-7", None)
    assert (stored["version"], stored["deliveries"]) == (2_000, 1)

    newest = call("1700000009.1", outcome="voicemail", agent=None, version=3_000)
    same_batch = [newest, call("1700000009.1", outcome="failed", version=2_500)]  # the highest version wins
    assert (await client.post("/calls", json=same_batch, headers=auth[Role.AGI])).status_code == 200
    stored = (await client.get("/calls/1700000009.1", headers=auth[Role.SUPERVISOR])).json()
    assert (stored["outcome"], stored["agent"], stored["version"], stored["deliveries"]) == (
        "voicemail",
        "agent-7",  # left empty by the newer version: merged as before
        3_000,
        2,
    )

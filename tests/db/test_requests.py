"""Requests (tickets) through the API on a real PostgreSQL: creation from voicemails, dispositions and the
portal; business-hours deadlines; status workflow with history; archived complaints; recordings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import make_engine
from api.request_config import RequestConfig
from api.security.tokens import Role
from tests.db.conftest import FixedClock, call
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import empty_tables

Auth = dict[Role, dict[str, str]]
CASABLANCA = ZoneInfo("Africa/Casablanca")
MONDAY_NIGHT = datetime(2026, 11, 23, 21, 30, tzinfo=CASABLANCA)  # after hours


@pytest.fixture
async def request_config(app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[RequestConfig]:
    await empty_tables(database_url, "request_events", "requests", "rate_limits")
    chosen = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=tmp_path, portal_limit=2)
    app.state.request_config = chosen
    yield chosen


def voicemail_call(linkedid: str, started: datetime, **fields: object) -> dict[str, object]:
    values: dict[str, object] = {
        "outcome": "voicemail",
        "route": "voicemail",
        "queue": None,
        "wait_seconds": None,
        "talk_seconds": None,
        "started_at": started.isoformat(),
        "voicemail_path": f"/rec/2026/11/{linkedid}",
    }
    return call(linkedid, **{**values, **fields})


async def _only_request(client: httpx.AsyncClient, auth: Auth) -> dict[str, object]:
    listing = await client.get("/requests", params={"due": "all"}, headers=auth[Role.SUPERVISOR])
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert len(items) == 1, items
    item: dict[str, object] = items[0]
    return item


async def test_after_hours_voicemail_record_opens_one_request_due_in_72_business_hours(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig
) -> None:
    record = voicemail_call("vm.1", MONDAY_NIGHT)
    for _ in range(2):  # a replay by the outbox is the same request
        posted = await client.post("/calls", json=record, headers=auth[Role.AGI])
        assert posted.status_code == 200, posted.text
    item = await _only_request(client, auth)
    reference = str(item["reference"])
    assert len(reference) == 8 and reference.isdigit() and reference[0] != "0"
    assert item["source"] == "voicemail" and item["type_key"] == "service_conditions"
    assert item["status"] == "new" and item["has_recording"] is True
    # Counting starts Tuesday 08:00; six days of 12 opening hours end the Tuesday after at 20:00.
    assert datetime.fromisoformat(str(item["due_at"])) == datetime(2026, 12, 1, 20, 0, tzinfo=CASABLANCA)


async def test_the_flow_allocating_first_and_the_record_later_share_one_reference(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig
) -> None:
    body = {"linkedid": "vm.2", "caller_number": "+33612345678", "language": "fr", "request_type": 2,
            "voicemail_path": "/rec/2026/11/vm.2", "route": "queue", "at": "2026-11-24T10:00:00+01:00"}
    first = await client.post("/requests/voicemail", json=body, headers=auth[Role.AGI])
    assert first.status_code == 201, first.text
    again = await client.post("/requests/voicemail", json=body, headers=auth[Role.AGI])
    assert again.json()["reference"] == first.json()["reference"]
    record = voicemail_call("vm.2", datetime(2026, 11, 24, 10, 0, tzinfo=CASABLANCA), route="queue",
                            request_type=2)
    assert (await client.post("/calls", json=record, headers=auth[Role.AGI])).status_code == 200
    item = await _only_request(client, auth)
    assert item["reference"] == first.json()["reference"]
    assert item["type_key"] == "request_status"  # 48 business hours: Tuesday 10:00 + 4 days of 12 h
    assert datetime.fromisoformat(str(item["due_at"])) == datetime(2026, 11, 30, 10, 0, tzinfo=CASABLANCA)
    assert (await client.post("/requests/voicemail", json=body, headers=auth[Role.AGENT])).status_code == 403


async def test_status_lookup_for_the_ivr_and_the_workflow_with_history(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig, clock: FixedClock
) -> None:
    created = await client.post("/requests", headers=auth[Role.AGENT], json={
        "linkedid": "d.1", "request_type": 1, "description": "passport renewal conditions", "language": "ar",
        "service": "consulate-paris"})  # fmt: skip
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    again = await client.post("/requests", headers=auth[Role.AGENT], json={
        "linkedid": "d.1", "request_type": 1, "description": "passport renewal conditions"})  # fmt: skip
    assert again.json()["reference"] == reference  # one disposition per call

    lookup = await client.get(f"/requests/status/{reference}", headers=auth[Role.AGI])
    assert lookup.json() == {"reference": reference, "status": "new"}
    assert (await client.get("/requests/status/99999999", headers=auth[Role.AGI])).status_code == 404
    assert (await client.get(f"/requests/{reference}", headers=auth[Role.AGI])).status_code == 403

    for target in ("in_progress", "answered"):
        clock.now += timedelta(hours=1)
        moved = await client.post(f"/requests/{reference}/status", json={"status": target, "note": target},
                                  headers=auth[Role.AGENT])
        assert moved.status_code == 200, moved.text
    refused = await client.post(f"/requests/{reference}/status", json={"status": "new"}, headers=auth[Role.AGENT])
    assert refused.status_code == 409
    lookup = await client.get(f"/requests/status/{reference}", headers=auth[Role.AGI])
    assert lookup.json()["status"] == "answered"
    detail = (await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])).json()
    assert [(e["action"], e["to_status"], e["actor"]) for e in detail["history"]] == [
        ("created", "new", "test-agent"),
        ("status", "in_progress", "test-agent"),
        ("status", "answered", "test-agent"),
    ]
    assert detail["answered_at"] is not None and detail["service"] == "consulate-paris"


async def test_portal_needs_no_token_but_is_rate_limited(
    client: httpx.AsyncClient, request_config: RequestConfig, clock: FixedClock
) -> None:
    form = {"request_type": 3, "description": "I want to complain", "contact": "a@example.org", "language": "fr"}
    for _ in range(2):
        assert (await client.post("/portal/requests", json=form)).status_code == 201
    assert (await client.post("/portal/requests", json=form)).status_code == 429
    clock.now += timedelta(minutes=11)
    assert (await client.post("/portal/requests", json=form)).status_code == 201
    assert (await client.post("/portal/requests", json={**form, "request_type": 7})).status_code == 422


async def test_complaints_are_archived_unchangeably_and_corrected_by_new_entries(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig, database_url: str
) -> None:
    created = await client.post("/requests", headers=auth[Role.AGENT], json={
        "request_type": 3, "description": "rude answer at the counter"})  # fmt: skip
    reference = created.json()["reference"]
    detail = (await client.get(f"/requests/{reference}", headers=auth[Role.AGENT])).json()
    assert detail["archived"] is True

    engine = make_engine(database_url)
    try:
        for statement in (
            "UPDATE requests SET description = 'nothing happened' WHERE reference = :ref",
            "UPDATE requests SET due_at = due_at + interval '1 day' WHERE reference = :ref",
            "DELETE FROM request_events WHERE request_id = (SELECT id FROM requests WHERE reference = :ref)",
            "UPDATE request_events SET actor = 'someone else'",
            "DELETE FROM requests WHERE reference = :ref",
        ):
            async with AsyncSession(engine) as session:
                with pytest.raises(DBAPIError, match=r"archived|append-only"):
                    await session.execute(text(statement), {"ref": reference})
        async with AsyncSession(engine) as session:  # a non-archived request may be edited by an admin
            other = await client.post("/requests", headers=auth[Role.AGENT], json={
                "request_type": 1, "description": "typo"})  # fmt: skip
            await session.execute(text("UPDATE requests SET description = 'fixed' WHERE reference = :ref"),
                                  {"ref": other.json()["reference"]})
            await session.commit()
    finally:
        await engine.dispose()

    # the workflow still moves, and a correction is a new entry pointing at the original
    moved = await client.post(f"/requests/{reference}/status", json={"status": "closed"}, headers=auth[Role.AGENT])
    assert moved.status_code == 200, moved.text
    fixed = await client.post(f"/requests/{reference}/corrections", json={"description": "rude answer, 2nd desk"},
                              headers=auth[Role.SUPERVISOR])
    assert fixed.status_code == 201, fixed.text
    correction = (await client.get(f"/requests/{fixed.json()['reference']}", headers=auth[Role.SUPERVISOR])).json()
    assert correction["corrects"] == reference and correction["archived"] is True
    original = (await client.get(f"/requests/{reference}", headers=auth[Role.AGENT])).json()
    assert original["description"] == "rude answer at the counter"
    assert original["history"][-1]["action"] == "corrected"


async def test_due_soon_and_overdue_listings_count_business_hours(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig, clock: FixedClock
) -> None:
    # Friday 2026-11-27 10:00 local: a type-2 request (48 h) is due Thursday 2026-12-03 10:00.
    clock.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    created = await client.post("/requests", headers=auth[Role.AGENT], json={
        "request_type": 2, "description": "where is my passport"})  # fmt: skip
    reference = created.json()["reference"]
    assert datetime.fromisoformat(created.json()["due_at"]) == datetime(2026, 12, 3, 10, 0, tzinfo=CASABLANCA)

    async def listed(due: str, **params: float) -> list[str]:
        page = await client.get("/requests", params={"due": due, **params}, headers=auth[Role.SUPERVISOR])
        return [item["reference"] for item in page.json()["items"]]

    # Wednesday 19:00 local: 3 opening hours left (19-20, 08-10) -> due soon within 8 business hours, not 2.
    clock.now = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    assert await listed("due_soon") == [reference]
    assert await listed("due_soon", within_hours=2) == []
    assert await listed("overdue") == []
    clock.now = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # 10:30 local, past the deadline
    assert await listed("overdue") == [reference]
    await client.post(f"/requests/{reference}/status", json={"status": "answered"}, headers=auth[Role.AGENT])
    assert await listed("overdue") == []


async def test_recordings_are_served_to_staff_only_and_only_from_the_recordings_directory(
    client: httpx.AsyncClient, auth: Auth, request_config: RequestConfig, tmp_path: Path
) -> None:
    (tmp_path / "2026" / "11").mkdir(parents=True)
    (tmp_path / "2026" / "11" / "vm.9.wav").write_bytes(b"RIFF....WAVEfmt fake audio")
    outside = tmp_path.parent / "secret.wav"
    outside.write_bytes(b"not yours")
    inside = voicemail_call("vm.9", MONDAY_NIGHT, voicemail_path=str(tmp_path / "2026" / "11" / "vm.9"))
    sneaky = voicemail_call("vm.10", MONDAY_NIGHT, voicemail_path=str(tmp_path / ".." / "secret"))
    assert (await client.post("/calls", json=[inside, sneaky], headers=auth[Role.AGI])).status_code == 200
    items = (await client.get("/requests", params={"due": "all"}, headers=auth[Role.SUPERVISOR])).json()["items"]
    by_linkedid = {item["linkedid"]: item["reference"] for item in items}

    url = f"/requests/{by_linkedid['vm.9']}/recording"
    played = await client.get(url, headers=auth[Role.SUPERVISOR])
    assert played.status_code == 200 and played.content == b"RIFF....WAVEfmt fake audio"
    assert played.headers["content-type"] == "audio/wav"
    assert played.headers["content-disposition"].startswith("inline")
    downloaded = await client.get(url, params={"download": "true"}, headers=auth[Role.SUPERVISOR])
    assert downloaded.headers["content-disposition"].startswith("attachment")
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=auth[Role.AGI])).status_code == 403
    escaped = await client.get(f"/requests/{by_linkedid['vm.10']}/recording", headers=auth[Role.SUPERVISOR])
    assert escaped.status_code == 404

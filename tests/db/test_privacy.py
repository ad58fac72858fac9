"""Least privilege and accountability (issue 13): what an agent sees of calls, requests, recordings and the live
state, and the append-only audit log of who read what. The API against the real PostgreSQL and a fake AMI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.ami.service import AmiEnvironment
from api.db import make_engine
from api.request_config import RequestConfig
from api.security.tokens import DEMO_TOKENS, Role
from callcenter.loading import load_callcenter
from tests.db.conftest import T0, FixedClock, bearer, call, live_of
from tests.db.test_requests import MONDAY_NIGHT, voicemail_call
from tests.fake_ami import FakeAmi
from tests.support.api import serve_api
from tests.support.database import empty_tables
from tests.support.poll import eventually

Auth = dict[Role, dict[str, str]]


@pytest.fixture
async def recordings(live_app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[Path]:
    """Empty call and request tables, and the recordings directory the API serves from."""
    await empty_tables(database_url, "calls", "caller_languages", "request_events", "requests", "agent_skills")
    live_app.state.request_config = RequestConfig(callcenter=load_callcenter(), recordings_dir=tmp_path)
    yield tmp_path


async def audit_rows(http: httpx.AsyncClient, auth: Auth, **params: str) -> list[dict[str, Any]]:
    response = await http.get("/audit", params={"limit": "200", **params}, headers=auth[Role.SUPERVISOR])
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_an_agent_sees_only_the_calls_their_seat_answered(
    http: httpx.AsyncClient, recordings: Path, seat_tokens: dict[str, str], auth: Auth
) -> None:
    records = [
        call("p.1", agent="PJSIP/agent1001", caller_number="+33600000001"),
        call("p.2", agent="PJSIP/agent1002", caller_number="+33600000002"),
        call("p.3", outcome="abandoned_queue", caller_number="+33600000003", talk_seconds=None),
    ]
    posted = await http.post("/calls", json=records, headers=auth[Role.AGI])
    assert posted.status_code == 200, posted.text
    me = bearer(seat_tokens["agent1001"])

    mine = (await http.get("/calls", headers=me)).json()["items"]
    assert [item["linkedid"] for item in mine] == ["p.1"]
    assert (await http.get("/calls", params={"caller": "+33600000002"}, headers=me)).json()["items"] == []
    assert (await http.get("/calls/p.1", headers=me)).status_code == 200
    for other in ("p.2", "p.3"):  # as if it did not exist: no oracle
        refused = await http.get(f"/calls/{other}", headers=me)
        assert refused.status_code == 404 and refused.json()["detail"] == "no such call"
    everything = (await http.get("/calls", headers=auth[Role.SUPERVISOR])).json()["items"]
    assert {item["linkedid"] for item in everything} == {"p.1", "p.2", "p.3"}


async def test_an_agent_sees_the_requests_of_their_queues_and_their_own(
    http: httpx.AsyncClient, recordings: Path, seat_tokens: dict[str, str], auth: Auth, live_app: FastAPI
) -> None:
    french = voicemail_call("v.fr", MONDAY_NIGHT, language="fr")
    arabic = voicemail_call("v.ar", MONDAY_NIGHT, language="ar")
    assert (await http.post("/calls", json=[french, arabic], headers=auth[Role.AGI])).status_code == 200
    listed = (await http.get("/requests", params={"due": "all"}, headers=auth[Role.SUPERVISOR])).json()["items"]
    by_linkedid = {item["linkedid"]: item["reference"] for item in listed}
    me = bearer(seat_tokens["agent1001"])

    async def visible() -> set[str]:
        items = (await http.get("/requests", params={"due": "all"}, headers=me)).json()["items"]
        return {item["linkedid"] or item["reference"] for item in items}

    # not a member of any queue yet: only what they opened themselves
    own = await http.post("/requests", headers=me, json={"request_type": 1, "description": "call back about visas"})
    assert own.status_code == 201, own.text
    assert await visible() == {own.json()["reference"]}
    assert (await http.get(f"/requests/{by_linkedid['v.fr']}", headers=me)).status_code == 404

    login = await http.post("/agents/agent1001/login", json={"skills": {"fr": "native"}}, headers=me)
    assert login.status_code == 200, login.text
    assert await visible() == {own.json()["reference"], "v.fr"}
    assert (await http.get(f"/requests/{by_linkedid['v.fr']}", headers=me)).status_code == 200
    for action in ("status", "notes"):
        body = {"status": "in_progress"} if action == "status" else {"note": "not mine"}
        refused = await http.post(f"/requests/{by_linkedid['v.ar']}/{action}", json=body, headers=me)
        assert refused.status_code == 404, (action, refused.text)
    assert (await http.get(f"/requests/{by_linkedid['v.ar']}/recording", headers=me)).status_code == 404

    # the AMI link drops: membership is unknown, and the skills the seat logged in with stand in for it
    live = live_of(live_app)
    link, live.link = live.link, None
    assert await visible() == {own.json()["reference"], "v.fr"}
    live.link = link
    assert (await http.post("/agents/agent1001/logout", headers=me)).status_code == 200
    assert await visible() == {own.json()["reference"]}
    live.link = None  # logged out: no skills to fall back on either
    assert await visible() == {own.json()["reference"]}
    live.link = link


async def test_reading_a_call_and_playing_a_recording_are_audited_and_agents_cannot_read_the_audit(
    http: httpx.AsyncClient, recordings: Path, seat_tokens: dict[str, str], auth: Auth, clock: FixedClock
) -> None:
    (recordings / "v.9.wav").write_bytes(b"RIFF....WAVEfmt message")
    message = voicemail_call("v.9", MONDAY_NIGHT, language="fr", voicemail_path=str(recordings / "v.9"))
    answered = call("p.9", agent="PJSIP/agent1001")
    assert (await http.post("/calls", json=[message, answered], headers=auth[Role.AGI])).status_code == 200
    me = bearer(seat_tokens["agent1001"])
    assert (await http.post("/agents/agent1001/login", json={"skills": {"fr": "native"}}, headers=me)).is_success
    reference = (await http.get("/requests", params={"due": "all"}, headers=me)).json()["items"][0]["reference"]
    call_id = (await http.get("/calls/p.9", headers=me)).json()["id"]
    played = await http.get(f"/requests/{reference}/recording", headers=me)
    assert played.content == b"RIFF....WAVEfmt message"

    # the log is append-only and shared by the session's tests: read up to this test's clock only
    rows = await audit_rows(http, auth, actor="agent1001", to=(clock.now + timedelta(seconds=1)).isoformat())
    assert [(row["action"], row["object_id"]) for row in rows[:3]] == [
        ("play_recording", f"request:{reference}"),
        ("read_call", f"call:{call_id}"),
        ("list_requests", None),
    ]
    assert {(row["role"], row["client"]) for row in rows} == {("agent", "127.0.0.1")}
    assert rows[0]["detail"] == "play" and rows[0]["at"] == T0.replace(day=11).isoformat().replace("+00:00", "Z")
    assert await audit_rows(http, auth, object=f"call:{call_id}") == [rows[1]]

    refused = await http.get("/audit", headers=me)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert (await http.get("/audit", headers=auth[Role.AGI])).status_code == 403
    assert (await http.get("/audit", headers=auth[Role.ADMIN])).status_code == 200
    for method in ("PUT", "PATCH", "DELETE", "POST"):  # no route changes the log
        assert (await http.request(method, "/audit", headers=auth[Role.ADMIN])).status_code == 405


async def test_the_audit_log_pages_with_a_cursor_and_filters_by_period(
    http: httpx.AsyncClient, recordings: Path, seat_tokens: dict[str, str], auth: Auth, live_app: FastAPI
) -> None:
    me = bearer(seat_tokens["agent1002"])
    clock = live_app.state.clock
    start = clock.now
    for _ in range(5):
        clock.now = clock.now.replace(second=clock.now.second + 1)
        assert (await http.get("/calls", headers=me)).status_code == 200
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"actor": "agent1002", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/audit", params=params, headers=auth[Role.SUPERVISOR])).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and len({row["id"] for row in seen}) == 5
    assert [row["at"] for row in seen] == sorted((row["at"] for row in seen), reverse=True)
    window = {
        "actor": "agent1002",
        "from": start.replace(second=2).isoformat(),
        "to": start.replace(second=4).isoformat(),
    }
    assert len(await audit_rows(http, auth, **window)) == 2
    bad = await http.get("/audit", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=auth[Role.SUPERVISOR])
    assert bad.status_code == 422


async def test_the_audit_log_refuses_update_delete_and_truncate_in_the_database(
    http: httpx.AsyncClient, recordings: Path, seat_tokens: dict[str, str], database_url: str
) -> None:
    assert (await http.get("/calls", headers=bearer(seat_tokens["agent1001"]))).status_code == 200
    engine = make_engine(database_url)
    try:
        for statement in (
            "UPDATE audit_log SET actor = 'nobody'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            async with AsyncSession(engine) as session:
                with pytest.raises(DBAPIError, match="append-only"):
                    await session.execute(text(statement))
        async with AsyncSession(engine) as session:
            assert (await session.execute(text("SELECT count(*) FROM audit_log"))).scalar_one() >= 1
    finally:
        await engine.dispose()


async def test_agents_see_waiting_callers_numbers_masked(
    http: httpx.AsyncClient, fake: FakeAmi, seat_tokens: dict[str, str], auth: Auth, live_app: FastAPI
) -> None:
    fake.emit({"Event": "QueueCallerJoin", "Queue": "q-fr", "Channel": "PJSIP/carrier-1", "Uniqueid": "8.1",
               "CallerIDNum": "+33611223344", "Language": "fr", "Position": "1", "Count": "1"})  # fmt: skip
    fake.emit({"Event": "AgentConnect", "Queue": "q-ar", "Interface": "PJSIP/agent1002", "MemberName": "agent1002",
               "Channel": "PJSIP/carrier-2", "CallerIDNum": "+212600112233", "HoldTime": "3"})  # fmt: skip

    def folded() -> bool:
        queues = live_of(live_app).state.queues
        member = queues["q-ar"].members.get("PJSIP/agent1002") if "q-ar" in queues else None
        return "q-fr" in queues and bool(queues["q-fr"].callers) and member is not None and bool(member.caller)

    await eventually(folded, timeout_s=5, what="both events folded")

    def numbers(state: dict[str, Any]) -> set[str]:
        queues = state["queues"]
        waiting = {caller["number"] for queue in queues for caller in queue["waiting"]}
        return waiting | {member["caller"] for queue in queues for member in queue["members"] if member["caller"]}

    supervisor = (await http.get("/live/state", headers=auth[Role.SUPERVISOR])).json()
    agent = (await http.get("/live/state", headers=bearer(seat_tokens["agent1001"]))).json()
    assert numbers(supervisor) == {"+33611223344", "+212600112233"}
    assert numbers(agent) == {"•••344", "•••233"}
    fr = next(queue for queue in agent["queues"] if queue["name"] == "q-fr")
    assert (fr["waiting"][0]["position"], fr["waiting"][0]["language"]) == (1, "fr")  # the wallboard still works


async def test_the_live_websocket_masks_numbers_for_agents_only(database_url: str, fake: FakeAmi) -> None:
    ami = AmiEnvironment(port=fake.port, secret=fake.secret)
    async with serve_api(database_url, clock=lambda: T0, ami=ami) as api:
        assert api.app is not None
        live = live_of(api.app)
        await eventually(lambda: live.ami_status()["status"] == "connected", timeout_s=10, what="AMI connected")
        fake.emit({"Event": "QueueCallerJoin", "Queue": "q-fr", "Channel": "PJSIP/carrier-3", "Uniqueid": "8.3",
                   "CallerIDNum": "+33655443322", "Language": "fr", "Position": "1", "Count": "1"})  # fmt: skip
        await eventually(lambda: bool(live.state.queues["q-fr"].callers), timeout_s=10, what="the caller waits")
        url = api.url.replace("http", "ws", 1) + "/live/ws"

        async def first_waiting_number(role: Role) -> str:
            async with websockets.connect(url) as socket:
                await socket.send(json.dumps({"token": DEMO_TOKENS[role]}))
                assert "hello" in json.loads(await asyncio.wait_for(socket.recv(), 10))
                snapshot = json.loads(await asyncio.wait_for(socket.recv(), 10))  # the state at subscription
                waiting = [caller for queue in snapshot["queues"] for caller in queue["waiting"]]
                number: str = waiting[0]["number"]
                return number

        assert await first_waiting_number(Role.SUPERVISOR) == "+33655443322"
        assert await first_waiting_number(Role.AGENT) == "•••322"

"""Agents and supervisors through the API, with roles, against a fake AMI on loopback (tests/fake_ami.py) and
the real PostgreSQL: the AMI actions sent, the live state the events produce, the events stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from api.config import ApiSettings
from api.crud.callbacks import book_callback
from api.crud.queue_events import events_since
from api.schemas.callbacks import CallbackCreate
from api.security.tokens import Role
from tests.db.conftest import T0, FixedClock, bearer, live_of, start_app
from tests.fake_ami import FakeAmi, FakeMember
from tests.support.poll import eventually


def on_call(app: FastAPI, queue: str, interface: str) -> bool:
    state = live_of(app).state.queues.get(queue)
    member = state.members.get(interface) if state else None
    return member is not None and member.in_call


async def test_agent_logs_in_with_penalties_by_skill(
    http: httpx.AsyncClient, fake: FakeAmi, seat_tokens: dict[str, str]
) -> None:
    response = await http.post(
        "/agents/agent1001/login",
        json={"skills": {"fr": "native", "ar": "fluent", "en": "basic"}},
        headers=bearer(seat_tokens["agent1001"]),
    )
    assert response.status_code == 200, response.text
    assert {row["queue"]: row["penalty"] for row in response.json()} == {"q-fr": 0, "q-ar": 1, "q-en": 2}
    assert {(q, m.penalty) for (q, _), m in fake.members.items()} == {("q-fr", 0), ("q-ar", 1), ("q-en", 2)}
    # logging in again with fewer skills leaves the other queues and updates the penalty
    response = await http.post(
        "/agents/agent1001/login", json={"skills": {"fr": "fluent"}}, headers=bearer(seat_tokens["agent1001"])
    )
    assert [(row["queue"], row["penalty"]) for row in response.json()] == [("q-fr", 1)]
    assert set(fake.members) == {("q-fr", "PJSIP/agent1001")}


async def test_pause_with_reason_then_unpause_shows_in_live_state(
    http: httpx.AsyncClient, fake: FakeAmi, seat_tokens: dict[str, str]
) -> None:
    me = bearer(seat_tokens["agent1001"])
    await http.post("/agents/agent1001/login", json={"skills": {"fr": "native", "ar": "native"}}, headers=me)
    response = await http.post("/agents/agent1001/pause", json={"reason": "pause déjeuner"}, headers=me)
    assert response.status_code == 200, response.text
    assert {(row["queue"], row["state"], row["paused_reason"]) for row in response.json()} == {
        ("q-fr", "paused", "pause déjeuner"),
        ("q-ar", "paused", "pause déjeuner"),
    }
    pause = next(action for action in fake.actions if action["Action"] == "QueuePause")
    assert "Queue" not in pause  # every queue of the seat at once
    response = await http.post("/agents/agent1001/unpause", headers=me)
    assert {row["state"] for row in response.json()} == {"available"}
    response = await http.post("/agents/agent1001/logout", headers=me)
    assert response.json() == [] and fake.members == {}


async def test_roles_an_agent_acts_only_on_their_own_seat(
    http: httpx.AsyncClient, auth: dict[Role, dict[str, str]], seat_tokens: dict[str, str], fake: FakeAmi
) -> None:
    body = {"skills": {"fr": "native"}}
    assert (
        await http.post("/agents/agent1002/login", json=body, headers=bearer(seat_tokens["agent1001"]))
    ).status_code == 403
    assert (await http.post("/agents/agent1002/login", json=body, headers=auth[Role.AGI])).status_code == 403
    assert (await http.post("/agents/agent1002/login", json=body)).status_code == 401
    assert fake.members == {}
    response = await http.post("/agents/agent1002/login", json=body, headers=auth[Role.SUPERVISOR])
    assert response.status_code == 200
    response = await http.post("/agents/agent1002/pause", json={"reason": "coaching"}, headers=auth[Role.SUPERVISOR])
    assert response.json()[0]["paused_reason"] == "coaching"
    assert (await http.post("/agents/agent1002/logout", headers=auth[Role.ADMIN])).status_code == 200


async def test_bad_requests_are_refused(http: httpx.AsyncClient, seat_tokens: dict[str, str], fake: FakeAmi) -> None:
    me = bearer(seat_tokens["agent1001"])
    assert (
        await http.post("/agents/agent1001/login", json={"skills": {"xx": "native"}}, headers=me)
    ).status_code == 422
    assert (await http.post("/agents/agent1001/login", json={"skills": {}}, headers=me)).status_code == 422
    assert (await http.post("/agents/agent1001/login", json={"skills": {"fr": "god"}}, headers=me)).status_code == 422
    bad_reason = {"reason": "lunch\r\nAction: Originate"}  # no header injection into the AMI action
    assert (await http.post("/agents/agent1001/pause", json=bad_reason, headers=me)).status_code == 422
    assert (
        await http.post("/agents/agent1001/pause", json={"reason": "x"}, headers=me)
    ).status_code == 409  # not in a queue
    sent = [(action["Action"], action.get("Reason")) for action in fake.actions if action["Action"] != "Ping"]
    assert [entry for entry in sent if entry[0] in {"QueueAdd", "QueuePause"}] == [("QueuePause", "x")]


async def test_supervisor_listens_whispers_barges_through_originate(
    http: httpx.AsyncClient,
    live_app: FastAPI,
    fake: FakeAmi,
    auth: dict[Role, dict[str, str]],
    seat_tokens: dict[str, str],
) -> None:
    body = {"agent": "agent1001", "supervisor_seat": "agent1040", "mode": "whisper"}
    assert (await http.post("/supervision/spy", json=body, headers=bearer(seat_tokens["agent1001"]))).status_code == 403
    assert (await http.post("/supervision/spy", json=body, headers=auth[Role.SUPERVISOR])).status_code == 409  # no call
    fake.members[("q-fr", "PJSIP/agent1001")] = FakeMember("PJSIP/agent1001", "agent1001")
    fake.emit({"Event": "AgentConnect", "Queue": "q-fr", "Interface": "PJSIP/agent1001", "MemberName": "agent1001",
               "Channel": "PJSIP/carrier-00000007", "CallerIDNum": "+212600000000", "HoldTime": "12"})  # fmt: skip
    await eventually(lambda: on_call(live_app, "q-fr", "PJSIP/agent1001"), timeout_s=5, what="agent1001 on call")
    for mode, options in (("listen", "qE"), ("whisper", "qEw"), ("barge", "qEB")):
        response = await http.post("/supervision/spy", json={**body, "mode": mode}, headers=auth[Role.SUPERVISOR])
        assert response.status_code == 202, response.text
        originate = fake.actions[-1]
        assert (originate["Action"], originate["Channel"], originate["Application"]) == (
            "Originate", "PJSIP/agent1040", "ChanSpy"
        )  # fmt: skip
        assert originate["Data"] == f"PJSIP/agent1001-,{options}"
        assert originate["Async"] == "true"


async def test_agent_page_shows_the_current_callers_context(
    http: httpx.AsyncClient,
    live_app: FastAPI,
    fake: FakeAmi,
    seat_tokens: dict[str, str],
    auth: dict[Role, dict[str, str]],
) -> None:
    from tests.db.conftest import call

    previous = call("1795400000.1", caller_number="+212600000000", request_type=2, reference="123456")
    assert (await http.post("/calls", json=previous, headers=auth[Role.AGI])).status_code in {200, 201}
    fake.variables.update({
        ("PJSIP/carrier-00000007", "IVR_LANG"): "ar",
        ("PJSIP/carrier-00000007", "IVR_REQUEST_TYPE"): "2",
        ("PJSIP/carrier-00000007", "IVR_REFERENCE"): "123456",
    })  # fmt: skip
    fake.emit({"Event": "AgentConnect", "Queue": "q-ar", "Interface": "PJSIP/agent1001", "MemberName": "agent1001",
               "Channel": "PJSIP/carrier-00000007", "CallerIDNum": "+212600000000", "HoldTime": "12"})  # fmt: skip
    await eventually(lambda: "q-ar" in live_of(live_app).state.queues, timeout_s=5, what="q-ar in the live state")
    response = await http.get("/agents/agent1001", headers=bearer(seat_tokens["agent1001"]))
    assert response.status_code == 200, response.text
    caller = response.json()["caller"]
    assert (caller["number"], caller["language"], caller["request_type"], caller["reference"]) == (
        "+212600000000", "ar", "2", "123456"
    )  # fmt: skip
    assert [c["reference"] for c in caller["previous_calls"]] == ["123456"]
    assert (await http.get("/agents/agent1001", headers=bearer(seat_tokens["agent1002"]))).status_code == 403


async def test_queue_events_are_stored_and_rebuild_the_day_after_a_restart(
    settings: ApiSettings, clock: FixedClock, fake: FakeAmi, seat_tokens: dict[str, str]
) -> None:
    clock.now = datetime.now(UTC)  # the fake stamps events with the real time, as Asterisk does
    join = {"Queue": "q-fr", "Channel": "PJSIP/carrier-1", "Uniqueid": "1.1", "CallerIDNum": "+33600000001",
            "Language": "fr", "Position": "1", "Count": "1"}  # fmt: skip
    first = start_app(settings, clock, fake)
    async with first.router.lifespan_context(first):
        await eventually(
            lambda: live_of(first).ami_status()["status"] == "connected", timeout_s=5, what="AMI connected"
        )
        fake.emit({"Event": "QueueCallerJoin", **join})
        fake.emit({"Event": "QueueCallerAbandon", **join, "HoldTime": "30", "OriginalPosition": "1"})
        fake.emit({"Event": "QueueCallerLeave", **join, "Count": "0"})
        # "connected" comes before the QueueStatus resync has created the queues: q-fr may not exist yet
        await eventually(
            lambda: (fr := first.state.live.state.queues.get("q-fr")) is not None and fr.abandoned == 1,
            timeout_s=5,
            what="one abandon",
        )
        async with first.state.sessions() as session:
            await eventually(lambda: events_stored(first, 3), timeout_s=5, what="3 events stored")
            stored = await events_since(session, since=clock.now - timedelta(minutes=1))
        assert [event["Event"] for event in stored] == ["QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave"]
    second = start_app(settings, clock, fake)  # the API restarted; Asterisk did not
    async with second.router.lifespan_context(second):
        await eventually(
            lambda: live_of(second).ami_status()["status"] == "connected", timeout_s=5, what="AMI connected again"
        )
        fr = live_of(second).state.queues["q-fr"]
        assert (fr.offered, fr.abandoned, fr.callers) == (1, 1, {})


async def events_stored(app: FastAPI, count: int) -> bool:
    async with app.state.sessions() as session:
        return int((await session.execute(text("SELECT count(*) FROM queue_events"))).scalar_one()) == count


async def test_one_open_callback_per_number(live_app: FastAPI) -> None:
    def callback(linkedid: str) -> CallbackCreate:
        return CallbackCreate(number="+33600000009", queue="q-fr", language="fr", linkedid=linkedid, joined_at=T0)

    async with live_app.state.sessions() as session:
        first, created = await book_callback(session, callback_in=callback("9.1"), now=T0)
        again, created_again = await book_callback(session, callback_in=callback("9.2"), now=T0)
    assert created and not created_again and again.id == first.id


async def test_live_state_needs_a_staff_token(
    http: httpx.AsyncClient, auth: dict[Role, dict[str, str]], seat_tokens: dict[str, str]
) -> None:
    assert (await http.get("/live/state")).status_code == 401
    assert (await http.get("/live/state", headers=auth[Role.AGI])).status_code == 403
    response = await http.get("/live/state", headers=bearer(seat_tokens["agent1001"]))
    assert response.status_code == 200
    assert response.json()["ami"]["status"] == "connected"
    assert {queue["name"] for queue in response.json()["queues"]} >= {"q-fr", "q-ar"}

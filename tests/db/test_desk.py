"""The agent's day on one page, through the API on a real PostgreSQL with a fake AMI: today's figures in the
call center's time zone, the caller card from the ring on, dispositions opening requests with business-hours
deadlines, the request desk's filters, calling a citizen back from a seat, and the seat rule (403)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from api.crud.requests import open_request
from api.request_config import RequestConfig
from api.schemas.requests import RequestCreate
from api.security.tokens import Role
from tests.db.conftest import FixedClock, bearer, call, live_of
from tests.fake_ami import FakeAmi, FakeMember
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import empty_tables
from tests.support.poll import eventually

CASABLANCA = ZoneInfo("Africa/Casablanca")  # UTC+1 in November 2026
WEDNESDAY_10 = datetime(2026, 11, 11, 10, 0, tzinfo=CASABLANCA)
Auth = dict[Role, dict[str, str]]


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


@pytest.fixture
async def desk(live_app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[RequestConfig]:
    await empty_tables(database_url, "calls", "caller_languages", "dispositions", "request_events", "requests")
    config = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=tmp_path)
    live_app.state.request_config = config
    yield config


async def post_call(http: httpx.AsyncClient, auth: Auth, linkedid: str, **fields: Any) -> None:
    response = await http.post("/calls", json=call(linkedid, **fields), headers=auth[Role.AGI])
    assert response.status_code in {200, 201}, response.text


def seat_call(started: datetime, talk_s: float, seat: str = "agent1001", **fields: Any) -> dict[str, Any]:
    ended = started + timedelta(seconds=20 + talk_s)
    return {
        "started_at": started.isoformat(),
        "answered_at": (started + timedelta(seconds=20)).isoformat(),
        "ended_at": ended.isoformat(),
        "agent": f"PJSIP/{seat}",
        "talk_seconds": talk_s,
        **fields,
    }


async def test_todays_figures_follow_the_call_centers_midnight(
    http: httpx.AsyncClient, clock: FixedClock, auth: Auth, seat_tokens: dict[str, str], desk: RequestConfig
) -> None:
    me = bearer(seat_tokens["agent1001"])
    # 23:50 on Tuesday in Casablanca is 22:50 UTC; 00:10 on Wednesday is still Tuesday 23:10 in UTC
    await post_call(http, auth, "d.1", **seat_call(datetime(2026, 11, 10, 23, 50, tzinfo=CASABLANCA), 100))
    await post_call(http, auth, "d.2", **seat_call(datetime(2026, 11, 11, 0, 10, tzinfo=CASABLANCA), 60))
    await post_call(http, auth, "d.3", **seat_call(datetime(2026, 11, 11, 9, 0, tzinfo=CASABLANCA), 240))
    await post_call(http, auth, "d.4", **seat_call(datetime(2026, 11, 11, 9, 30, tzinfo=CASABLANCA), 500, "agent1002"))
    await post_call(  # an abandoned call that names no agent counts for nobody
        http, auth, "d.5", started_at=WEDNESDAY_10.isoformat(), outcome="abandoned_queue", talk_seconds=None
    )
    # d.3 ended at 09:04:20; its disposition 90 s later is after-call work
    clock.now = utc(datetime(2026, 11, 11, 9, 5, 50, tzinfo=CASABLANCA))  # the app's clock is in UTC
    closing = {"linkedid": "d.3", "outcome": "answered"}
    filed = await http.post("/agents/agent1001/dispositions", json=closing, headers=me)
    assert filed.status_code == 201, filed.text
    clock.now = utc(datetime(2026, 11, 11, 12, 0, tzinfo=CASABLANCA))
    day = (await http.get("/agents/agent1001/day", headers=me)).json()
    assert day["day"] == "2026-11-11"
    assert [row["linkedid"] for row in day["calls"]] == ["d.3", "d.2"]
    assert [row["disposition"] for row in day["calls"]] == ["answered", None]
    assert day["figures"] == {
        "calls_answered": 2,
        "talk_seconds": 300.0,
        "after_call_seconds": 90.0,
        "average_handle_seconds": 195.0,  # (60 + 240 + 90) / 2
    }
    clock.now = utc(datetime(2026, 11, 11, 23, 59, tzinfo=CASABLANCA))
    assert (await http.get("/agents/agent1001/day", headers=me)).json()["figures"]["calls_answered"] == 2
    clock.now = datetime(2026, 11, 11, 23, 1, tzinfo=UTC)  # still the 11th in UTC, but past the local midnight
    day = (await http.get("/agents/agent1001/day", headers=me)).json()
    assert (day["day"], day["calls"], day["figures"]["calls_answered"]) == ("2026-11-12", [], 0)
    assert day["figures"]["average_handle_seconds"] is None
    clock.now = utc(datetime(2026, 11, 10, 23, 55, tzinfo=CASABLANCA))  # and Tuesday had only d.1
    day = (await http.get("/agents/agent1001/day", headers=me)).json()
    assert [row["linkedid"] for row in day["calls"]] == ["d.1"]


async def test_an_agent_acts_on_their_own_seat_only(
    http: httpx.AsyncClient, auth: Auth, seat_tokens: dict[str, str], desk: RequestConfig
) -> None:
    other = bearer(seat_tokens["agent1002"])
    body = {"linkedid": "s.1", "outcome": "answered"}
    assert (await http.get("/agents/agent1001/day", headers=other)).status_code == 403
    assert (await http.post("/agents/agent1001/dispositions", json=body, headers=other)).status_code == 403
    assert (await http.post("/agents/agent1001/dispositions", json=body, headers=auth[Role.AGI])).status_code == 403
    assert (await http.post("/agents/agent1001/dispositions", json=body)).status_code == 401
    opened = await opened_request(http, auth, caller_number="+33611111111")
    call_back = {"seat": "agent1001"}
    response = await http.post(f"/requests/{opened}/call-back", json=call_back, headers=other)
    assert response.status_code == 403
    by_supervisor = await http.post("/agents/agent1001/dispositions", json=body, headers=auth[Role.SUPERVISOR])
    assert by_supervisor.status_code == 201


async def opened_request(http: httpx.AsyncClient, auth: Auth, **fields: Any) -> str:
    body = {"request_type": 1, "description": "passport conditions", **fields}
    response = await http.post("/requests", json=body, headers=auth[Role.SUPERVISOR])
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


async def test_a_disposition_opens_a_request_due_by_the_business_hours_rules_once_per_call(
    http: httpx.AsyncClient, clock: FixedClock, auth: Auth, seat_tokens: dict[str, str], desk: RequestConfig
) -> None:
    me = bearer(seat_tokens["agent1001"])
    clock.now = utc(WEDNESDAY_10)
    body = {
        "linkedid": "c.1",
        "uniqueid": "c.1",
        "outcome": "callback_needed",
        "note": "wants to know where her file is",
        "caller_number": "+33612345678",
        "language": "fr",
        "request": {"request_type": 2, "description": "status of passport file 4711"},
    }
    response = await http.post("/agents/agent1001/dispositions", json=body, headers=me)
    assert response.status_code == 201, response.text
    filed = response.json()
    assert (filed["seat"], filed["outcome"], filed["created_by"]) == ("agent1001", "callback_needed", "agent1001")
    # 48 opening hours (Mon-Fri 08-20) from Wednesday 10:00: Wed 10, Thu 12, Fri 12, Mon 12, Tue 2 -> Tue 10:00
    assert datetime.fromisoformat(filed["request"]["due_at"]) == datetime(2026, 11, 17, 10, 0, tzinfo=CASABLANCA)
    reference = filed["request"]["reference"]
    detail = (await http.get(f"/requests/{reference}", headers=me)).json()
    assert (detail["source"], detail["type_key"], detail["language"], detail["linkedid"]) == (
        "disposition", "request_status", "fr", "c.1"
    )  # fmt: skip
    assert detail["description"] == "status of passport file 4711\n\nwants to know where her file is"
    again = await http.post("/agents/agent1001/dispositions", json={**body, "note": "again"}, headers=me)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    # a supervisor closing the same call for another seat finds the same request, not a second one
    other = await http.post("/agents/agent1002/dispositions", json=body, headers=auth[Role.SUPERVISOR])
    assert other.status_code == 201 and other.json()["request"]["reference"] == reference
    listing = (await http.get("/requests", params={"due": "all"}, headers=me)).json()["items"]
    assert [item["reference"] for item in listing] == [reference]
    # an outcome or a request type the call center does not have is refused
    unknown = {**body, "linkedid": "c.2", "outcome": "hung_up_on"}
    assert (await http.post("/agents/agent1001/dispositions", json=unknown, headers=me)).status_code == 422
    bad_type = {**body, "linkedid": "c.3", "request": {"request_type": 9, "description": "x"}}
    assert (await http.post("/agents/agent1001/dispositions", json=bad_type, headers=me)).status_code == 422
    assert (await http.get("/requests", params={"due": "all"}, headers=me)).json()["items"] == listing


async def test_the_desk_filters_by_deadline_status_type_and_language(
    live_app: FastAPI, http: httpx.AsyncClient, clock: FixedClock, seat_tokens: dict[str, str], desk: RequestConfig
) -> None:
    me = bearer(seat_tokens["agent1001"])

    async def opened(created: datetime, request_type: int, language: str) -> str:
        request_in = RequestCreate(
            source="portal", request_type=request_type, created_at=created, created_by="portal", language=language
        )
        async with live_app.state.sessions() as session:
            row = await open_request(session, config=desk, request_in=request_in, now=created)
        return row.reference

    late = await opened(datetime(2026, 11, 2, 10, 0, tzinfo=CASABLANCA), 2, "fr")  # due Fri 6 Nov 10:00
    soon = await opened(datetime(2026, 11, 5, 14, 0, tzinfo=CASABLANCA), 2, "ar")  # due Wed 11 Nov 14:00
    later = await opened(WEDNESDAY_10, 1, "fr")  # 72 h: the week after
    clock.now = utc(WEDNESDAY_10)
    # an agent sees the requests of the queues it serves (api.security.access): French and Arabic here
    login = await http.post("/agents/agent1001/login", json={"skills": {"fr": "native", "ar": "fluent"}}, headers=me)
    assert login.is_success, login.text

    async def listed(**params: Any) -> list[str]:
        response = await http.get("/requests", params=params, headers=me)
        assert response.status_code == 200, response.text
        return [item["reference"] for item in response.json()["items"]]

    assert await listed() == [late, soon, later]
    assert await listed(due="overdue") == [late]
    assert await listed(due="due_soon") == [soon]  # within 8 opening hours: before Wednesday 18:00
    assert await listed(due="due_soon", within_hours=2) == []
    assert await listed(language="fr") == [late, later]
    assert await listed(language=["fr", "ar"], type=2) == [late, soon]
    answered = await http.post(f"/requests/{later}/status", json={"status": "answered", "note": "sent"}, headers=me)
    assert answered.status_code == 200, answered.text
    assert await listed() == [late, soon]
    assert await listed(status="answered") == [later]
    assert await listed(status=["answered", "new"], type=1) == [later]
    assert (await http.get("/requests", params={"status": "lost"}, headers=me)).status_code == 422


async def test_the_caller_card_is_filled_when_the_seat_rings(
    live_app: FastAPI, http: httpx.AsyncClient, fake: FakeAmi, auth: Auth, seat_tokens: dict[str, str],
    desk: RequestConfig, clock: FixedClock,
) -> None:  # fmt: skip
    me = bearer(seat_tokens["agent1001"])
    clock.now = datetime.now(UTC)  # the fake stamps events with the real time, as Asterisk does
    earlier = await opened_request(http, auth, caller_number="+212600000001", language="ar")
    await post_call(http, auth, "r.0", caller_number="+212600000001", reference=earlier, request_type=2)
    fake.variables.update({
        ("PJSIP/carrier-00000009", "IVR_LANG"): "ar",
        ("PJSIP/carrier-00000009", "IVR_REQUEST_TYPE"): "2",
        ("PJSIP/carrier-00000009", "IVR_REFERENCE"): earlier,
    })  # fmt: skip
    fake.members[("q-ar", "PJSIP/agent1001")] = FakeMember("PJSIP/agent1001", "agent1001")
    ring = {"Queue": "q-ar", "Interface": "PJSIP/agent1001", "MemberName": "agent1001",
            "Channel": "PJSIP/carrier-00000009", "CallerIDNum": "+212600000001", "Uniqueid": "1795400900.3",
            "Linkedid": "1795400900.3", "DestChannel": "PJSIP/agent1001-0000000a"}  # fmt: skip
    fake.emit({"Event": "AgentCalled", **ring})
    await eventually(lambda: ringing(live_app, "q-ar"), timeout_s=5, what="agent1001 ringing")
    caller = (await http.get("/agents/agent1001", headers=me)).json()["caller"]
    assert (caller["number"], caller["language"], caller["reference"], caller["ringing"]) == (
        "+212600000001", "ar", earlier, True
    )  # fmt: skip
    assert (caller["linkedid"], caller["uniqueid"], caller["reference_status"]) == ("1795400900.3",) * 2 + ("new",)
    assert [row["reference"] for row in caller["previous_requests"]] == [earlier]
    assert [row["reference"] for row in caller["previous_calls"]] == [earlier]
    fake.emit({"Event": "AgentConnect", **ring, "HoldTime": "3"})
    await eventually(lambda: not ringing(live_app, "q-ar"), timeout_s=5, what="agent1001 answered")
    caller = (await http.get("/agents/agent1001", headers=me)).json()["caller"]
    assert (caller["ringing"], caller["linkedid"]) == (False, "1795400900.3")
    fake.emit({"Event": "AgentComplete", **ring, "TalkTime": "30", "Reason": "caller", "Language": "ar"})
    await eventually(lambda: not member_of(live_app, "q-ar").caller, timeout_s=5, what="the call over")
    assert (await http.get("/agents/agent1001", headers=me)).json()["caller"] is None
    # the day names the call just ended, for the disposition form, until it is disposed
    last = (await http.get("/agents/agent1001/day", headers=me)).json()["last_call"]
    assert (last["linkedid"], last["number"], last["language"], last["disposed"]) == (
        "1795400900.3", "+212600000001", "ar", False
    )  # fmt: skip
    closing = {"linkedid": "1795400900.3", "outcome": "information_given"}
    assert (await http.post("/agents/agent1001/dispositions", json=closing, headers=me)).status_code == 201
    assert (await http.get("/agents/agent1001/day", headers=me)).json()["last_call"]["disposed"] is True
    # a ring the agent lets go by leaves no card behind
    fake.emit({"Event": "AgentCalled", **ring, "Uniqueid": "1795400999.1", "Linkedid": "1795400999.1"})
    await eventually(lambda: ringing(live_app, "q-ar"), timeout_s=5, what="ringing again")
    fake.emit({"Event": "AgentRingNoAnswer", **ring, "RingTime": "15"})
    await eventually(lambda: not member_of(live_app, "q-ar").caller, timeout_s=5, what="the ring gone")


def member_of(app: FastAPI, queue: str) -> Any:
    return live_of(app).state.queues[queue].members["PJSIP/agent1001"]


def ringing(app: FastAPI, queue: str) -> bool:
    state = live_of(app).state.queues.get(queue)
    return state is not None and "PJSIP/agent1001" in state.members and member_of(app, queue).ringing


async def test_the_day_shows_queues_with_skills_and_time_in_state(
    http: httpx.AsyncClient, clock: FixedClock, fake: FakeAmi, seat_tokens: dict[str, str], desk: RequestConfig
) -> None:
    me = bearer(seat_tokens["agent1001"])
    clock.now = datetime.now(UTC)  # the fake stamps events with the real time, as Asterisk does
    login = await http.post("/agents/agent1001/login", json={"skills": {"fr": "native", "ar": "fluent"}}, headers=me)
    assert login.status_code == 200, login.text
    paused = await http.post("/agents/agent1001/pause", json={"reason": "Formation"}, headers=me)
    assert paused.status_code == 200, paused.text
    clock.now += timedelta(seconds=90)
    day = (await http.get("/agents/agent1001/day", headers=me)).json()
    assert {(row["queue"], row["language"], row["skill"], row["state"]) for row in day["queues"]} == {
        ("q-fr", "fr", "native", "paused"),
        ("q-ar", "ar", "fluent", "paused"),
    }
    assert (day["state"], day["paused_reason"]) == ("paused", "Formation")
    assert 85 <= day["time_in_state_s"] <= 95, day
    await http.post("/agents/agent1001/logout", headers=me)
    day = (await http.get("/agents/agent1001/day", headers=me)).json()
    assert (day["state"], day["queues"], day["time_in_state_s"]) == ("unavailable", [], None)


async def test_calling_a_citizen_back_rings_the_seat_then_the_number(
    http: httpx.AsyncClient, fake: FakeAmi, auth: Auth, seat_tokens: dict[str, str], desk: RequestConfig
) -> None:
    me = bearer(seat_tokens["agent1001"])
    login = await http.post("/agents/agent1001/login", json={"skills": {"fr": "native"}}, headers=me)
    assert login.is_success, login.text  # an agent calls back requests of the queues it serves
    reference = await opened_request(http, auth, caller_number="+33 6 12 34 56 78", language="fr")
    response = await http.post(f"/requests/{reference}/call-back", json={"seat": "agent1001"}, headers=me)
    assert response.status_code == 202, response.text
    assert response.json() == {"reference": reference, "seat": "agent1001", "number": "+33612345678"}
    originate = [action for action in fake.actions if action["Action"] == "Originate"][-1]
    assert (originate["Channel"], originate["Context"], originate["CallerID"]) == (
        "PJSIP/agent1001", "ivr-callback", '"+33612345678" <+33612345678>'
    )  # fmt: skip
    assert originate["ActionID"].endswith(reference) and originate["Async"] == "true"
    history = (await http.get(f"/requests/{reference}", headers=me)).json()["history"]
    assert history[-1]["note"] == "call-back from agent1001 to +33612345678"
    nameless = await opened_request(http, auth, caller_number="anonymous", language="fr")
    refused = await http.post(f"/requests/{nameless}/call-back", json={"seat": "agent1001"}, headers=me)
    assert refused.status_code == 409
    assert len([action for action in fake.actions if action["Action"] == "Originate"]) == 1

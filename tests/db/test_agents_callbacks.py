"""Callbacks and wait estimates through the API (real PostgreSQL, fake AMI on loopback): one open callback per
number, the caller's place kept, the agent rung first (Originate into [ivr-callback]), outcomes recorded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.ami.callback_rules import attempt_of
from api.ami.service import LiveService
from api.config import ApiSettings
from api.security.tokens import Role
from tests.db.conftest import FixedClock, bearer, live_of, start_app
from tests.fake_ami import FakeAmi
from tests.support.poll import eventually

NUMBER = "+212600000001"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))  # the dialer compares with event times, which are real (as Asterisk's are)


def booking(joined_at: datetime, number: str = NUMBER) -> dict[str, str]:
    return {
        "number": number,
        "queue": "q-ar",
        "language": "ar",
        "linkedid": "1795.1",
        "joined_at": joined_at.isoformat(),
    }


async def test_one_open_callback_per_number_and_who_may_see_them(
    http: httpx.AsyncClient, auth: dict[Role, dict[str, str]], seat_tokens: dict[str, str]
) -> None:
    joined = datetime.now(UTC) + timedelta(hours=1)  # later than anyone: nobody is dialed in this test
    first = await http.post("/callbacks", json=booking(joined), headers=auth[Role.AGI])
    assert first.status_code == 201, first.text
    again = await http.post("/callbacks", json=booking(joined), headers=auth[Role.AGI])
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert (await http.post("/callbacks", json=booking(joined, "anonymous"), headers=auth[Role.AGI])).status_code == 422
    assert (
        await http.post("/callbacks", json=booking(joined), headers=bearer(seat_tokens["agent1001"]))
    ).status_code == 403
    listed = await http.get("/callbacks", headers=auth[Role.SUPERVISOR])
    assert [(c["number"], c["status"]) for c in listed.json()] == [(NUMBER, "pending")]
    assert (await http.get("/callbacks", headers=auth[Role.AGI])).status_code == 403


async def test_estimate_comes_from_recent_answered_waits(
    http: httpx.AsyncClient, live_app: FastAPI, fake: FakeAmi, auth: dict[Role, dict[str, str]]
) -> None:
    empty = await http.get("/queues/q-fr/estimate", params={"position": 2}, headers=auth[Role.AGI])
    assert empty.json()["estimated_wait_s"] is None
    for uniqueid, hold in (("1.1", "30"), ("1.2", "50")):
        fake.emit({"Event": "AgentConnect", "Queue": "q-fr", "Uniqueid": uniqueid, "Interface": "PJSIP/agent1002",
                   "MemberName": "agent1002", "HoldTime": hold})  # fmt: skip
    await eventually(lambda: live_of(live_app).state.queues["q-fr"].answered == 2, timeout_s=5, what="2 answered")
    response = await http.get("/queues/q-fr/estimate", params={"position": 2}, headers=auth[Role.AGI])
    assert response.json()["estimated_wait_s"] == 80.0  # median 40 s per place, two places


async def test_callback_waits_its_turn_then_rings_the_agent_first(
    http: httpx.AsyncClient, live_app: FastAPI, fake: FakeAmi, auth: dict[Role, dict[str, str]]
) -> None:
    live: LiveService = live_of(live_app)
    earlier = {"Event": "QueueCallerJoin", "Queue": "q-ar", "Uniqueid": "2.1", "Channel": "PJSIP/carrier-2",
               "CallerIDNum": "+212600000002", "Position": "1"}  # fmt: skip
    fake.emit(earlier)
    await eventually(
        lambda: bool(live.state.queues.get("q-ar") and live.state.queues["q-ar"].callers),
        timeout_s=5,
        what="a caller waiting in q-ar",
    )
    booked = await http.post("/callbacks", json=booking(datetime.now(UTC)), headers=auth[Role.AGI])
    callback_id = booked.json()["id"]
    response = await http.post(
        "/agents/agent1001/login", json={"skills": {"ar": "native"}}, headers=auth[Role.SUPERVISOR]
    )
    assert response.status_code == 200
    assert await live.dial_due_callbacks() == []  # the caller who joined before still waits: their turn first
    assert not [action for action in fake.actions if action["Action"] == "Originate"]

    fake.emit({**earlier, "Event": "QueueCallerLeave", "Count": "0"})
    await eventually(lambda: not live.state.queues["q-ar"].callers, timeout_s=5, what="q-ar empty")
    await eventually(
        lambda: any(action["Action"] == "Originate" for action in fake.actions), timeout_s=5, what="an Originate"
    )
    [originate] = [action for action in fake.actions if action["Action"] == "Originate"]
    assert (originate["Channel"], originate["Context"], originate["Exten"]) == ("PJSIP/agent1001", "ivr-callback", "s")
    assert originate["Async"] == "true"
    listed = (await http.get("/callbacks", headers=auth[Role.SUPERVISOR])).json()
    assert [(c["id"], c["status"], c["agent"], c["attempts"]) for c in listed] == [
        (callback_id, "dialing", "agent1001", 1)
    ]

    fake.emit({"Event": "UserEvent", "UserEvent": "IvrCallback", "Id": str(callback_id), "Status": "ANSWER"})

    async def done() -> bool:
        return bool((await http.get("/callbacks", headers=auth[Role.SUPERVISOR])).json()[0]["status"] == "done")

    await eventually(done, timeout_s=5, what="callback done")
    # the number may book again once its callback happened
    assert (await http.post("/callbacks", json=booking(datetime.now(UTC)), headers=auth[Role.AGI])).status_code == 201


async def test_an_agent_who_does_not_answer_puts_the_callback_back_in_line(
    http: httpx.AsyncClient, live_app: FastAPI, fake: FakeAmi, auth: dict[Role, dict[str, str]]
) -> None:
    fake.originate_outcome = "Failure"  # the agent's phone rings out
    live = live_of(live_app)
    await http.post("/callbacks", json=booking(datetime.now(UTC)), headers=auth[Role.AGI])
    await http.post("/agents/agent1001/login", json={"skills": {"ar": "native"}}, headers=auth[Role.SUPERVISOR])

    async def back_in_line() -> bool:
        listed = (await http.get("/callbacks", headers=auth[Role.SUPERVISOR])).json()
        return [(c["status"], c["attempts"]) for c in listed] == [("pending", 1)] and not live._dialing

    await eventually(back_in_line, timeout_s=5, what="callback pending again after one attempt")
    # the agent who let it ring out is not rung again at once (the clock does not move in this test)
    assert await live.dial_due_callbacks() == []
    assert len([action for action in fake.actions if action["Action"] == "Originate"]) == 1


async def test_bookings_keep_working_once_postgresql_plans_the_statement_generically(
    http: httpx.AsyncClient, auth: dict[Role, dict[str, str]]
) -> None:
    """Found by schemathesis: after five executions of a prepared statement PostgreSQL may switch to a generic
    plan, and ON CONFLICT could then no longer match the partial index through bound parameters (500)."""
    joined = datetime.now(UTC) + timedelta(hours=1)
    for n in range(12):  # one connection: the app's pool hands the same one to sequential requests
        booked = await http.post("/callbacks", json=booking(joined, f"+21260000010{n:02d}"), headers=auth[Role.AGI])
        assert booked.status_code == 201, (n, booked.text)


async def test_a_callback_that_was_not_answered_waits_before_it_is_dialed_again(
    http: httpx.AsyncClient, live_app: FastAPI, fake: FakeAmi, auth: dict[Role, dict[str, str]], clock: FixedClock
) -> None:
    fake.originate_outcome = "Failure"
    live = live_of(live_app)
    await http.post("/callbacks", json=booking(datetime.now(UTC)), headers=auth[Role.AGI])
    for seat in ("agent1001", "agent1002"):  # a second free agent: only the delay can hold the next attempt back
        await http.post(f"/agents/{seat}/login", json={"skills": {"ar": "native"}}, headers=auth[Role.SUPERVISOR])

    def originates() -> int:
        return len([action for action in fake.actions if action["Action"] == "Originate"])

    await eventually(lambda: originates() == 1 and not live._dialing, timeout_s=5, what="one unanswered attempt")
    assert await live.dial_due_callbacks() == []
    assert originates() == 1
    clock.now += timedelta(seconds=61)  # callback_rules.retry_delay(1) is a minute
    await eventually(lambda: originates() == 2, timeout_s=5, what="the second attempt after the delay")


async def test_a_callback_left_dialing_by_a_lost_api_is_recovered_exactly_once(
    http: httpx.AsyncClient,
    live_app: FastAPI,
    fake: FakeAmi,
    auth: dict[Role, dict[str, str]],
    clock: FixedClock,
    settings: ApiSettings,
) -> None:
    live = live_of(live_app)
    ids = []
    for number in ("+212600000011", "+212600000012"):
        booked = await http.post("/callbacks", json=booking(datetime.now(UTC), number), headers=auth[Role.AGI])
        ids.append(booked.json()["id"])
    for seat in ("agent1001", "agent1002"):
        await http.post(f"/agents/{seat}/login", json={"skills": {"ar": "native"}}, headers=auth[Role.SUPERVISOR])

    async def statuses() -> dict[int, tuple[str, int]]:
        listed = (await http.get("/callbacks", headers=auth[Role.SUPERVISOR])).json()
        return {c["id"]: (c["status"], c["attempts"]) for c in listed}

    async def two_dialing() -> bool:
        return [status for status, _ in (await statuses()).values()].count("dialing") == 2

    await eventually(two_dialing, timeout_s=5, what="two callbacks dialing")
    dialing = [i for i, (status, _) in (await statuses()).items() if status == "dialing"]
    originates = {attempt_of(o["ChannelId"]): o["ChannelId"] for o in fake.actions if o["Action"] == "Originate"}
    assert set(originates) == {(i, 1) for i in dialing}
    # The API "restarts": the UserEvents of both attempts are lost. One attempt's call is still on (its channel
    # is alive); the other ended answered, and Asterisk filed its status in AstDB.
    still_on, answered = dialing
    fake.channels = {originates[(still_on, 1)]}
    fake.astdb[("ivr-callback", originates[(answered, 1)])] = "ANSWER"
    fake.astdb[("ivr-callback", f"ivr-callback-{still_on}-1-1")] = "ANSWER"  # another database's callback
    second = start_app(settings, clock, fake)  # a second API process looks too
    async with second.router.lifespan_context(second):
        await eventually(lambda: live_of(second).ami_status()["status"] == "connected", timeout_s=5, what="AMI")
        assert await live_of(second).recover_callbacks() == []  # within the grace period: nothing lost yet
        clock.now += timedelta(seconds=16)
        live._recovered_at = live_of(second)._recovered_at = None
        results = await asyncio.gather(live.recover_callbacks(), live_of(second).recover_callbacks())
    assert sorted(results[0] + results[1]) == [answered]  # settled once, by one of the two
    assert (await statuses())[answered] == ("done", 1)
    assert (await statuses())[still_on] == ("dialing", 1)

    fake.channels = set()  # the call still on ends, and its h step never ran (Asterisk died): re-queued, once
    clock.now += timedelta(seconds=10)
    live._recovered_at = None
    started = asyncio.get_running_loop().time()
    assert await live.recover_callbacks() == [still_on]
    # AstDB's "not found" is one Error reply: read as such, not after the AMI action timeout (5 s)
    assert asyncio.get_running_loop().time() - started < 3
    live._recovered_at = None
    assert await live.recover_callbacks() == []
    assert (await statuses())[still_on] == ("pending", 1)

"""Agents through the API against the real sandbox Asterisk 22 (issue 6): real SIP calls from SIPp, the API
served by uvicorn with its AMI link to the sandbox, the wallboard in headless Chromium.

Timings as in test_calls.py: keys at 2.0 s (French) and 3.2 s (request type 1), so the caller joins q-fr about
4.5 s after answer. With IVR_RECORD_AMI=DIR set, every AMI event seen is written to DIR/<test>.jsonl: that is
how tests/fixtures/ami/ (the reducer's unit-test transcripts) were recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.ami.service import AmiEnvironment
from callcenter.records import Outcome
from sandbox import process as sandbox_process
from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript
from tests.support.api import serve_api
from tests.support.browser import Browser, launch, require_chromium
from tests.support.database import Database
from tests.support.poll import eventually
from tests.support.ports import free_port

from .conftest import OPEN_AT, AgiServer, Tier

SEAT = "agent1001"
SUPERVISOR_SEAT = "agent1040"  # a supervisor's desk phone is a seat like any other
CALLER = "+33612345678"
KEYS = ((2.0, "3"), (3.2, "1"))


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    require_chromium()


@contextlib.asynccontextmanager
async def running_api(database: Database, ami: AmiEnvironment) -> AsyncIterator[str]:
    """The API with its AMI link to the sandbox, real tokens (not the demo ones); yields its URL."""
    async with serve_api(database.url, demo=False, ami=ami) as api:
        yield api.url


@pytest.fixture
def ami_environment(tier: Tier) -> AmiEnvironment:
    return AmiEnvironment(port=tier.options.ami_port, secret=tier.secret)


@pytest.fixture
async def record_ami(ami: AmiClient, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    directory = os.environ.get("IVR_RECORD_AMI")
    if directory:
        path = Path(directory) / f"{request.node.name}.jsonl"
        path.write_text("".join(json.dumps(event) + "\n" for event in ami.events))


@dataclass
class Phone:
    process: asyncio.subprocess.Process | None


@pytest.fixture
async def agent_phone(tier: Tier, tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Phone]]]:
    """Register seat agent1001's softphone (SIPp, digest auth, 127.0.0.2) and answer one call with a SIPp UAS.
    Unlike conftest's agent_in_queue, it does not touch the queues: the API logs the agent in."""
    phones: list[Phone] = []

    async def start(*, seat: str = SEAT, answers: bool = True) -> Phone:
        port = await tier.register_seat(seat)  # the seat's contact: registered here, answered here
        if not answers:  # registered, but nothing answers behind it (enough to keep callers waiting)
            phone = Phone(None)
            phones.append(phone)
            return phone
        phone = Phone(await tier.answer_once(ip="127.0.0.2", port=port, log=tmp_path / f"{seat}-uas.log"))
        phones.append(phone)
        return phone

    yield start
    for phone in phones:
        if phone.process is not None and phone.process.returncode is None:
            phone.process.kill()
            await phone.process.wait()


@dataclass
class Desk:
    """What every agent test stands on: the sandbox, AMI (recorded with IVR_RECORD_AMI), the seat's phone, the
    staff database and the API's AMI settings."""

    tier: Tier
    ami: AmiClient
    phone: Callable[..., Awaitable[Phone]]
    database: Database
    ami_environment: AmiEnvironment

    def api(self) -> contextlib.AbstractAsyncContextManager[str]:
        """The API with its AMI link to the sandbox; yields its URL."""
        return running_api(self.database, self.ami_environment)

    async def paused_agent(self, api: httpx.AsyncClient, *, reason: str, answers: bool = True) -> None:
        """The seat's phone registered, the agent logged in (French) and paused: callers wait in q-fr."""
        await api.post(f"/agents/{SEAT}/logout")  # astdb may remember older runs
        await self.phone(answers=answers)
        response = await api.post(f"/agents/{SEAT}/login", json={"skills": {"fr": "native"}})
        assert response.status_code == 200, response.text
        await api.post(f"/agents/{SEAT}/pause", json={"reason": reason})


@pytest.fixture
def desk(
    tier: Tier,
    ami: AmiClient,
    record_ami: None,
    agent_phone: Callable[..., Awaitable[Phone]],
    staff_database: Database,
    ami_environment: AmiEnvironment,
) -> Desk:
    return Desk(tier, ami, agent_phone, staff_database, ami_environment)


def _event(kind: str, **match: str) -> Callable[[dict[str, str]], bool]:
    return lambda event: event.get("Event") == kind and all(event.get(k) == v for k, v in match.items())


async def _wallboard_shows(page: Any, expression: str, *, timeout_s: float, what: str) -> float:
    """Seconds until the wallboard satisfied `expression`."""
    started = time.monotonic()
    await page.wait_for(expression, timeout_s=timeout_s, what=what)
    return time.monotonic() - started


CALLER_ON_BOARD = f'document.querySelector(\'[data-queue="q-fr"] li.caller[data-number="{CALLER}"]\') !== null'
NO_CALLER_ON_BOARD = "document.querySelector('[data-queue=\"q-fr\"] li.caller') === null"


def _member_on_board(state: str) -> str:
    """The seat's row of the wallboard's agent grid in that state."""
    return f'document.querySelector(\'#agents tr[data-interface="PJSIP/{SEAT}"][data-state="{state}"]\') !== null'


async def test_agent_logged_in_through_the_api_gets_queued_calls_only_when_unpaused(
    desk: Desk, start_agi: Callable[[str], AgiServer], tmp_path: Path
) -> None:
    tier, ami, staff_database = desk.tier, desk.ami, desk.database
    start_agi(OPEN_AT)
    async with (
        desk.api() as url,
        launch() as browser,
        httpx.AsyncClient(base_url=url, headers=staff_database.bearer(SEAT)) as agent,
    ):
        assert (await agent.post(f"/agents/{SEAT}/logout")).status_code == 200  # astdb may remember older runs
        await desk.phone()
        response = await agent.post(f"/agents/{SEAT}/login", json={"skills": {"fr": "native"}})
        assert [(row["queue"], row["penalty"]) for row in response.json()] == [("q-fr", 0)], response.text
        # what Asterisk itself says, not what our state says
        added = await ami.wait_for(_event("QueueMemberAdded", Interface=f"PJSIP/{SEAT}"), timeout_s=5)
        assert (added["Queue"], added["Penalty"]) == ("q-fr", "0")
        response = await agent.post(f"/agents/{SEAT}/pause", json={"reason": "Formation"})
        assert response.json()[0]["state"] == "paused", response.text
        await ami.wait_for(_event("QueueMemberPause", Interface=f"PJSIP/{SEAT}", Paused="1"), timeout_s=5)

        page = await browser.new_page()
        await page.goto(f"{url}/ui/wallboard.html?lang=fr#token={staff_database.tokens['supervisor']}")
        await page.wait_for(_member_on_board("paused"), timeout_s=10, what="paused agent on the wallboard")

        call = asyncio.create_task(tier.call(CallerScript(caller=CALLER, keys=KEYS, hangup_at=18.0), tmp_path))
        join = await ami.wait_for(_event("QueueCallerJoin", Queue="q-fr"), timeout_s=15, what="QueueCallerJoin")
        seen_after = await _wallboard_shows(page, CALLER_ON_BOARD, timeout_s=1.0, what="caller on the wallboard")
        assert seen_after < 1.0

        # paused: Asterisk offers the call to nobody
        with pytest.raises(TimeoutError):
            await ami.wait_for(_event("AgentCalled", Linkedid=join["Linkedid"]), timeout_s=3, what="AgentCalled")

        assert (await agent.post(f"/agents/{SEAT}/unpause")).status_code == 200
        connect = await ami.wait_for(_event("AgentConnect", Linkedid=join["Linkedid"]), timeout_s=10)
        assert connect["Interface"] == f"PJSIP/{SEAT}"
        # the agent grid shows the seat on the call within a second of Asterisk reporting it answered
        on_call_after = await _wallboard_shows(page, _member_on_board("on_call"), timeout_s=1.0, what="on call")
        assert on_call_after < 1.0
        row = f'#agents tr[data-interface="PJSIP/{SEAT}"]'
        # the call's queue comes with AgentConnect itself, which may land just after the device says "in use"
        await page.wait_for(
            f"document.querySelector('{row} .call-queue').textContent === 'Français'",
            timeout_s=1.0,
            what="the call's queue in the agent grid",
        )
        await page.wait_for(NO_CALLER_ON_BOARD, timeout_s=2, what="nobody waiting")
        view = (await agent.get(f"/agents/{SEAT}")).json()
        assert view["caller"]["number"] == CALLER
        assert (view["caller"]["language"], view["caller"]["request_type"]) == ("fr", "1")

        # a supervisor listens in from their own seat: Asterisk rings it, then ChanSpy attaches to the agent
        await desk.phone(seat=SUPERVISOR_SEAT)
        spy = {"agent": SEAT, "supervisor_seat": SUPERVISOR_SEAT, "mode": "listen"}
        assert (await agent.post("/supervision/spy", json=spy)).status_code == 403  # not for agents
        response = await agent.post("/supervision/spy", json=spy, headers=staff_database.bearer("supervisor"))
        assert response.status_code == 202, response.text
        spying = await ami.wait_for(_event("ChanSpyStart"), timeout_s=10, what="ChanSpyStart")
        assert spying["SpyerChannel"].startswith(f"PJSIP/{SUPERVISOR_SEAT}-")
        assert spying["SpyeeChannel"] == connect["DestChannel"]  # the agent's leg of this call

        result = await call
        assert result.ok, result.output[-2000:]
        await ami.wait_for(_event("AgentComplete", Linkedid=join["Linkedid"]), timeout_s=10)
        await page.wait_for(
            "document.querySelector('[data-queue=\"q-fr\"] .answered').textContent === '1'",
            timeout_s=2,
            what="answered today on the wallboard",
        )
        await page.wait_for(_member_on_board("wrapup"), timeout_s=2, what="agent in wrap-up")
        assert (await agent.post(f"/agents/{SEAT}/logout")).json() == []


async def test_after_an_api_restart_the_live_state_matches_asterisk_again(
    desk: Desk, start_agi: Callable[[str], AgiServer], tmp_path: Path
) -> None:
    start_agi(OPEN_AT)
    async with desk.api() as url, httpx.AsyncClient(base_url=url, headers=desk.database.bearer("supervisor")) as api:
        # a registered but paused seat keeps the caller waiting (with no registered seat, joinempty refuses)
        await desk.paused_agent(api, reason="Réunion", answers=False)
    # the API is down while the caller arrives: nobody folds QueueCallerJoin
    call = asyncio.create_task(desk.tier.call(CallerScript(caller=CALLER, keys=KEYS, hangup_at=14.0), tmp_path))
    try:
        async with launch() as browser:  # started now: the caller waits only 10 s (the tier's queue timeout)
            queued = _event("QueueCallerJoin", Queue="q-fr")
            join = await desk.ami.wait_for(queued, timeout_s=15, what="QueueCallerJoin")
            await _after_restart(desk, join, browser)
    finally:
        await asyncio.wait_for(call, 30)


async def _after_restart(desk: Desk, join: dict[str, str], browser: Browser) -> None:
    """The second API process, started while the caller waits."""
    ami, staff_database = desk.ami, desk.database
    async with desk.api() as url, httpx.AsyncClient(base_url=url, headers=staff_database.bearer("supervisor")) as api:

        async def fr_queue() -> dict[str, Any] | None:
            state = (await api.get("/live/state")).json()
            queues = {queue["name"]: queue for queue in state["queues"]}
            fr = queues.get("q-fr")
            return fr if state["ami"]["status"] == "connected" and fr and fr["waiting"] else None

        fr = await eventually(fr_queue, timeout_s=10, what="resynced state")
        status = await ami.listing("QueueStatus", Queue="q-fr")
        assert status[0]["Response"] == "Success"
        [entry] = [message for message in status if message.get("Event") == "QueueEntry"]
        assert [(c["number"], c["position"]) for c in fr["waiting"]] == [(entry["CallerIDNum"], 1)]
        assert entry["Uniqueid"] == join["Uniqueid"]
        assert abs(fr["waiting"][0]["wait_s"] - int(entry["Wait"])) <= 2
        [member] = fr["members"]
        assert (member["interface"], member["paused_reason"]) == (f"PJSIP/{SEAT}", "Réunion")
        page = await browser.new_page()
        await page.goto(f"{url}/ui/wallboard.html#token={staff_database.tokens['supervisor']}")
        await page.wait_for(CALLER_ON_BOARD, timeout_s=3, what="the waiting caller on the restarted wallboard")
        await page.wait_for(_member_on_board("paused"), timeout_s=1, what="the paused agent on the wallboard")
        await api.post(f"/agents/{SEAT}/logout")


@dataclass
class Globals:
    """Dialplan globals changed for one test (CLI `dialplan set global`), restored afterwards."""

    tier: Tier
    changed: dict[str, str]

    def set(self, name: str, value: str) -> None:
        self.changed.setdefault(name, "")
        sandbox_process.cli(self.tier.paths, f"dialplan set global {name} {value}")


@pytest.fixture
def dialplan_globals(tier: Tier) -> Any:
    changed = Globals(tier, {})
    yield changed
    defaults = {"IVR_QUEUE_ANNOUNCE": "45", "IVR_CARRIER_HOST": '""'}
    for name in changed.changed:
        sandbox_process.cli(tier.paths, f"dialplan set global {name} {defaults.get(name, '')}")


async def test_a_caller_pressing_1_is_called_back_with_the_agent_already_on_the_line(
    desk: Desk,
    start_agi: Callable[[str], AgiServer],
    dialplan_globals: Globals,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tier, ami, staff_database = desk.tier, desk.ami, desk.database
    caller = "+33611111111"
    callee_port = free_port(socket.SOCK_DGRAM)
    dialplan_globals.set("IVR_QUEUE_ANNOUNCE", "4")  # first announcement after 4 s in the queue
    dialplan_globals.set("IVR_CARRIER_HOST", f"127.0.0.1:{callee_port}")  # the "carrier" delivering the callback
    async with desk.api() as url, httpx.AsyncClient(base_url=url, headers=staff_database.bearer("supervisor")) as api:
        # this agi server asks the API for estimates and callbacks, and delivers its call records there
        monkeypatch.setenv("IVR_API_URL", url)
        monkeypatch.setenv("IVR_API_TOKEN", staff_database.tokens["agi"])
        start_agi(OPEN_AT)
        await desk.paused_agent(api, reason="Réunion")

        # joins q-fr at about 4.5 s (the tier's queue timeout is 10 s); after a 4 s slice queue_wait speaks and
        # offers the callback. Keys pressed while in Queue() (music) are ignored, so pressing 1 every second lands
        # in the offer whatever the jitter.
        keys = (*KEYS, (9.5, "1"), (10.5, "1"), (11.5, "1"), (12.5, "1"))
        result = await tier.call(CallerScript(caller=caller, keys=keys, hangup_at=25.0), tmp_path)
        assert result.ok, result.output[-2000:]
        join = await ami.wait_for(_event("QueueCallerJoin", CallerIDNum=caller), timeout_s=5)
        linkedid = join["Linkedid"]
        offer = await ami.wait_for(
            lambda e: e.get("Event") == "AGIExecStart" and e.get("Linkedid") == linkedid
            and "callback_offer" in e.get("Command", ""),
            timeout_s=5, what="the callback offer",
        )  # fmt: skip
        assert offer["Channel"] == join["Channel"]

        async def record() -> dict[str, Any] | None:
            response = await api.get(f"/calls/{linkedid}")
            return response.json() if response.status_code == 200 else None

        stored = await eventually(record, timeout_s=15, what="the call record in the API")
        assert stored["outcome"] == Outcome.CALLBACK.value  # callbacks are in the call records

        callbacks = (await api.get("/callbacks")).json()
        assert [(c["number"], c["queue"], c["status"]) for c in callbacks] == [(caller, "q-fr", "pending")]
        assert callbacks[0]["linkedid"] == linkedid  # the callback points at the call record that booked it
        # the callback keeps the caller's place: it carries the time they first joined the queue
        joined_at = datetime.fromisoformat(callbacks[0]["joined_at"]).timestamp()
        assert abs(joined_at - float(join["Timestamp"])) < 1.5
        # app_queue logged the slice that ended for the offer as an abandon; the wallboard knows better
        fr = next(queue for queue in (await api.get("/live/state")).json()["queues"] if queue["name"] == "q-fr")
        assert (fr["offered_today"], fr["callbacks_today"], fr["abandoned_today"]) == (1, 1, 0)

        # the paused agent gets nothing; once unpaused, the agent is rung first, then the caller
        callee = await tier.answer_once(ip="127.0.0.1", port=callee_port, log=tmp_path / "callee-uas.log", timeout_s=60)
        try:
            assert (await api.post(f"/agents/{SEAT}/unpause")).status_code == 200
            agent_up = await ami.wait_for(
                lambda e: e.get("Event") == "Newstate" and e.get("Channel", "").startswith(f"PJSIP/{SEAT}-")
                and e.get("ChannelStateDesc") == "Up",
                timeout_s=10, what="the agent answering the callback",
            )  # fmt: skip
            dial = await ami.wait_for(
                lambda e: e.get("Event") == "DialBegin" and e.get("Channel") == agent_up["Channel"],
                timeout_s=5, what="the caller being dialed from the agent's call",
            )  # fmt: skip
            assert dial["DestChannel"].startswith("PJSIP/carrier-")
            assert ami.events.index(agent_up) < ami.events.index(dial)  # agent on the line first
            answered = await ami.wait_for(
                lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == agent_up["Channel"], timeout_s=10
            )
            assert answered["DialStatus"] == "ANSWER"
            await ami.action("Hangup", Channel=answered["DestChannel"])  # the caller hangs up after the talk
            done = await ami.wait_for(_event("UserEvent", UserEvent="IvrCallback"), timeout_s=10)
            assert (done["Id"], done["Status"]) == (str(callbacks[0]["id"]), "ANSWER")

            async def callback_done() -> bool:
                return bool((await api.get("/callbacks")).json()[0]["status"] == "done")

            await eventually(callback_done, timeout_s=5, what="callback marked done")
        finally:
            if callee.returncode is None:
                callee.kill()
            await callee.wait()
            await api.post(f"/agents/{SEAT}/logout")

"""The agent's day and the request desk in headless Chromium, against the API (uvicorn) fed by a fake AMI on
loopback: the desk lists and filters the requests of my queues, plays a voice message (a real WAV), answers a
request; the agent page shows the caller card from the ring, opens the disposition form when the call ends, and
the request it opens shows in the desk with its deadline. The WebRTC call itself: the softphone's tests."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.ami.service import AmiEnvironment
from api.request_config import RequestConfig
from api.request_rules import due_at
from tests.fake_ami import FakeAmi
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Browser, Page, launch
from tests.support.database import Database


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    async with FakeAmi(queues=("q-ar", "q-fr")) as server:
        yield server


@pytest.fixture
async def api(staff_database: Database, fake: FakeAmi, request_config: RequestConfig) -> AsyncIterator[LiveApi]:
    ami = AmiEnvironment(port=fake.port, secret=fake.secret)
    async with serve_api(staff_database.url, request_config, demo=False, ami=ami) as served:
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launch() as browser:
        yield browser


def bearer(database: Database, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {database.tokens[name]}"}


def write_wav(path: Path, seconds: float = 1.5) -> None:
    """A real 8 kHz 16-bit mono WAV (a 440 Hz tone), as Asterisk's Record() writes with format wav."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


async def voicemail(client: httpx.AsyncClient, database: Database, linkedid: str, **fields: Any) -> str:
    record = {
        "linkedid": linkedid,
        "caller_number": "+33612345678",
        "started_at": datetime.now(UTC).isoformat(),
        "outcome": "voicemail",
        "route": "voicemail",
        "language": "fr",
        "voicemail_path": f"/var/spool/elsewhere/{linkedid}",  # outside the recordings directory: never served
        **fields,
    }
    posted = await client.post("/calls", json=record, headers=bearer(database, "agi"))
    assert posted.status_code in {200, 201}, posted.text
    listing = await client.get("/requests", params={"due": "all"}, headers=bearer(database, "supervisor"))
    return next(str(item["reference"]) for item in listing.json()["items"] if item["linkedid"] == linkedid)


async def log_in(client: httpx.AsyncClient, database: Database, skills: dict[str, str]) -> None:
    me = bearer(database, "agent1001")
    response = await client.post("/agents/agent1001/login", json={"skills": skills}, headers=me)
    assert response.status_code == 200, response.text


async def until_listed(page: Page, references: list[str], what: str) -> None:
    """Wait until the desk lists exactly these requests, in this order."""
    expected = ",".join(references)
    await page.wait_for(
        f"[...document.querySelectorAll('#requests li')].map((li) => li.dataset.reference).join() === '{expected}'",
        what=what,
    )


async def choose(page: Page, select: str, value: str) -> None:
    await page.evaluate(f"document.getElementById('{select}').value = '{value}'")
    await page.evaluate("document.getElementById('filters').dispatchEvent(new Event('change'))")


async def test_the_desk_lists_my_queues_filters_plays_the_message_answers_and_calls_back(
    api: LiveApi, staff_database: Database, request_config: RequestConfig, fake: FakeAmi, browser: Browser
) -> None:
    write_wav(request_config.recordings_dir / "vm-fr.wav")
    recording = str(request_config.recordings_dir / "vm-fr")
    # chose "status of a request" in the queue: a type outside the complaint workflow, answered on this desk
    mine = await voicemail(api.client, staff_database, "b.1", voicemail_path=recording, route="queue", request_type=2)
    long_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    late = await voicemail(api.client, staff_database, "b.2", started_at=long_ago)
    await voicemail(api.client, staff_database, "b.3", language="ar", started_at=long_ago)  # not my queue
    await log_in(api.client, staff_database, {"fr": "native"})
    page = await browser.new_page()
    await page.goto(f"{api.url}/ui/requests.html?lang=fr#token={staff_database.tokens['agent1001']}")
    await until_listed(page, [late, mine], "my queues: French, by deadline")
    await choose(page, "filter-language", "")
    await until_listed(page, [late, mine], "every language I may see: the Arabic request is not of my queues")
    assert await page.evaluate(f"document.querySelector('[data-reference=\"{late}\"]').classList.contains('overdue')")
    await choose(page, "filter-due", "overdue")
    await until_listed(page, [late], "overdue only")
    await choose(page, "filter-language", "ar")
    await until_listed(page, [], "no Arabic request for me")
    await choose(page, "filter-language", "fr")
    await choose(page, "filter-due", "open")
    await until_listed(page, [late, mine], "French, open")
    # the late one (no type chosen: the first, under the complaint workflow) moves on /complaints only
    await page.evaluate(f"document.querySelector('[data-reference=\"{late}\"] button').click()")
    await page.wait_for(f"document.getElementById('request').dataset.reference === '{late}'", what="the complaint")
    assert await page.evaluate("document.getElementById('answer-form').classList.contains('hidden')")
    notice = "document.getElementById('answer-workflow')"
    shown = f"!{notice}.classList.contains('hidden') && {notice}.textContent.includes('réclamations')"
    assert await page.evaluate(shown)
    await page.evaluate(f"document.querySelector('[data-reference=\"{mine}\"] button').click()")
    await page.wait_for(f"document.getElementById('request').dataset.reference === '{mine}'", what="the request open")
    duration = await page.wait_for(
        "document.getElementById('recording').duration > 0 && document.getElementById('recording').duration",
        what="the voice message loaded",
    )
    assert 1.4 < duration < 1.6
    assert not await page.evaluate("document.getElementById('answer-form').classList.contains('hidden')")
    assert await page.evaluate("document.getElementById('answer-workflow').classList.contains('hidden')")
    await page.evaluate("document.getElementById('answer-status').value = 'answered'")
    await page.evaluate("document.getElementById('answer-text').value = 'Les conditions vous ont été envoyées.'")
    await page.evaluate("document.querySelector('#answer-form button').click()")
    await page.wait_for("document.getElementById('request').dataset.status === 'answered'", what="answered")
    await page.wait_for(
        "[...document.querySelectorAll('#request-history li')].some((li) => li.textContent.includes('envoyées'))",
        what="the answer in the history",
    )
    stored = (await api.client.get(f"/requests/{mine}", headers=bearer(staff_database, "agent1001"))).json()
    assert stored["status"] == "answered"
    assert stored["history"][-1]["note"] == "Les conditions vous ont été envoyées."
    assert stored["history"][-1]["actor"] == "agent1001"
    await page.evaluate("document.getElementById('call-back').click()")
    await page.wait_for(
        "document.getElementById('call-back-result').textContent.includes('+33612345678')", what="the seat rung"
    )
    originate = [action for action in fake.actions if action["Action"] == "Originate"]
    assert [(action["Channel"], action["Context"]) for action in originate] == [("PJSIP/agent1001", "ivr-callback")]


async def test_the_desk_in_arabic_fits_a_phone_and_a_supervisor_sees_every_language(
    api: LiveApi, staff_database: Database, browser: Browser
) -> None:
    await voicemail(api.client, staff_database, "p.1", language="ar")
    await log_in(api.client, staff_database, {"ar": "native"})
    page = await browser.new_page(phone=True)
    await page.goto(f"{api.url}/ui/requests.html?lang=ar#token={staff_database.tokens['agent1001']}")
    await page.wait_for("document.querySelectorAll('#requests li').length === 1", what="my request in Arabic")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.evaluate("document.querySelector('h1 [data-t]').textContent") == "الطلبات"
    await page.evaluate("document.querySelector('#requests li button').click()")
    await page.wait_for("!document.getElementById('request').classList.contains('hidden')", what="the request")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    french = await voicemail(api.client, staff_database, "p.2", language="fr")
    supervisor = await browser.new_page()
    await supervisor.goto(f"{api.url}/ui/requests.html?lang=en#token={staff_database.tokens['supervisor']}")
    await supervisor.wait_for("document.querySelectorAll('#requests li').length === 2", what="every language")
    assert await supervisor.evaluate("document.querySelector('h1 [data-t]').textContent") == "Requests"
    listed = "[...document.querySelectorAll('#requests li')].map((li) => li.dataset.reference)"
    assert french in await supervisor.evaluate(listed)


async def test_a_disposition_opens_a_request_that_the_desk_shows_with_its_deadline(
    api: LiveApi, staff_database: Database, fake: FakeAmi, request_config: RequestConfig, browser: Browser
) -> None:
    await log_in(api.client, staff_database, {"fr": "native"})
    fake.variables.update({
        ("PJSIP/carrier-00000021", "IVR_LANG"): "fr",
        ("PJSIP/carrier-00000021", "IVR_REQUEST_TYPE"): "2",
        ("PJSIP/carrier-00000021", "IVR_REFERENCE"): "",
    })  # fmt: skip
    page = await browser.new_page()
    await page.goto(f"{api.url}/ui/agent.html?lang=fr#token={staff_database.tokens['agent1001']}")
    await page.wait_for("document.querySelector('#day-queues li[data-queue=\"q-fr\"]')", what="my day, in q-fr")
    ring = {"Queue": "q-fr", "Interface": "PJSIP/agent1001", "MemberName": "agent1001",
            "Channel": "PJSIP/carrier-00000021", "CallerIDNum": "+33698765432", "Uniqueid": "1795401000.7",
            "Linkedid": "1795401000.7"}  # fmt: skip
    fake.emit({"Event": "AgentCalled", **ring})
    await page.wait_for("document.getElementById('caller-card').dataset.ringing === 'true'", what="the ring")
    assert await page.evaluate("document.getElementById('caller-number').textContent") == "+33698765432"
    assert await page.evaluate("document.getElementById('caller-request').textContent") == (
        "Suivi d'une demande déposée"
    )
    fake.emit({"Event": "AgentConnect", **ring, "HoldTime": "4"})
    await page.wait_for("document.getElementById('caller-card').dataset.ringing === 'false'", what="answered")
    await page.wait_for("document.getElementById('day').dataset.state === 'on_call'", what="on a call in my day")
    fake.emit({"Event": "AgentComplete", **ring, "TalkTime": "42", "Reason": "agent"})
    await page.wait_for(
        "!document.getElementById('disposition').classList.contains('hidden')"
        " && document.getElementById('disposition').dataset.linkedid === '1795401000.7'",
        what="the disposition form",
    )
    await page.evaluate("""(() => {
        const outcome = document.getElementById('disposition-outcome');
        outcome.value = 'callback_needed';
        outcome.dispatchEvent(new Event('change'));
        document.getElementById('disposition-note').value = 'rappeler avant vendredi';
        document.getElementById('disposition-description').value = 'suivi du dossier de passeport';
    })()""")
    assert await page.evaluate("document.getElementById('disposition-open-request').checked")
    assert await page.evaluate("document.getElementById('disposition-type').value") == "2"  # from the IVR
    await page.evaluate("document.getElementById('disposition-save').click()")
    reference = await page.wait_for(
        "document.getElementById('disposition-result').dataset.reference", what="the request opened"
    )
    shown_due = await page.evaluate("document.getElementById('disposition-result').dataset.due")
    stored = (await api.client.get(f"/requests/{reference}", headers=bearer(staff_database, "agent1001"))).json()
    kind = request_config.callcenter.request_type("2")
    assert kind is not None
    expected = due_at(request_config.calendar, kind, datetime.fromisoformat(stored["created_at"]))
    assert datetime.fromisoformat(shown_due) == datetime.fromisoformat(stored["due_at"]) == expected
    assert (stored["source"], stored["linkedid"], stored["caller_number"]) == (
        "disposition", "1795401000.7", "+33698765432"
    )  # fmt: skip
    await page.goto(f"{api.url}/ui/requests.html?lang=fr")  # same tab: the token stays in sessionStorage
    await page.wait_for(f"document.querySelector('#requests li[data-reference=\"{reference}\"]')", what="in the desk")
    assert await page.evaluate(f"document.querySelector('[data-reference=\"{reference}\"]').dataset.due") == shown_due

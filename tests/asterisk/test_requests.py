"""Requests and surveys through real calls (issue 7): the sandbox Asterisk, our FastAGI server and the API
served by uvicorn on loopback, with its own throw-away database.

Timings (conftest): prompts are 0.3 s tones, menus wait 2 s for a key, the reference entry 4 s per key. The
API runs on the real clock; the agi server at a fixed instant (--at), and requests take the call's instants.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.request_config import RequestConfig
from api.security.tokens import DEMO_TOKENS, Role
from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript
from tests.support import browser
from tests.support.api import LiveApi, serve_api
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import throwaway_database
from tests.support.poll import eventually

from .conftest import CLOSED_AT, OPEN_AT, Agent, AgiServer, Tier, linkedid_of, sounds_heard

StartAgi = Callable[[str], AgiServer]
CASABLANCA = ZoneInfo("Africa/Casablanca")


@dataclass
class RunningApi(LiveApi):
    async def call(self, linkedid: str, *, timeout_s: float = 20.0, until: str = "") -> dict[str, Any]:
        """The stored call record (the agi outbox delivers it in the background), polled until the deadline."""

        async def stored() -> dict[str, Any]:
            response = await self.client.get(f"/calls/{linkedid}", headers=self.auth(Role.SUPERVISOR))
            body: dict[str, Any] = response.json() if response.status_code == 200 else {}
            return body if body and (not until or body.get(until) is not None) else {}

        found: dict[str, Any] = await eventually(stored, timeout_s=timeout_s, what=f"call {linkedid} stored")
        return found

    async def request_of(self, linkedid: str) -> dict[str, Any]:
        listing = await self.client.get("/requests", params={"due": "all"}, headers=self.auth(Role.SUPERVISOR))
        assert listing.status_code == 200, listing.text
        found = [item for item in listing.json()["items"] if item["linkedid"] == linkedid]
        assert len(found) == 1, listing.json()
        item: dict[str, Any] = found[0]
        return item


@pytest.fixture(scope="module")
def api_database() -> Iterator[str]:
    with throwaway_database("ivr_tier") as url:
        yield url


@pytest.fixture
async def api(tier: Tier, api_database: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningApi]:
    request_config = RequestConfig(
        callcenter=request_desk_callcenter(tier.callcenter_path), recordings_dir=tier.recordings_dir
    )
    async with serve_api(api_database, request_config) as live:
        # the agi server started next talks to this API: outbox delivery, references, status lookups
        monkeypatch.setenv("IVR_API_URL", live.url)
        monkeypatch.setenv("IVR_API_TOKEN", DEMO_TOKENS[Role.AGI])
        yield RunningApi(url=live.url, client=live.client)


def fresh(directory: Path) -> Path:
    directory.mkdir()
    return directory


def reference_keys(reference: str, start: float, step: float = 0.4) -> tuple[tuple[float, str], ...]:
    keys = [(round(start + step * index, 2), digit) for index, digit in enumerate(reference)]
    return (*keys, (round(start + step * len(reference), 2), "#"))


async def test_after_hours_voicemail_becomes_a_request_whose_status_a_caller_can_hear(
    tier: Tier, api: RunningApi, start_agi: StartAgi, ami: AmiClient, tmp_path: Path
) -> None:
    closed = start_agi(CLOSED_AT)
    # French at 2 s; after-hours message; instructions, beep; 7 s of speech from 4 s; '#' ends the message.
    script = CallerScript(caller="+33698765400", keys=((2.0, "3"), (11.5, "#")), speak_at=4.0, hangup_at=25.0)
    result = await tier.call(script, fresh(tmp_path / "voicemail"))
    assert result.ok, result.output[-3000:]
    linkedid = linkedid_of(ami.events, script.caller)

    record = await api.call(linkedid)
    assert record["outcome"] == "voicemail" and record["voicemail_path"]
    request = await api.request_of(linkedid)
    reference = request["reference"]
    # Monday 21:30 in Casablanca: the 72 business hours start Tuesday 08:00 and end the next Tuesday 20:00.
    assert datetime.fromisoformat(request["due_at"]) == datetime(2026, 12, 1, 20, 0, tzinfo=CASABLANCA)
    assert request["type_key"] == "service_conditions" and request["language"] == "fr"
    assert request["status"] == "new" and request["has_recording"]

    # The caller heard that reference, digit by digit, in French (the channel language picks sounds/fr/).
    heard = sounds_heard(ami.events, linkedid)
    start = heard.index("ivr/request_reference_is")
    assert heard[start + 1 : start + 9] == [f"ivr/num_{digit}" for digit in reference]

    # Staff play the real recording through the API (an agent: only when in the request's queue, tests/db).
    audio = await api.client.get(f"/requests/{reference}/recording", headers=api.auth(Role.SUPERVISOR))
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF" and len(audio.content) > 16000
    denied = await api.client.get(f"/requests/{reference}/recording", headers=api.auth(Role.AGI))
    assert denied.status_code == 403

    # Next morning the caller keys that reference under request type 2 and hears its status.
    closed.process.terminate()
    closed.process.wait(timeout=10)
    start_agi(OPEN_AT)
    script = CallerScript(caller="+33698765401", keys=((2.0, "3"), (3.2, "2"), *reference_keys(reference, 4.2)),
                          hangup_at=10.5)  # fmt: skip
    result = await tier.call(script, fresh(tmp_path / "status"))
    assert result.ok, result.output[-3000:]
    status_linkedid = linkedid_of(ami.events, script.caller)
    heard = sounds_heard(ami.events, status_linkedid)
    assert "ivr/request_status_new" in heard, heard
    assert "ivr/request_not_found" not in heard and "ivr/request_status_unavailable" not in heard
    status_call = await api.call(status_linkedid)
    assert status_call["reference"] == reference and status_call["request_type"] == 2

    # Staff answer it: the next caller hears the new status.
    moved = await api.client.post(f"/requests/{reference}/status", json={"status": "answered"},
                                  headers=api.auth(Role.SUPERVISOR))  # fmt: skip
    assert moved.status_code == 200, moved.text
    script = CallerScript(caller="+33698765402", keys=((2.0, "3"), (3.2, "2"), *reference_keys(reference, 4.2)),
                          hangup_at=10.5)  # fmt: skip
    result = await tier.call(script, fresh(tmp_path / "status-answered"))
    assert result.ok, result.output[-3000:]
    heard = sounds_heard(ami.events, linkedid_of(ami.events, script.caller))
    assert "ivr/request_status_answered" in heard, heard

    # The ministry's CSV for that evening counts the call, its message and the request it opened.
    evening = {"group_by": "language", "from": "2026-11-23T21:00:00+01:00", "to": "2026-11-24T00:00:00+01:00"}
    exported = await api.client.get("/reports/ministry.csv", params=evening, headers=api.auth(Role.SUPERVISOR))
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert rows["fr"]["calls_offered"] == "1" and rows["fr"]["voicemails"] == "1", exported.text
    assert rows["fr"]["requests_opened"] == "1" and rows["fr"]["requests_overdue"] == "0", exported.text


async def test_survey_rating_keyed_after_the_agent_hangs_up_is_stored_with_the_call(
    tier: Tier,
    api: RunningApi,
    start_agi: StartAgi,
    ami: AmiClient,
    agent_in_queue: Callable[..., Awaitable[Agent]],
    tmp_path: Path,
) -> None:
    start_agi(OPEN_AT)
    agent = await agent_in_queue("q-fr")
    # French, request type 1, an agent answers; the test hangs the agent up; the caller presses 4 every second
    # (the survey is one menu of about 2.6 s that starts once the agent is gone: the first press inside it rates
    # the call, the others reach the agent or the thanks), and hangs up after the survey said goodbye.
    keys = ((2.0, "3"), (3.2, "1"), *((at, "4") for at in (4.5, 5.5, 6.5, 7.5, 8.5, 9.5)))
    script = CallerScript(caller="+33612340000", keys=keys, hangup_at=20.0)
    call = asyncio.create_task(tier.call(script, tmp_path))
    connect = await ami.wait_for(lambda e: e.get("Event") == "AgentConnect", timeout_s=15, what="AgentConnect")
    linkedid = connect["Linkedid"]
    hangup = await ami.action("Hangup", Channel=connect["DestChannel"])
    assert hangup.get("Response") == "Success", hangup
    result = await call
    assert result.ok, result.output[-3000:]
    assert await agent.finished(timeout_s=10) == 0

    heard = sounds_heard(ami.events, linkedid)
    assert "ivr/survey_question" in heard and "ivr/survey_thanks" in heard, heard
    record = await api.call(linkedid, until="survey_rating")
    assert record["survey_rating"] == 4
    assert record["outcome"] == "answered" and record["agent"] == agent.interface

    # The report counts the rating (the only rated call of this tier's database) in the CSV and on the page.
    exported = await api.client.get("/reports/ministry.csv", params={"group_by": "none"},
                                    headers=api.auth(Role.SUPERVISOR))  # fmt: skip
    (total,) = csv.DictReader(io.StringIO(exported.text))
    assert (total["surveys"], total["satisfaction_average"]) == ("1", "4.0"), exported.text
    if browser.unavailable_reason() is None:
        async with browser.launch() as chromium:
            page = await chromium.new_page()
            await page.goto(f"{api.url}/ui/reports.html?group_by=none#token={DEMO_TOKENS[Role.SUPERVISOR]}")
            await page.wait_for("document.body.dataset.loaded === 'true'", timeout_s=15)
            shown = await page.evaluate(
                "document.querySelector('#table tbody tr[data-key=all] td[data-column=satisfaction_average]')"
                ".textContent"
            )
            assert shown == "4"

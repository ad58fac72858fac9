"""Call records through the API, with the API down while the calls happen (issue 4): real SIP calls through the
sandbox Asterisk, our FastAGI server spooling to its outbox, then the API started and every call found exactly
once through GET /calls, with the right fields, hostile caller IDs stored as given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.request_config import RequestConfig
from api.security.tokens import DEMO_TOKENS, Role
from callcenter.loading import load_callcenter
from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript
from tests.support.api import LiveApi, serve_api
from tests.support.database import throwaway_database
from tests.support.poll import eventually
from tests.support.ports import free_port

from .conftest import OPEN_AT, AgiServer, Tier, linkedid_of

StartAgi = Callable[[str], AgiServer]
HOSTILE_NAME = 'Amal"); DROP TABLE calls; -- <script>alert(1)</script> &amp;'


async def _stored_calls(api: LiveApi, linkedids: set[str]) -> dict[str, dict[str, Any]]:
    """The calls of `linkedids` GET /calls lists, or {} while some are missing."""
    response = await api.client.get("/calls", params={"limit": 100}, headers=api.auth(Role.SUPERVISOR))
    assert response.status_code == 200, response.text
    found = {item["linkedid"]: item for item in response.json()["items"] if item["linkedid"] in linkedids}
    return found if set(found) == linkedids else {}


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database("ivr_outage") as url:
        yield url


async def test_calls_made_while_the_api_is_down_are_stored_once_when_it_returns(
    tier: Tier,
    start_agi: StartAgi,
    ami: AmiClient,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    monkeypatch.setenv("IVR_API_URL", f"http://127.0.0.1:{port}")  # nothing listens there yet
    monkeypatch.setenv("IVR_API_TOKEN", DEMO_TOKENS[Role.AGI])
    server = start_agi(OPEN_AT)

    scripts = [
        CallerScript(caller="+33612340001", caller_name=HOSTILE_NAME, hangup_at=2.0),
        CallerScript(caller="anonymous", caller_name="", hangup_at=2.0),
        CallerScript(caller="+34911220003", keys=((2.0, "5"), (3.2, "1")), hangup_at=5.0),
    ]
    for index, script in enumerate(scripts):
        work = tmp_path / f"call-{index}"
        work.mkdir()
        result = await tier.call(script, work)
        assert result.ok, result.output[-3000:]
    linkedids = [linkedid_of(ami.events, script.caller or "anonymous") for script in scripts]
    for linkedid in linkedids:
        await server.record_for(linkedid)  # spooled by call_end although the API is unreachable
    assert len(server.outbox.records()) == 3

    request_config = RequestConfig(callcenter=load_callcenter(tier.callcenter_path), recordings_dir=tier.recordings_dir)
    async with serve_api(database_url, request_config, port=port) as api:
        stored = await eventually(
            lambda: _stored_calls(api, set(linkedids)), timeout_s=30, what=f"the calls {linkedids} in GET /calls"
        )
        await eventually(lambda: not server.outbox.records(), timeout_s=10, what="the agi outbox to drain")

    hostile, anonymous, spanish = (stored[linkedid] for linkedid in linkedids)
    assert all(record["deliveries"] == 1 for record in stored.values()), stored
    # Stored exactly as Asterisk holds it: PJSIP keeps the quoted-pair backslash of the SIP display name (AMI shows
    # the same value with its own escaping on top: Amal\\\").
    assert hostile["caller_name"] == HOSTILE_NAME.replace('"', '\\"')
    assert hostile["caller_number"] == "+33612340001"
    assert hostile["outcome"] == "abandoned_ivr"
    assert hostile["language"] == "fr"  # preselected from +33 though the caller left before choosing
    assert anonymous["caller_number"] == ""
    assert anonymous["outcome"] == "abandoned_ivr"
    assert spanish["language"] == "es"
    assert spanish["route"] == "queue"
    assert spanish["queue"] == "q-es"
    assert spanish["request_type"] == 1
    assert spanish["dialed_number"] == "0800100200"

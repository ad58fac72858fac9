"""Type-ahead and short silent paths through the real Asterisk (issue 11): SIPp callers press keys at awkward
instants (RFC 2833 events, timed from the answer) and what they reached is read back through GET /calls.

Tier prompts (conftest): the greeting is a GREETING_SECONDS tone, every other prompt a PROMPT_SECONDS tone; a menu
waits DIGIT_TIMEOUT_S after its last prompt, the short language offer `offer_timeout_s` (2 s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.request_config import RequestConfig
from api.security.tokens import DEMO_TOKENS, Role
from callcenter.loading import load_callcenter
from sandbox.ami import AmiClient
from sandbox.journey import Journey, journeys_from_log, log_size, read_log_from
from sandbox.sipp import CallerScript
from tests.support.api import LiveApi, serve_api
from tests.support.database import throwaway_database
from tests.support.poll import eventually
from tests.support.ports import free_port

from .conftest import (
    CLOSED_AT,
    DIGIT_TIMEOUT_S,
    GREETING_SECONDS,
    OPEN_AT,
    PROMPT_SECONDS,
    AgiServer,
    Tier,
    place_call,
)

StartAgi = Callable[[str], AgiServer]
OFFER_TIMEOUT_S = 2.0  # callcenter.toml [menu] offer_timeout_s, unchanged by the tier
ANSWER_WAIT_S = 0.5  # Answer() waits up to this for the caller's first audio frame; SIPp sends none


async def stored_call(api: LiveApi, linkedid: str, timeout_s: float = 20.0) -> dict[str, Any]:
    async def listed() -> dict[str, Any] | None:
        response = await api.client.get("/calls", params={"limit": 100}, headers=api.auth(Role.SUPERVISOR))
        assert response.status_code == 200, response.text
        return next((dict(item) for item in response.json()["items"] if item["linkedid"] == linkedid), None)

    return await eventually(listed, timeout_s=timeout_s, what=f"call {linkedid} in GET /calls", interval_s=0.1)


def answered_at(events: list[dict[str, str]], linkedid: str) -> float:
    for event in events:
        if (
            event.get("Event") == "Newstate"
            and event.get("Linkedid") == linkedid
            and event.get("ChannelStateDesc") == "Up"
        ):
            return float(event["Timestamp"])
    raise AssertionError(f"no answer seen for {linkedid}")


def seconds_on_line(call: dict[str, Any]) -> float:
    """From the flow's start (IVR_STARTED, just after the answer) to the hangup, as stored."""
    return (datetime.fromisoformat(call["ended_at"]) - datetime.fromisoformat(call["started_at"])).total_seconds()


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database("ivr_typeahead") as url:
        yield url


@pytest.fixture
async def api(tier: Tier, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    port = free_port()
    monkeypatch.setenv("IVR_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("IVR_API_TOKEN", DEMO_TOKENS[Role.AGI])
    request_config = RequestConfig(callcenter=load_callcenter(tier.callcenter_path), recordings_dir=tier.recordings_dir)
    async with serve_api(database_url, request_config, port=port) as live:
        yield live


async def started(start_agi: StartAgi, at: str, api: LiveApi) -> AgiServer:
    """`ivr agi` started, then the API warmed: it shares this test's event loop, which start_agi blocks while the
    agi server starts, and the flow gives the caller's remembered language only 0.3 s before the greeting. A
    cold API (its first database connection, requests queued while blocked) would delay the greeting past the
    first scripted key, which Asterisk drops while no AGI command runs: a test artefact, not a caller's case."""
    server = start_agi(at)
    headers = {"Authorization": f"Bearer {DEMO_TOKENS[Role.AGI]}"}
    warm = await api.client.get("/callers/+32000000000/language", headers=headers)
    assert warm.status_code in (200, 404), warm.text
    return server


async def place(tier: Tier, ami: AmiClient, script: CallerScript, work: Path) -> tuple[str, Journey]:
    """Place the call; its linkedid and its journey as Asterisk logged it."""
    work.mkdir(parents=True, exist_ok=True)
    offset = log_size(tier.paths)
    linkedid = await place_call(tier, ami, script, work)
    journeys = journeys_from_log(read_log_from(tier.paths, offset))
    assert script.caller in journeys, f"Asterisk logged no answer for {script.caller}"
    return linkedid, journeys[script.caller]


# (what the caller does, the language and request type they must reach). Greeting menu: the greeting, then the
# "another language" hint; a language key ends it, and the request-type menu starts within milliseconds.
TYPE_AHEAD = {
    "during the greeting at 0.5 s": ("+32611000019", ((0.5, "4"), (2.0, "3")), "en", 3),
    "during the greeting at 1.5 s": ("+32611000029", ((1.5, "4"), (2.5, "3")), "en", 3),
    "at the greeting's end": ("+32611000039", ((GREETING_SECONDS, "4"), (GREETING_SECONDS + 1.0, "3")), "en", 3),
    "two keys 200 ms apart": ("+97412000049", ((1.0, "3"), (1.2, "1")), "fr", 1),
    "the other-languages key then a language": ("+33612000059", ((0.5, "9"), (1.0, "8"), (2.0, "3")), "de", 3),
}


@pytest.mark.parametrize("case", list(TYPE_AHEAD))
async def test_no_key_is_lost_whenever_it_is_pressed(
    case: str, tier: Tier, start_agi: StartAgi, ami: AmiClient, api: LiveApi, tmp_path: Path
) -> None:
    caller, keys, language, request_type = TYPE_AHEAD[case]
    server = await started(start_agi, OPEN_AT, api)
    linkedid, _ = await place(tier, ami, CallerScript(caller=caller, keys=keys, hangup_at=keys[-1][0] + 2.5), tmp_path)
    call = await stored_call(api, linkedid)
    reached = (call["language"], call["request_type"], call["route"])
    assert reached == (language, request_type, "queue"), server.log()[-2000:]
    assert call["stage"] == "transfer"
    # nobody serves the queue (JOINEMPTY): the caller is in the voicemail flow when hanging up, as scripted
    assert abs(seconds_on_line(call) - (keys[-1][0] + 2.5)) < 1.0, call


async def test_a_silent_caller_with_a_known_language_reaches_the_queue_on_the_short_path(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, api: LiveApi, tmp_path: Path
) -> None:
    await started(start_agi, OPEN_AT, api)
    linkedid, journey = await place(tier, ami, CallerScript(caller="+33612000069", hangup_at=9.0), tmp_path)
    # greeting + hint, the offer's wait; the request menu and its wait; the transfer prompt; nothing repeated.
    # Asterisk's log times it from Answer(), which waits up to 0.5 s for the caller's first audio frame.
    expected = GREETING_SECONDS + PROMPT_SECONDS + OFFER_TIMEOUT_S + PROMPT_SECONDS + DIGIT_TIMEOUT_S + PROMPT_SECONDS
    assert journey.queue_at is not None, journey
    assert expected < journey.queue_at < expected + ANSWER_WAIT_S + 0.5, journey
    call = await stored_call(api, linkedid)
    assert (call["language"], call["route"], call["queue"], call["request_type"]) == ("fr", "queue", "q-fr", None)
    assert call["stage"] == "transfer"


async def test_a_silent_caller_after_hours_hears_the_closed_notice_right_after_the_greeting(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, api: LiveApi, tmp_path: Path
) -> None:
    await started(start_agi, CLOSED_AT, api)
    hangup_at = ANSWER_WAIT_S + GREETING_SECONDS + PROMPT_SECONDS / 2  # while the closed notice plays
    linkedid, journey = await place(tier, ami, CallerScript(caller="+33612000079", hangup_at=hangup_at), tmp_path)
    closed = journey.first("ivr/after_hours")
    assert closed is not None and GREETING_SECONDS <= closed < GREETING_SECONDS + ANSWER_WAIT_S + 0.3, journey
    call = await stored_call(api, linkedid)
    assert (call["language"], call["route"], call["stage"], call["outcome"]) == (
        "fr",
        None,
        "after_hours",
        "after_hours",
    )
    assert abs(seconds_on_line(call) - hangup_at) < 1.0, call


async def test_a_silent_caller_after_hours_leaves_a_message_of_the_default_subject(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, api: LiveApi, tmp_path: Path
) -> None:
    await started(start_agi, CLOSED_AT, api)
    # greeting menu (greeting, notice, hint, 2 s), subject menu (2 prompts, 2 s), then the voicemail flow
    in_voicemail = GREETING_SECONDS + 2 * PROMPT_SECONDS + OFFER_TIMEOUT_S + 2 * PROMPT_SECONDS + DIGIT_TIMEOUT_S
    script = CallerScript(caller="+33612000089", speak_at=in_voicemail + 1.5, hangup_at=in_voicemail + 4.5)
    linkedid, _ = await place(tier, ami, script, tmp_path)
    call = await stored_call(api, linkedid)
    assert (call["route"], call["request_type"], call["outcome"]) == ("voicemail", 3, "voicemail")


async def test_after_hours_the_subject_key_types_the_message(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, api: LiveApi, tmp_path: Path
) -> None:
    await started(start_agi, CLOSED_AT, api)
    # "4" during the greeting: English; "2" half a second later lands in the subject menu (the closed notice again,
    # in English, then the subject): a message about a request already filed.
    script = CallerScript(caller="+33612000099", keys=((1.0, "4"), (1.5, "2")), speak_at=4.0, hangup_at=7.0)
    linkedid, _ = await place(tier, ami, script, tmp_path)
    call = await stored_call(api, linkedid)
    assert (call["language"], call["route"], call["request_type"]) == ("en", "voicemail", 2)

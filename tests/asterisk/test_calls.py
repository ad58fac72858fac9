"""Real SIP calls through the sandbox Asterisk 22 into the FastAGI flows (issue 3).

Timings: the greeting is a 2 s tone, every other prompt a 0.3 s tone, and a menu waits 2 s for a key (conftest).
Asterisk's Answer() waits up to 0.5 s for the caller's first audio frame (SIPp sends none), so the greeting menu
plays from about 0.5 s; a key at 2 s lands in it, and the request-type key 1.2 s later in the next menu.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

from callcenter.records import Outcome, Route
from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript

from .conftest import CLOSED_AT, OPEN_AT, Agent, AgiServer, Tier, place_call, sounds_heard, variables_set

StartAgi = Callable[[str], AgiServer]


def _ended(event: dict[str, str], linkedid: str) -> bool:
    """call_end finished on this call (the hangup handler's AGI returned)."""
    return (
        event.get("Event") == "AGIExecEnd"
        and event.get("Linkedid") == linkedid
        and "call_end" in event.get("Command", "")
    ) or (event.get("Event") == "Hangup" and event.get("Linkedid") == linkedid)


def _audio_seconds(recording: Path) -> float:
    assert recording.is_file(), f"Asterisk wrote no {recording}"
    with wave.open(str(recording)) as audio:
        frames: int = audio.getnframes()
        rate: int = audio.getframerate()
    return frames / rate


async def test_french_caller_choosing_request_type_1_reaches_an_agent_in_q_fr(
    tier: Tier,
    start_agi: StartAgi,
    ami: AmiClient,
    agent_in_queue: Callable[..., Awaitable[Agent]],
    tmp_path: Path,
) -> None:
    server = start_agi(OPEN_AT)
    agent = await agent_in_queue("q-fr")
    script = CallerScript(caller="+33612345678", keys=((2.0, "3"), (3.2, "1")), hangup_at=12.0)
    call = asyncio.create_task(tier.call(script, tmp_path))

    join = await ami.wait_for(lambda e: e.get("Event") == "QueueCallerJoin", timeout_s=15, what="QueueCallerJoin")
    assert join["Queue"] == "q-fr"
    linkedid = join["Linkedid"]
    connect = await ami.wait_for(
        lambda e: e.get("Event") == "AgentConnect" and e.get("Linkedid") == linkedid,
        timeout_s=10,
        what="AgentConnect",
    )
    assert connect["Queue"] == "q-fr"
    assert connect["Interface"] == agent.interface

    result = await call
    assert result.ok, result.output[-3000:]
    assert await agent.finished(timeout_s=10) == 0, agent.output_path.read_text(errors="replace")[-3000:]

    values = variables_set(ami.events, linkedid)
    assert values["IVR_LANG"][-1] == "fr"
    assert values["IVR_ROUTE"][-1] == "queue"
    assert values["IVR_QUEUE"][-1] == "q-fr"
    assert values["IVR_REQUEST_TYPE"][-1] == "1"
    record = await server.record_for(linkedid)
    assert record.outcome is Outcome.ANSWERED
    assert record.queue == "q-fr"
    assert record.language == "fr"
    assert record.request_type == 1
    assert record.agent == agent.interface
    assert record.caller_number == "+33612345678"


async def test_spanish_caller_pressing_nothing_gets_spanish(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, tmp_path: Path
) -> None:
    server = start_agi(OPEN_AT)
    # The greeting menu (greeting, "another language: 9", 2 s) once, then the request-type menu: hang up in it.
    script = CallerScript(caller="+34911222333", hangup_at=6.0)
    linkedid = await place_call(tier, ami, script, tmp_path)
    await ami.wait_for(lambda e: _ended(e, linkedid), timeout_s=10, what="end of the call")
    values = variables_set(ami.events, linkedid)
    assert values["IVR_LANG"][-1] == "es"
    record = await server.record_for(linkedid)
    assert record.language == "es"
    assert record.outcome is Outcome.ABANDONED_IVR
    assert record.stage == "request_type_menu"
    assert "ivr/no_input" not in sounds_heard(ami.events, linkedid)


async def test_after_hours_caller_leaves_a_voicemail(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, tmp_path: Path
) -> None:
    server = start_agi(CLOSED_AT)
    # French at 2 s (in the greeting menu, which holds the after-hours notice); "2" at 3 s in the subject menu;
    # voicemail instructions and beep; 7 s of speech from 4 s; hang up.
    script = CallerScript(caller="+33698765432", keys=((2.0, "3"), (3.0, "2")), speak_at=4.0, hangup_at=13.0)
    linkedid = await place_call(tier, ami, script, tmp_path)
    record = await server.record_for(linkedid)
    assert record.outcome is Outcome.VOICEMAIL
    assert record.route is Route.VOICEMAIL
    assert record.voicemail_path
    assert record.request_type == 2  # the subject chosen after hours
    values = variables_set(ami.events, linkedid)
    assert values["IVR_ROUTE"][-1] == "voicemail"
    assert values["IVR_CLOSED"]
    heard = sounds_heard(ami.events, linkedid)
    order = [heard.index(name) for name in ("ivr/after_hours", "ivr/message_subject", "ivr/voicemail_instructions")]
    assert order == sorted(order), heard

    seconds = _audio_seconds(Path(f"{record.voicemail_path}.wav"))
    assert seconds > 2.0, f"the recording holds {seconds:.1f} s of audio"


async def test_caller_hanging_up_in_the_language_menu_is_recorded_as_abandoned_ivr(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, tmp_path: Path
) -> None:
    server = start_agi(OPEN_AT)
    script = CallerScript(caller="+33611111111", hangup_at=2.0)
    linkedid = await place_call(tier, ami, script, tmp_path)
    record = await server.record_for(linkedid)
    assert record.outcome is Outcome.ABANDONED_IVR
    assert record.route is None
    values = variables_set(ami.events, linkedid)
    assert values["IVR_STAGE"][-1] == "language_menu"
    assert "IVR_ROUTE" not in values


async def test_invalid_keys_get_retries_then_the_preselected_default(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, tmp_path: Path
) -> None:
    server = start_agi(OPEN_AT)
    # +49 gives German. 0 and * are no language: the first repeats the offer once (invalid choice, "another
    # language: 9"), the second keeps German; the request-type menu follows.
    script = CallerScript(caller="+4930123456", keys=((1.0, "0"), (2.5, "*")), hangup_at=4.0)
    linkedid = await place_call(tier, ami, script, tmp_path)
    record = await server.record_for(linkedid)
    values = variables_set(ami.events, linkedid)
    assert values["IVR_LANG"][-1] == "de"
    assert record.language == "de"
    heard = sounds_heard(ami.events, linkedid)
    assert heard.count("ivr/invalid_choice") == 1
    assert heard[-1] == "ivr/request_type_menu"
    assert record.stage == "request_type_menu"


async def test_queue_timeout_leads_to_voicemail(
    tier: Tier,
    start_agi: StartAgi,
    ami: AmiClient,
    agent_in_queue: Callable[..., Awaitable[Agent]],
    tmp_path: Path,
) -> None:
    server = start_agi(OPEN_AT)
    # An English agent is logged in but never answers: the queue rings in vain until IVR_QUEUE_TIMEOUT (10 s in
    # the tier's call-center file, from about 4.5 s), then the dialplan hands the caller to the voicemail flow.
    await agent_in_queue("q-en", seat=1002, answers=False)
    script = CallerScript(caller="+447700900123", keys=((2.0, "4"), (3.2, "3")), speak_at=16.0, hangup_at=24.0)
    linkedid = await place_call(tier, ami, script, tmp_path)
    join = await ami.wait_for(
        lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Linkedid") == linkedid, timeout_s=1
    )
    assert join["Queue"] == "q-en"
    values = variables_set(ami.events, linkedid)
    assert values["QUEUESTATUS"][-1] == "TIMEOUT"
    assert values["IVR_QUEUE_TIMEOUT"][-1] == "10"
    record = await server.record_for(linkedid)
    assert record.outcome is Outcome.VOICEMAIL
    assert record.queue == "q-en"
    assert record.request_type == 3
    assert "ivr/voicemail_instructions" in sounds_heard(ami.events, linkedid)
    assert _audio_seconds(Path(f"{record.voicemail_path}.wav")) > 2.0

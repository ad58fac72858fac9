"""Replays of AGI traffic recorded between a real Asterisk 22.10 (the sandbox) and `ivr agi`, on SIPp calls.

Captured byte for byte, read chunks as they arrived, with an out-of-tree wire tap on AgiConnection during the
asterisk tier (tests/asterisk/test_calls.py). They pin down what res_agi really does: the environment comes in
two reads; on a hangup the -1 reply comes first and `HANGUP` only later, just before the next reply.
"""

from __future__ import annotations

import pytest

from ivr.adapters.agi_channel import AgiChannel
from ivr.adapters.agi_session import call_info
from ivr.agi import AgiConnection, Environment, Event, HangupNotice, NeedData, Result
from ivr.channel import ChannelHungUp, RecordOutcome, RecordStatus

from .test_agi_channel import TranscriptExecutor

Transcript = list[tuple[str, bytes]]

HANGUP_IN_LANGUAGE_MENU: Transcript = [
    ("asterisk", (
        b'agi_network: yes\n'
        b'agi_network_script: inbound\n'
        b'agi_request: agi://127.0.0.1:52145/inbound\n'
        b'agi_channel: PJSIP/carrier-00000000\n'
        b'agi_language: en\n'
        b'agi_type: PJSIP\n'
        b'agi_uniqueid: 1795401109.0\n'
        b'agi_version: 22.10.1+dfsg+~cs6.17.60671434-1\n'
        b'agi_callerid: +33611111111\n'
        b'agi_calleridname: Caller\n'
        b'agi_callingpres: 0\n'
        b'agi_callingani2: 0\n'
        b'agi_callington: 0\n'
        b'agi_callingtns: 0\n'
        b'agi_dnid: 0800100200\n'
        b'agi_rdnis: unknown\n'
        b'agi_context: ivr-inbound\n'
    )),
    ("asterisk", (
        b'agi_extension: s\n'
        b'agi_priority: 5\n'
        b'agi_enhanced: 0.0\n'
        b'agi_accountcode: \n'
        b'agi_threadid: 140595489191616\n'
        b'\n'
    )),
    ("server", b'SET VARIABLE "IVR_STARTED" "1795424400.639"\n'),
    ("asterisk", b'200 result=1\n'),
    ("server", b'ANSWER\n'),
    ("asterisk", b'200 result=0\n'),
    ("server", b'STREAM FILE "fr/ivr/greeting" ""\n'),
    ("asterisk", b'200 result=0 endpos=2400\n'),
    ("server", b'STREAM FILE "fr/ivr/language_option" "31245678"\n'),
    ("asterisk", b'200 result=0 endpos=2400\n'),
    ("server", b'STREAM FILE "ar/ivr/language_option" "31245678"\n'),
    ("asterisk", b'200 result=0 endpos=2400\n'),
    ("server", b'STREAM FILE "zgh/ivr/language_option" "31245678"\n'),
    ("asterisk", b'200 result=0 endpos=2400\n'),
    ("server", b'STREAM FILE "en/ivr/language_option" "31245678"\n'),
    ("asterisk", b'200 result=0 endpos=2400\n'),
    ("server", b'STREAM FILE "es/ivr/language_option" "31245678"\n'),
    ("asterisk", b'200 result=-1 endpos=160\n'),
    ("server", b'SET VARIABLE "IVR_LANG" "ar"\n'),
    ("asterisk", b'HANGUP\n'),
    ("asterisk", b'200 result=1\n'),
    ("server", b'SET VARIABLE "IVR_STAGE" "language_menu"\n'),
    ("asterisk", b'200 result=1\n'),
]
CALLER_HANGS_UP_WHILE_RECORDING: Transcript = [
    ("asterisk", (
        b'agi_network: yes\n'
        b'agi_network_script: voicemail\n'
        b'agi_request: agi://127.0.0.1:52145/voicemail\n'
        b'agi_channel: PJSIP/carrier-00000003\n'
        b'agi_language: fr\n'
        b'agi_type: PJSIP\n'
        b'agi_uniqueid: 1795401125.3\n'
        b'agi_version: 22.10.1+dfsg+~cs6.17.60671434-1\n'
        b'agi_callerid: +33698765432\n'
        b'agi_calleridname: Caller\n'
        b'agi_callingpres: 0\n'
        b'agi_callingani2: 0\n'
        b'agi_callington: 0\n'
        b'agi_callingtns: 0\n'
        b'agi_dnid: 0800100200\n'
        b'agi_rdnis: unknown\n'
        b'agi_context: ivr-voicemail\n'
    )),
    ("asterisk", (
        b'agi_extension: s\n'
        b'agi_priority: 1\n'
        b'agi_enhanced: 0.0\n'
        b'agi_accountcode: \n'
        b'agi_threadid: 140595488679616\n'
        b'\n'
    )),
    ("server", b'GET VARIABLE "CHANNEL(linkedid)"\n'),
    ("asterisk", b'200 result=1 (1795401125.3)\n'),
    ("server", b'STREAM FILE "ivr/voicemail_instructions" ""\n'),
    ("asterisk", b'200 result=0 endpos=2400\n'),
    ("server", (
        b'RECORD FILE "/var/lib/callcenter-ivr/sandbox-2316ae2071/spool/ivr-recordings/tie'
        b'r-9433/2026/11/1795401125.3" wav "#" 180000 BEEP s=5\n'
    )),
    ("asterisk", b'200 result=-1 (hangup) endpos=56640\n'),
    ("server", (
        b'SET VARIABLE "IVR_VOICEMAIL" "/var/lib/callcenter-ivr/sandbox-2316ae2071/spool/i'
        b'vr-recordings/tier-9433/2026/11/1795401125.3"\n'
    )),
    ("asterisk", b'HANGUP\n'),
    ("asterisk", b'200 result=1\n'),
]


def replay(transcript: Transcript) -> list[Event]:
    """Feed Asterisk's chunks and our commands to a connection in recorded order; check our bytes match."""
    connection = AgiConnection()
    seen: list[Event] = []
    for side, data in transcript:
        if side == "server":
            assert connection.send_command(data.decode().removesuffix("\n")) == data
            continue
        connection.receive_data(data)
        while not isinstance(event := connection.next_event(), NeedData):
            seen.append(event)
    return seen


def test_hangup_in_the_language_menu_replays_cleanly() -> None:
    seen = replay(HANGUP_IN_LANGUAGE_MENU)
    environment = seen[0]
    assert isinstance(environment, Environment)
    assert (environment.script, environment.get("agi_version")) == ("inbound", "22.10.1+dfsg+~cs6.17.60671434-1")
    assert seen[-4:] == [Result("-1", None, {"endpos": "160"}), HangupNotice(), Result("1"), Result("1")]


def test_caller_hanging_up_while_recording_replays_cleanly() -> None:
    seen = replay(CALLER_HANGS_UP_WHILE_RECORDING)
    assert Result("-1", "hangup", {"endpos": "56640"}) in seen


async def test_channel_maps_the_recorded_voicemail_replies() -> None:
    replies = [data for side, data in CALLER_HANGS_UP_WHILE_RECORDING[3:] if side == "asterisk"]
    replies[-2:] = [replies[-2] + replies[-1]]  # HANGUP and the reply arrive while SET VARIABLE is pending
    executor = TranscriptExecutor(*replies)
    environment = replay(CALLER_HANGS_UP_WHILE_RECORDING[:2])[0]
    assert isinstance(environment, Environment)
    channel = AgiChannel(executor, call_info(environment))
    path = "/var/lib/callcenter-ivr/sandbox-2316ae2071/spool/ivr-recordings/tier-9433/2026/11/1795401125.3"
    assert await channel.get_variable("CHANNEL(linkedid)") == "1795401125.3"
    assert await channel.play("ivr/voicemail_instructions") == ""
    outcome = await channel.record(path, max_seconds=180, silence_seconds=5)
    assert outcome == RecordOutcome(RecordStatus.HANGUP)
    await channel.set_variable("IVR_VOICEMAIL", path)
    assert channel.hung_up
    recorded = [data.decode().removesuffix("\n") for side, data in CALLER_HANGS_UP_WHILE_RECORDING if side == "server"]
    assert executor.sent == recorded
    assert channel.info.caller_number == "+33698765432"


async def test_channel_stops_after_the_recorded_menu_hangup() -> None:
    replies = [data for side, data in HANGUP_IN_LANGUAGE_MENU[2:] if side == "asterisk"]
    # After STREAM FILE's -1 the channel probes with CHANNEL STATUS (recorded later than this transcript): on the
    # dead channel Asterisk sends the pending HANGUP notice, then 511.
    probe_at = replies.index(b"200 result=-1 endpos=160\n") + 1
    replies[probe_at:] = [b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n"]
    executor = TranscriptExecutor(*replies)
    channel = AgiChannel(executor, call_info(Environment({"agi_network_script": "inbound"})))
    await channel.set_variable("IVR_STARTED", "1795424400.639")
    await channel.answer()
    assert await channel.play("fr/ivr/greeting") == ""
    for language in ("fr", "ar", "zgh", "en"):
        assert await channel.play(f"{language}/ivr/language_option", escape_digits="31245678") == ""
    with pytest.raises(ChannelHungUp):
        await channel.play("es/ivr/language_option", escape_digits="31245678")
    assert channel.hung_up

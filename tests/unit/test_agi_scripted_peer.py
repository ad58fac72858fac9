"""The scripted Asterisk peer itself: tests lean on it, so it must fail loudly when a script is not followed."""

from __future__ import annotations

import asyncio

import pytest

from ivr.testing import ScriptedAsterisk, agi_environment, encode_environment, live_channel_reply


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ('STREAM FILE "x" ""', "200 result=0 endpos=8000"),
        ('GET DATA "x" 3000 4', "200 result= (timeout)"),
        ('GET VARIABLE "X"', "200 result=0"),
        ('GET FULL VARIABLE "${X}"', "200 result=0"),
        ('RECORD FILE "/tmp/x" wav "#" 1000', "200 result=0 (timeout) endpos=16000"),
        ('SET VARIABLE "X" "1"', "200 result=1"),
        ("ANSWER", "200 result=0"),
    ],
)
def test_live_channel_replies(command: str, reply: str) -> None:
    assert live_channel_reply(command) == reply


def test_environment_encoding_keeps_raw_bytes() -> None:
    environment = agi_environment("inbound", network=False, agi_calleridname=b"Jos\xe9")
    data = encode_environment(environment)
    assert data.endswith(b"\n\n")
    assert b"agi_calleridname: Jos\xe9\n" in data
    assert b"agi_network" not in data
    assert b"agi_request: /usr/share/asterisk/agi-bin/inbound\n" in data


async def test_mismatched_commands_are_recorded_and_replies_still_sent() -> None:
    peer = ScriptedAsterisk(b"agi_network_script: x\n\n", script=[("ANSWER", "200 result=0")])
    received: list[bytes] = []

    async def agi_side(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\n\n")
        writer.write(b"HANGUP\n")  # not what the script expects
        received.append(await reader.readline())
        writer.close()

    server = await asyncio.start_server(agi_side, "127.0.0.1", 0)
    async with server:
        await peer.call_tcp("127.0.0.1", server.sockets[0].getsockname()[1], timeout_s=5)
    assert peer.commands == ["HANGUP"]
    assert peer.mismatches == ["step 0: expected 'ANSWER', got 'HANGUP'"]
    assert received == [b"200 result=0\n"]


async def test_a_process_that_never_exits_is_killed_at_the_deadline() -> None:
    peer = ScriptedAsterisk(agi_environment("x"))
    with pytest.raises(TimeoutError):
        await peer.call_process(["sleep", "30"], timeout_s=0.3)
    assert peer.process_id is not None

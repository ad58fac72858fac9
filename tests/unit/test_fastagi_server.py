"""The FastAGI server over real loopback TCP, driven by the scripted Asterisk peer; flows are test-local."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ivr.adapters import agi_demo
from ivr.adapters.fastagi_server import FastAgiServer
from ivr.app import serve
from ivr.channel import Channel, ChannelError
from ivr.testing import ScriptedAsterisk, agi_environment

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]


async def ends_with_a_record(channel: Channel, context: object) -> None:
    """Like inbound: media, and a `finally` that still writes what happened."""
    try:
        await channel.answer()
        await channel.play("ivr/greeting")
    finally:
        await channel.set_variable("IVR_STAGE", "greeting")


async def carries_on_after_errors(channel: Channel, context: object) -> None:
    """A flow that falls back to a safe route when a command fails, as inbound does."""
    try:
        await channel.get_variable("CHANNEL(linkedid)")
    except ChannelError:
        await channel.set_variable("IVR_ROUTE", "hangup")


FLOWS: dict[str, Callable[[Channel, agi_demo.DemoContext], Awaitable[None]]] = {
    **agi_demo.FLOWS,
    "ends_with_a_record": ends_with_a_record,
    "carries_on_after_errors": carries_on_after_errors,
}


@contextlib.asynccontextmanager
async def running(**options: Any) -> AsyncIterator[FastAgiServer]:
    server = FastAgiServer(FLOWS, agi_demo.build_context(None), **options)
    await server.start(HOST, 0)
    try:
        yield server
    finally:
        await server.close(grace_s=2)


async def call(server: FastAgiServer, peer: ScriptedAsterisk) -> ScriptedAsterisk:
    await peer.call_tcp(HOST, server.port, timeout_s=5)
    return peer


async def settled(server: FastAgiServer, total: int) -> None:
    """Until the server has finished `total` sessions (it may close its side just after the peer)."""
    await asyncio.wait_for(server.wait_sessions(total), 5)


def echo_peer(digits: str = "42", **environment: str) -> ScriptedAsterisk:
    return ScriptedAsterisk(
        agi_environment("echo") | environment,
        script=[
            ("ANSWER", "200 result=0"),
            ('GET DATA "demo/enter" 3000 4', f"200 result={digits}"),
            (f'SET VARIABLE "DEMO_DIGITS" "{digits}"', "200 result=1"),
            ('SET VARIABLE "DEMO_CALLER"', "200 result=1"),
            ('SET VARIABLE "DEMO_NOW"', "200 result=1"),
        ],
    )


async def test_a_call_runs_its_flow_by_script_name() -> None:
    async with running() as server:
        peer = await call(server, echo_peer())
        await settled(server, 1)
    assert peer.mismatches == []
    assert len(peer.commands) == 5
    assert peer.commands[3] == 'SET VARIABLE "DEMO_CALLER" "+33612345678 Jean Dupont"'
    assert server.outcomes == {"completed": 1}


async def test_non_utf8_caller_name_reaches_the_flow_replaced() -> None:
    async with running() as server:
        peer = ScriptedAsterisk(agi_environment("echo", agi_calleridname=b"Jos\xe9 \x1b[2J"))
        await call(server, peer)
        await settled(server, 1)
    assert peer.commands[3] == 'SET VARIABLE "DEMO_CALLER" "+33612345678 Jos\ufffd [2J"'
    assert server.outcomes == {"completed": 1}


async def test_unknown_script_is_logged_and_the_session_closed(caplog: pytest.LogCaptureFixture) -> None:
    async with running() as server:
        peer = await call(server, ScriptedAsterisk(agi_environment("no_such_flow")))
        await settled(server, 1)
    assert peer.commands == ["VERBOSE \"ivr: no flow named 'no_such_flow'; continuing in the dialplan\" 1"]
    assert server.outcomes == {"unknown_script": 1}
    assert "unknown AGI script 'no_such_flow'" in caplog.text


async def test_caller_hangs_up_mid_prompt_and_the_finally_still_records() -> None:
    peer = ScriptedAsterisk(
        agi_environment("ends_with_a_record"),
        script=[
            ("ANSWER", "200 result=0"),
            ('STREAM FILE "ivr/greeting" ""', "HANGUP\n200 result=-1 endpos=0"),
            ('SET VARIABLE "IVR_STAGE" "greeting"', "200 result=1"),
        ],
    )
    async with running() as server:
        await call(server, peer)
        await settled(server, 1)
    assert peer.mismatches == []
    assert len(peer.commands) == 3
    assert server.outcomes == {"hung_up": 1}


async def test_asterisk_dropping_the_connection_mid_command_is_a_hangup() -> None:
    peer = ScriptedAsterisk(agi_environment("echo"), script=[("ANSWER", "200 result=0"), ("GET DATA", None)])
    async with running() as server:
        await call(server, peer)
        await settled(server, 1)
    assert server.outcomes == {"hung_up": 1}


async def test_a_crashing_flow_never_kills_the_server(caplog: pytest.LogCaptureFixture) -> None:
    async with running() as server:
        await call(server, ScriptedAsterisk(agi_environment("crash")))
        peer = await call(server, echo_peer())
        await settled(server, 2)
    assert server.outcomes == {"crashed": 1, "completed": 1}
    assert peer.mismatches == []
    assert "demo flow failure" in caplog.text


async def test_probes_garbage_and_oversized_lines_then_a_real_call_still_works() -> None:
    async with running(environment_timeout_s=2) as server:
        for _ in range(3):  # TCP health checks: connect and close
            _, writer = await asyncio.open_connection(HOST, server.port)
            writer.close()
        for junk in (b"GET / HTTP/1.1\r\n\r\n", b"\x00\xff" * 10 + b"\n", b"agi_x: " + b"A" * 10000, b"agi_a: 1\n"):
            reader, writer = await asyncio.open_connection(HOST, server.port)
            writer.write(junk)
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(), 5) == b""  # the server closed its side
            writer.close()
        peer = await call(server, echo_peer())
        await settled(server, 8)
    assert peer.mismatches == []
    assert server.outcomes == {"probe": 3, "bad_environment": 4, "completed": 1}


async def test_a_half_environment_that_stalls_is_dropped_at_the_deadline() -> None:
    async with running(environment_timeout_s=0.2) as server:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        writer.write(b"agi_network: yes\nagi_network_scr")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        await settled(server, 1)
    assert server.outcomes == {"bad_environment": 1}


async def test_a_reply_that_never_comes_times_out_and_poisons_the_session() -> None:
    release = asyncio.Event()

    async def never(command: str) -> str | None:
        await release.wait()
        return None

    peer = ScriptedAsterisk(agi_environment("carries_on_after_errors"), script=[("GET VARIABLE", never)])
    async with running(control_timeout_s=0.2) as server:
        conversation = asyncio.create_task(call(server, peer))
        await settled(server, 1)
        release.set()
        await asyncio.wait_for(conversation, 5)
    # The flow's SET VARIABLE after the timeout was refused locally: a late reply must not answer it.
    assert peer.commands == ['GET VARIABLE "CHANNEL(linkedid)"']
    assert server.outcomes == {"channel_error": 1}


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, like a crashed peer or a middlebox dropping the connection."""
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_connection_reset_mid_call_and_mid_environment() -> None:
    async with running() as server:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        writer.write(b"agi_network: yes\nagi_network_script: echo\n\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"ANSWER\n"
        reset(writer)
        reader, writer = await asyncio.open_connection(HOST, server.port)
        writer.write(b"agi_network: yes\n")
        await writer.drain()
        reset(writer)
        await settled(server, 2)
    assert server.outcomes == {"hung_up": 1, "bad_environment": 1}


async def test_many_concurrent_sessions_each_get_their_own_replies() -> None:
    async with running() as server:
        peers = [echo_peer(digits=f"{n:04d}", agi_uniqueid=f"1763860800.{n}") for n in range(200)]
        await asyncio.wait_for(asyncio.gather(*(call(server, peer) for peer in peers)), 30)
        await settled(server, 200)
    assert server.outcomes == {"completed": 200}
    assert all(peer.mismatches == [] for peer in peers)
    assert [peer.commands[2] for peer in peers[:3]] == [
        'SET VARIABLE "DEMO_DIGITS" "0000"',
        'SET VARIABLE "DEMO_DIGITS" "0001"',
        'SET VARIABLE "DEMO_DIGITS" "0002"',
    ]


async def test_graceful_close_lets_a_call_finish_and_refuses_new_ones() -> None:
    reached, release = asyncio.Event(), asyncio.Event()

    async def held(command: str) -> str | None:
        reached.set()
        await release.wait()
        return "200 result=7"

    peer = ScriptedAsterisk(agi_environment("echo"), script=[("ANSWER", "200 result=0"), ("GET DATA", held)])
    server = FastAgiServer(FLOWS, agi_demo.build_context(None))
    await server.start(HOST, 0)
    port = server.port
    conversation = asyncio.create_task(peer.call_tcp(HOST, port, timeout_s=5))
    await asyncio.wait_for(reached.wait(), 5)
    closing = asyncio.create_task(server.close(grace_s=5))
    await asyncio.sleep(0)  # let close() run up to its wait for the calls
    with pytest.raises(ConnectionError):  # the listening socket is gone
        await asyncio.open_connection(HOST, port)
    assert not closing.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(closing, conversation), 5)
    assert server.outcomes["completed"] == 1
    assert peer.commands[2] == 'SET VARIABLE "DEMO_DIGITS" "7"'


async def test_close_cancels_calls_that_outlive_the_grace_period() -> None:
    reached, release = asyncio.Event(), asyncio.Event()

    async def held(command: str) -> str | None:
        reached.set()
        await release.wait()
        return None

    peer = ScriptedAsterisk(agi_environment("echo"), script=[("ANSWER", held)])
    server = FastAgiServer(FLOWS, agi_demo.build_context(None))
    await server.start(HOST, 0)
    conversation = asyncio.create_task(peer.call_tcp(HOST, server.port, timeout_s=5))
    await asyncio.wait_for(reached.wait(), 5)
    await asyncio.wait_for(server.close(grace_s=0.05), 5)
    release.set()
    await asyncio.wait_for(conversation, 5)
    assert server.outcomes == {"cancelled": 1}


async def test_too_many_calls_are_refused() -> None:
    reached, release = asyncio.Event(), asyncio.Event()

    async def held(command: str) -> str | None:
        reached.set()
        await release.wait()
        return "200 result=0"

    async with running(max_calls=1) as server:
        first = ScriptedAsterisk(agi_environment("echo"), script=[("ANSWER", held)])
        conversation = asyncio.create_task(call(server, first))
        await asyncio.wait_for(reached.wait(), 5)
        second = await call(server, echo_peer())
        release.set()
        await asyncio.wait_for(conversation, 5)
        await settled(server, 2)
    assert second.commands == []
    assert server.outcomes == {"refused": 1, "completed": 1}


async def test_serve_answers_calls_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    stop = asyncio.Event()
    listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    context = agi_demo.build_context(None)
    task = asyncio.create_task(
        serve(FLOWS, context, host=HOST, port=0, grace_s=1, stop=stop, on_listening=listening.set_result)
    )
    port = await asyncio.wait_for(listening, 5)
    assert f"FastAGI listening on 127.0.0.1:{port}" in capsys.readouterr().out
    peer = echo_peer()
    await peer.call_tcp(HOST, port, timeout_s=5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert peer.mismatches == []
    assert len(peer.commands) == 5


def test_main_serves_with_a_shifted_clock_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "ivr.app", "--demo", "--port", "0", "--at", "2026-11-23T21:30:00+01:00"]
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # blocks until the server listens (or dies: then it is "")
        assert "FastAGI listening on 127.0.0.1:" in banner, server.stderr.read() if server.stderr else ""
        port = int(banner.rsplit(":", 1)[1])
        peer = echo_peer()
        asyncio.run(peer.call_tcp(HOST, port, timeout_s=5))
        assert peer.commands[4].startswith('SET VARIABLE "DEMO_NOW" "2026-11-23T21:30:0')
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_main_refuses_an_instant_without_timezone() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ivr_cli", "agi", "--demo", "--at", "2026-11-23T21:30:00"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 2
    assert "no timezone" in done.stderr

"""Process AGI: the runner the agi_scripts/ executables call, run as subprocesses against the scripted Asterisk peer.

The scripts serve the real flows; these tests run the same runner with `--demo`, whose small flows test the
adapter and not the call flows.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from ivr.testing import ProcessOutcome, ScriptedAsterisk, agi_environment

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "agi_scripts"
ENV = {"PYTHONPATH": str(REPO)}
RUNNER = [sys.executable, "-m", "ivr.adapters.agi_stdio"]
DEMO_FLOWS = {"inbound": "echo", "call_end": "hangup_handler"}  # what each script's demo stand-in is


async def run_script(name: str, peer: ScriptedAsterisk, *args: str) -> ProcessOutcome:
    """What agi_scripts/<name> does (`main([name, *args])`), with the demo registry in place of the real flows."""
    command = [*RUNNER, "--demo", DEMO_FLOWS[name], *args]
    return await peer.call_process(command, env=ENV, timeout_s=20)


def inbound_peer(**environment: str | bytes) -> ScriptedAsterisk:
    return ScriptedAsterisk(
        agi_environment("inbound", network=False, **environment),
        script=[
            ("ANSWER", "200 result=0"),
            ('GET DATA "demo/enter" 3000 4', "200 result=31 (timeout)"),
            ('SET VARIABLE "DEMO_DIGITS" "31"', "200 result=1"),
            ('SET VARIABLE "DEMO_CALLER"', "200 result=1"),
            ('SET VARIABLE "DEMO_NOW"', "200 result=1"),
        ],
    )


def test_scripts_are_executable_and_thin() -> None:
    for name in ("inbound", "call_end"):
        script = SCRIPTS / name
        assert os.access(script, os.X_OK)
        assert len(script.read_text().splitlines()) <= 10
        assert f'main(["{name}", *sys.argv[1:]])' in script.read_text()


async def test_inbound_script_runs_the_flow_over_stdin_stdout() -> None:
    peer = inbound_peer()
    outcome = await run_script("inbound", peer)
    assert outcome.returncode == 0, outcome.stderr
    assert peer.mismatches == []
    assert peer.commands[3] == 'SET VARIABLE "DEMO_CALLER" "+33612345678 Jean Dupont"'
    assert len(peer.commands) == 5
    assert "ENV LINE" not in outcome.stderr  # pyst2's debug chatter is discarded


async def test_non_utf8_caller_name_does_not_crash_process_agi() -> None:
    peer = inbound_peer(agi_calleridname=b"Jos\xe9\x07")
    outcome = await run_script("inbound", peer)
    assert outcome.returncode == 0, outcome.stderr
    assert peer.commands[3] == 'SET VARIABLE "DEMO_CALLER" "+33612345678 Jos\ufffd"'


async def test_call_end_script_reads_and_writes_variables_on_a_dead_channel() -> None:
    peer = ScriptedAsterisk(
        agi_environment("call_end", network=False),
        script=[
            ('GET VARIABLE "CHANNEL(linkedid)"', "200 result=1 (1763860800.1)"),
            ('SET VARIABLE "DEMO_RECORDED" "1763860800.1"', "200 result=1"),
        ],
    )
    outcome = await run_script("call_end", peer)
    assert outcome.returncode == 0, outcome.stderr
    assert peer.mismatches == []
    assert len(peer.commands) == 2


async def test_caller_hangs_up_mid_command() -> None:
    peer = ScriptedAsterisk(
        agi_environment("inbound", network=False),
        script=[("ANSWER", "200 result=0"), ("GET DATA", "200 result=-1")],
    )
    outcome = await run_script("inbound", peer)
    assert outcome.returncode == 0, outcome.stderr
    assert peer.commands == ["ANSWER", 'GET DATA "demo/enter" 3000 4']
    assert "caller hung up" in outcome.stderr


async def test_sighup_from_asterisk_stops_further_media() -> None:
    # Asterisk signals a process AGI with SIGHUP when the channel hangs up; the reply still comes.
    peer = ScriptedAsterisk(agi_environment("inbound", network=False))

    async def hang_up_then_reply(command: str) -> str:
        assert peer.process_id is not None
        os.kill(peer.process_id, signal.SIGHUP)
        return "200 result=0"

    peer.script = [("ANSWER", hang_up_then_reply)]
    outcome = await run_script("inbound", peer)
    assert outcome.returncode == 0, outcome.stderr
    assert peer.commands == ["ANSWER"]  # GET DATA never left: the channel is known dead


async def test_asterisk_closing_the_pipe_mid_command_ends_the_call() -> None:
    peer = ScriptedAsterisk(agi_environment("inbound", network=False), script=[("ANSWER", None)])
    outcome = await run_script("inbound", peer)
    assert outcome.returncode == 0, outcome.stderr
    assert peer.commands == ["ANSWER"]


async def test_a_stray_hangup_line_is_tolerated_and_garbage_ends_the_call() -> None:
    peer = ScriptedAsterisk(
        agi_environment("inbound", network=False),
        script=[("ANSWER", "HANGUP\n200 result=0"), ("GET DATA", "garbage")],
    )
    outcome = await run_script("inbound", peer)
    assert outcome.returncode == 1
    assert "AGI protocol error" in outcome.stderr
    assert len(peer.commands) == 2


@pytest.mark.parametrize(
    ("args", "returncode", "message"),
    [
        (["--demo", "crash"], 1, "demo flow failure"),
        (["--demo", "no_such_flow"], 1, "unknown AGI flow"),
        ([], 2, "usage"),
        (["--at", "2026-11-23T21:30:00", "echo"], 2, "no timezone"),
    ],
)
async def test_stdio_runner_failures_exit_non_zero(args: list[str], returncode: int, message: str) -> None:
    peer = ScriptedAsterisk(agi_environment("x", network=False))
    outcome = await peer.call_process([*RUNNER, *args], env=ENV)
    assert outcome.returncode == returncode
    assert message in outcome.stderr

"""A configuration change while real SIP calls are in progress (issue 21): `systemctl reload ivr-agi` (SIGHUP)
re-reads the call-center file; the call in progress finishes with the configuration it started with, the next
call gets the new one, and a bad file is refused while the process goes on serving.

The first caller picks French (2.0 s) and request type 1 (4.5 s); the file changes (a closure today, a longer
queue timeout) as soon as its flow has started, well before it hands its route to the dialplan (~5 s).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
from collections.abc import Callable
from pathlib import Path

from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript, run_sipp, write_caller_scenario
from tests.support.poll import eventually
from tests.support.ports import free_media_port, free_port

from .conftest import OPEN_AT, QUEUE_TIMEOUT_S, AgiServer, Tier, linkedid_of, variables_set

RELOADED = "call-center file reloaded"
StartAgi = Callable[..., AgiServer]


def changed(text: str) -> str:
    """The tier's file with the call center closed on OPEN_AT's day and a doubled queue timeout."""
    text, closures = re.subn(
        r"(?m)^closures = \[", 'closures = [ { start = 2026-11-23, reason = "Live change" },', text
    )
    text, timeouts = re.subn(r"(?m)^timeout_s = \S+", f"timeout_s = {QUEUE_TIMEOUT_S * 2}", text)
    assert closures == timeouts == 1, "callcenter.toml changed shape"
    return text


async def test_a_reload_during_a_call_leaves_it_alone_and_applies_to_the_next_call(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, tmp_path: Path
) -> None:
    path = tmp_path / "callcenter.toml"
    path.write_text(tier.callcenter_path.read_text())
    server = start_agi(OPEN_AT, path)
    first = CallerScript(caller="+33612345601", keys=((2.0, "3"), (4.5, "1")), hangup_at=9.0)
    first_dir = tmp_path / "first"
    first_dir.mkdir()
    in_progress = asyncio.create_task(tier.call(first, first_dir))

    await ami.wait_for(
        lambda e: e.get("Event") == "AGIExecStart" and e.get("CallerIDNum") in {"+33612345601", "33612345601"},
        timeout_s=15,
        what="the first call's flow to start",
    )
    first_id = linkedid_of(ami.events, first.caller)
    path.write_text(changed(path.read_text()))
    os.kill(server.process.pid, signal.SIGHUP)
    await eventually(lambda: RELOADED in server.log(), timeout_s=5, what="the agi to reload its file")
    assert "IVR_ROUTE" not in variables_set(ami.events, first_id), "the reload came too late to prove anything"

    second = CallerScript(caller="+33612345602", hangup_at=4.0)
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    next_call = await run_sipp(
        write_caller_scenario(second, second_dir),
        target=tier.sip_target,
        local_port=free_port(socket.SOCK_DGRAM),
        media_port=free_media_port(),
        service=second.dialed,
        timeout_s=25,
    )
    assert next_call.ok, next_call.output[-3000:]
    second_id = linkedid_of(ami.events, second.caller)

    result = await in_progress
    assert result.ok, result.output[-3000:]  # the call in progress went on to its scripted end
    kept = variables_set(ami.events, first_id)
    assert kept["IVR_ROUTE"][-1] == "queue" and "IVR_CLOSED" not in kept
    assert kept["IVR_QUEUE_TIMEOUT"][-1] == str(QUEUE_TIMEOUT_S)  # its own configuration to the end
    record = await server.record_for(first_id)
    assert record.queue == "q-fr"

    def closed_for_the_next_call() -> list[str] | None:
        return variables_set(ami.events, second_id).get("IVR_CLOSED")

    assert await eventually(closed_for_the_next_call, timeout_s=10, what="the next call's IVR_CLOSED") == ["closure"]

    path.write_text("not = [toml")
    os.kill(server.process.pid, signal.SIGHUP)
    await eventually(lambda: "reload refused" in server.log(), timeout_s=5, what="the bad file to be refused")
    assert server.process.poll() is None

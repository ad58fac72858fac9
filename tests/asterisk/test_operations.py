"""Operations with the real parts (issue 13): a real SIP call through the sandbox Asterisk leaves JSON log lines
carrying its linkedid in the agi process's output, and the agi process's metrics endpoint counts its sessions."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript
from tests.support.poll import eventually
from tests.support.ports import free_port

from .conftest import OPEN_AT, AgiServer, Tier, linkedid_of

StartAgi = Callable[[str], AgiServer]


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def completed(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], flow: str) -> float:
    return found.get(("ivr_agi_sessions_total", (("flow", flow), ("result", "completed"))), 0.0)


async def test_a_real_call_logs_json_lines_with_its_linkedid_and_is_counted(
    tier: Tier, start_agi: StartAgi, ami: AmiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics_port = free_port()
    monkeypatch.setenv("IVR_METRICS_PORT", str(metrics_port))
    monkeypatch.setenv("IVR_LOG_FORMAT", "json")
    server = start_agi(OPEN_AT)
    assert f"metrics on http://127.0.0.1:{metrics_port}/metrics" in server.log()
    before = await asyncio.to_thread(scrape, metrics_port)
    assert completed(before, "inbound") == 0 and before[("ivr_agi_calls_in_progress", ())] == 0

    script = CallerScript(caller="+34911222444", hangup_at=6.0)  # presses nothing, hangs up in a menu
    result = await tier.call(script, tmp_path)
    assert result.ok, result.output[-3000:]
    linkedid = linkedid_of(ami.events, script.caller)
    await server.record_for(linkedid)  # call_end ran

    async def counted() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        found = await asyncio.to_thread(scrape, metrics_port)
        return found if completed(found, "call_end") >= 1 else None

    found = await eventually(counted, timeout_s=10, what="call_end counted on the agi metrics endpoint")
    inbound = sum(value for (name, labels), value in found.items() if name == "ivr_agi_sessions_total"
                  and ("flow", "inbound") in labels)  # fmt: skip
    assert inbound == 1  # completed, or hung_up: the caller left in a menu
    assert found[("ivr_agi_calls_in_progress", ())] == 0
    assert found[("ivr_outbox_backlog", ())] == 1  # no API token here: the record waits in the outbox

    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert lines, server.log()[-3000:]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    of_call = [line for line in lines if line.get("linkedid") == linkedid]
    assert any(line["flow"] == "call_end" and "ended" in line["message"] for line in of_call), server.log()[-3000:]
    uniqueids = {line["uniqueid"] for line in of_call}
    assert any(line.get("flow") == "inbound" and line.get("uniqueid") in uniqueids for line in lines)
    assert "34911222444" not in server.log()  # the caller's number never reaches the log in full

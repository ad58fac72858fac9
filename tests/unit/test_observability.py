"""Log lines (callcenter/logs.py) and the agi process's metrics (ivr/observability.py): the formatter, the call
context a FastAGI session binds, masking, the outbox gauges read from a spool, and the endpoint over real HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from callcenter.logs import (
    JsonFormatter,
    LogFormat,
    TextFormatter,
    bind,
    bound,
    configure_logging,
    log_context,
    mask_number,
)
from ivr.adapters.fastagi_server import FastAgiServer
from ivr.channel import Channel
from ivr.delivery import Backlog
from ivr.observability import AgiMetrics, serve_metrics
from ivr.testing import ScriptedAsterisk, agi_environment

flow_log = logging.getLogger("tests.flow")


def record(message: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    made = logging.LogRecord("ivr.test", logging.WARNING, __file__, 1, message, args, exc_info)
    made.__dict__.update(extra)
    return made


def test_a_json_line_has_time_level_logger_message_context_and_extras() -> None:
    with bound(linkedid="1763860800.7", flow="inbound"):
        made = record("caller %s chose %s", "x", "fr", stage="menu", color_message="\x1b[1mcolours\x1b[0m")
        line = json.loads(JsonFormatter().format(made))
    assert line["time"].endswith("+00:00") and line["time"][:2] == "20"
    assert {k: line[k] for k in ("level", "logger", "message", "linkedid", "flow", "stage")} == {
        "level": "warning", "logger": "ivr.test", "message": "caller x chose fr",
        "linkedid": "1763860800.7", "flow": "inbound", "stage": "menu",
    }  # fmt: skip
    assert not {"exception", "args", "msg", "color_message"} & set(line)


def test_an_exception_stays_on_one_line() -> None:
    text = JsonFormatter().format(record("failed", exc=True))
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exception"]


def test_context_is_scoped_and_bind_adds_to_it() -> None:
    assert log_context() == {}
    with bound(uniqueid="1.1"):
        bind(linkedid="1.0")
        assert log_context() == {"uniqueid": "1.1", "linkedid": "1.0"}
    assert log_context() == {}


def test_text_format_for_development_shows_the_context() -> None:
    with bound(linkedid="9.9"):
        text = TextFormatter().format(record("hello", exc=True))
    first, _, rest = text.partition("\n")
    assert first.endswith("WARNING ivr.test: hello [linkedid=9.9]")
    assert "ValueError: boom" in rest
    assert TextFormatter().format(record("plain")).endswith("ivr.test: plain")


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+33612345678", "+336******78"),
        ("0612345678", "061*****78"),
        ("212 6 12 34 56 78", "212 * ** ** ** 78"),
        ("1001", "1001"),
        ("anonymous", "anonymous"),
        ("", ""),
    ],
)
def test_numbers_are_masked(number: str, masked: str) -> None:
    assert mask_number(number) == masked


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("httpx").level)
    configure_logging(LogFormat.JSON, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(saved[2])


def test_configure_logging_sends_every_logger_to_one_stream(captured: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").info("started")
    logging.getLogger("httpx").info("HTTP Request: GET http://api/callers/+33612345678/language")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [("uvicorn.error", "started")]


# -- a FastAGI session binds its call's fields; the agi metrics count it ----------------------------------------


async def reads_linkedid_then_logs(channel: Channel, context: object) -> None:
    flow_log.info("before the linkedid is known")
    await channel.get_variable("CHANNEL(linkedid)")
    flow_log.info("after")


async def crashes(channel: Channel, context: object) -> None:
    raise RuntimeError("a bug")


async def test_every_line_of_a_call_carries_its_fields_and_the_session_is_counted(captured: io.StringIO) -> None:
    metrics = AgiMetrics(["logs", "crashes"])
    server = FastAgiServer({"logs": reads_linkedid_then_logs, "crashes": crashes}, None, metrics=metrics)
    await server.start("127.0.0.1", 0)
    try:
        peer = ScriptedAsterisk(
            agi_environment("logs", agi_uniqueid="1763860800.8"),
            script=[('GET VARIABLE "CHANNEL(linkedid)"', "200 result=1 (1763860800.5)")],
        )
        await peer.call_tcp("127.0.0.1", server.port)
        for script in ("crashes", "no_such_flow"):
            await ScriptedAsterisk(agi_environment(script)).call_tcp("127.0.0.1", server.port)
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)  # a probe: connect, close
        writer.close()
        await asyncio.wait_for(server.wait_sessions(4), 5)
    finally:
        await server.close(grace_s=1)
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    mine = [line for line in lines if line["logger"] == "tests.flow"]
    assert [(line["message"], line["uniqueid"], line["flow"], line.get("linkedid")) for line in mine] == [
        ("before the linkedid is known", "1763860800.8", "logs", None),
        ("after", "1763860800.8", "logs", "1763860800.5"),
    ]
    crash = next(line for line in lines if "crashed" in line["message"])
    assert crash["flow"] == "crashes" and "RuntimeError: a bug" in crash["exception"]
    assert "+33612345678" not in captured.getvalue()
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in metrics.registry.collect()
        for sample in family.samples
    }
    assert found[("ivr_agi_sessions_total", (("flow", "logs"), ("result", "completed")))] == 1
    assert found[("ivr_agi_sessions_total", (("flow", "crashes"), ("result", "crashed")))] == 1
    assert found[("ivr_agi_sessions_total", (("flow", "unknown"), ("result", "unknown_script")))] == 1
    assert found[("ivr_agi_sessions_total", (("flow", "none"), ("result", "probe")))] == 1
    assert found[("ivr_agi_calls_in_progress", ())] == 0


# -- the outbox as its files show it, and the endpoint ---------------------------------------------------------


def spool(directory: Path, name: str, age_s: float, now: float) -> None:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    os.utime(path, (now - age_s, now - age_s))


async def test_the_endpoint_serves_the_metrics_over_http(tmp_path: Path) -> None:
    metrics = AgiMetrics(["inbound"])
    metrics.watch_outbox(lambda: Backlog(count=1, oldest_age_s=12.5, held_in_memory=1, disk_full=True))
    with metrics.call():
        endpoint = serve_metrics(metrics, host="127.0.0.1", port=0)
        try:
            url = f"http://127.0.0.1:{endpoint.port}/metrics"
            body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
        finally:
            endpoint.close()
    values = {s.name: s.value for f in text_string_to_metric_families(body) for s in f.samples if not s.labels}
    assert values["ivr_agi_calls_in_progress"] == 1
    assert values["ivr_outbox_backlog"] == 1 and values["ivr_outbox_rejected"] == 0
    assert values["ivr_outbox_oldest_age_seconds"] == 12.5
    assert (values["ivr_outbox_disk_full"], values["ivr_outbox_held_in_memory"]) == (1, 1)

"""The agi side's API client: outbox delivery and the API-backed language memory, against a fake API
(an httpx transport that answers like the records API and remembers what it was sent)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from callcenter.records import CallRecord, Outcome
from ivr.adapters.api_client import ApiLanguageMemory
from ivr.adapters.outbox import Outbox
from ivr.adapters.record_sender import Backoff, OutboxSender, PassReport, running_sender
from tests.support.poll import eventually

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
TOKEN = "ivr_test_token"


def record(n: int, **fields: object) -> CallRecord:
    values: dict[str, object] = {
        "linkedid": f"1700000000.{n}",
        "caller_number": "+33612345678",
        "started_at": T0 + timedelta(minutes=n),
        "outcome": Outcome.ANSWERED,
    }
    values.update(fields)
    return CallRecord.model_validate(values)


class FakeApi:
    """Answers POST /calls with `status` (or raises `error`); a batch holding a record whose agent is "poison"
    gets 422, one whose agent is `crash_on` gets 500 (a record that breaks the server)."""

    def __init__(self) -> None:
        self.status = 200
        self.error: Exception | None = None
        self.received: list[str] = []  # linkedids of records the fake "stored" (2xx)
        self.requests = 0
        self.authorization: set[str] = set()
        self.crash_on: str | None = None
        self.bodies: list[list[dict[str, object]]] = []  # linkedid, version and outcome of each batch stored

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.authorization.add(request.headers.get("authorization", ""))
        if self.error is not None:
            raise self.error
        body = json.loads(request.content)
        assert isinstance(body, list)  # the sender always posts a batch
        if any(item.get("agent") == "poison" for item in body):
            return httpx.Response(422, json={"detail": [{"loc": ["body", "batch", 0, "agent"]}]})
        if self.crash_on is not None and any(item.get("agent") == self.crash_on for item in body):
            return httpx.Response(500, json={"title": "internal error"})
        if 200 <= self.status < 300:
            self.received += [item["linkedid"] for item in body]
            self.bodies.append([{key: item[key] for key in ("linkedid", "version", "outcome")} for item in body])
        return httpx.Response(self.status, json={"count": len(body)})


def sender_for(outbox: Outbox, api: FakeApi, **options: object) -> OutboxSender:
    return OutboxSender(
        outbox,
        api_url="http://api.test",
        token=TOKEN,
        transport=httpx.MockTransport(api.handle),
        **options,  # type: ignore[arg-type]
    )


async def test_pending_records_go_in_batches_and_leave_the_spool(tmp_path: Path) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    for n in range(7):
        await outbox.put(record(n))
    sender = sender_for(outbox, api, batch_size=3)
    reports = [await sender.send_pending() for _ in range(4)]
    assert [r.sent for r in reports] == [3, 3, 1, 0]
    assert sorted(api.received) == sorted(f"1700000000.{n}" for n in range(7))
    assert outbox.records() == []
    assert api.authorization == {f"Bearer {TOKEN}"}
    await sender.aclose()


@pytest.mark.parametrize("failure", ["status", "connection"])
async def test_a_failed_post_keeps_every_record_for_later(tmp_path: Path, failure: str) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    for n in range(3):
        await outbox.put(record(n))
    if failure == "status":
        api.status = 503
    else:
        api.error = httpx.ConnectError("connection refused")
    sender = sender_for(outbox, api)
    report = await sender.send_pending()
    assert report.failed and report.sent == 0
    assert len(outbox.candidates()) == 3  # still spooled
    assert all(c.state.attempts == 0 for c in outbox.candidates())  # the API being away costs no record a try
    assert api.received == []

    api.status, api.error = 200, None
    assert (await sender.send_pending()).sent == 3
    assert outbox.records() == []
    assert sorted(api.received) == sorted(f"1700000000.{n}" for n in range(3))
    await sender.aclose()


async def test_a_record_the_api_can_never_accept_is_set_aside(tmp_path: Path) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    await outbox.put(record(1))
    await outbox.put(record(2, agent="poison"))
    await outbox.put(record(3))
    sender = sender_for(outbox, api)
    report = await sender.send_pending()
    assert (report.sent, report.rejected, report.failed) == (2, 1, False)
    assert sorted(api.received) == ["1700000000.1", "1700000000.3"]
    assert outbox.records() == []
    assert [name.split("@")[0] for name in outbox.quarantined()] == ["1700000000.2"]
    await sender.aclose()


async def test_a_file_claimed_by_another_sender_is_left_alone(tmp_path: Path) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    await outbox.put(record(1))
    await outbox.put(record(2))
    other_process = Outbox(tmp_path)
    other_process_claim = other_process.claim(outbox.candidates()[0].name)
    assert other_process_claim is not None
    sender = sender_for(outbox, api)
    assert (await sender.send_pending()).sent == 1
    assert len(api.received) == 1
    assert other_process_claim.path.exists()
    other_process.release(other_process_claim)
    await sender.aclose()


def test_backoff_doubles_with_jitter_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(base_delay=1.0, max_delay=8.0, rng=random.Random(7))
    ceilings = [1, 2, 4, 8, 8, 8]
    delays = [backoff.next_delay() for _ in ceilings]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered: no two waits alike
    backoff.reset()
    assert backoff.next_delay() <= 1.0


async def test_run_survives_errors_and_delivers_once_the_api_is_back(tmp_path: Path) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    api.error = RuntimeError("a bug, not a network error")
    await outbox.put(record(1))
    sender = sender_for(outbox, api, idle_interval_s=0.01, backoff=Backoff(base_delay=0.01, max_delay=0.02))
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    await eventually(lambda: api.requests >= 3, timeout_s=5, what="3 tries")
    assert not task.done()
    api.error = None
    await eventually(lambda: api.received == ["1700000000.1"], timeout_s=5, what="the record delivered")
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert outbox.records() == []
    await sender.aclose()


class CountingSender(OutboxSender):
    """Counts its passes over the spool. `run` goes from the end of a pass straight into its idle wait (no await
    in between), so once `passes` has moved, the sender is idle."""

    passes = 0

    async def send_pending(self) -> PassReport:
        report = await super().send_pending()
        self.passes += 1
        return report


async def test_wake_sends_without_waiting_for_the_idle_tick(tmp_path: Path) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    sender = CountingSender(outbox, api_url="http://api.test", token=TOKEN, idle_interval_s=3600,
                            transport=httpx.MockTransport(api.handle))  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    # The record comes after a pass found the spool empty: only wake(), not the first pass, can send it.
    await eventually(lambda: sender.passes >= 1, timeout_s=5, what="a first pass over the empty spool")
    assert api.requests == 0
    await outbox.put(record(5))
    sender.wake()
    await eventually(lambda: api.received == ["1700000000.5"], timeout_s=5, what="the record delivered")
    stop.set()
    await asyncio.wait_for(task, timeout=2)  # stop interrupts the hour-long idle wait
    await sender.aclose()


async def test_shutdown_mid_post_gives_the_records_back_to_the_spool(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    await outbox.put(record(1))
    entered, never = asyncio.Event(), asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        entered.set()
        await never.wait()  # the API accepted the connection and never answers
        return httpx.Response(200)

    sender = OutboxSender(outbox, api_url="http://api.test", token=TOKEN, transport=httpx.MockTransport(hang))
    async with running_sender(sender, shutdown_timeout_s=0.05):
        await asyncio.wait_for(entered.wait(), timeout=5)
        [candidate] = outbox.candidates()
        assert Outbox(tmp_path).claim(candidate.name) is None  # leased while in flight
    [candidate] = outbox.candidates()
    claim = Outbox(tmp_path).claim(candidate.name)  # the lease ended with the sender
    assert claim is not None and claim.path.name == "1700000000.1@0.json"


def memory_with(handler: Callable[[httpx.Request], httpx.Response], timeout_s: float = 0.3) -> ApiLanguageMemory:
    return ApiLanguageMemory(
        api_url="http://api.test", token=TOKEN, timeout_s=timeout_s, transport=httpx.MockTransport(handler)
    )


async def test_the_language_memory_reads_the_api() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/callers/+33612345678/language":
            return httpx.Response(200, json={"caller_number": "+33612345678", "language": "fr"})
        return httpx.Response(404, json={"detail": "none"})

    memory = memory_with(handler)
    assert await memory.recall("+33612345678") == "fr"
    assert await memory.recall("+34999") is None
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert await memory.recall("../../calls") is None  # never builds a path out of a hostile caller ID
    assert len(seen) == 2
    assert await memory.recall("+33?x#y") is None
    assert seen[-1].url.raw_path == b"/callers/+33%3Fx%23y/language"  # quoted: stays one path segment
    await memory.remember("+33612345678", "ar")  # learnt from call records instead: no request
    assert len(seen) == 3
    await memory.aclose()


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


def server_error(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text="oops")


def garbage(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"<html>not json</html>")


def wrong_shape(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"language": ["fr"]})


@pytest.mark.parametrize("handler", [refuse, server_error, garbage, wrong_shape])
async def test_any_api_failure_means_no_remembered_language(
    handler: Callable[[httpx.Request], httpx.Response],
) -> None:
    memory = memory_with(handler)
    assert await memory.recall("+33612345678") is None
    await memory.aclose()


async def test_a_slow_api_costs_at_most_the_timeout() -> None:
    never = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        await never.wait()
        return httpx.Response(200, json={"language": "fr"})

    memory = ApiLanguageMemory(
        api_url="http://api.test", token=TOKEN, timeout_s=0.05, transport=httpx.MockTransport(hang)
    )
    started = time.monotonic()
    assert await memory.recall("+33612345678") is None
    assert time.monotonic() - started < 1.0
    await memory.aclose()

"""The agi side's outbox survives an API outage: records spooled while the API is down are all delivered, each
exactly once, after it comes back. A real uvicorn server on a real loopback port, the real sender, two senders
sharing one spool (two agi processes)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx

from api.config import ApiSettings
from api.main import create_app
from api.security.tokens import Role
from callcenter.records import CallRecord
from ivr.adapters.outbox import Outbox
from ivr.adapters.record_sender import Backoff, OutboxSender
from tests.db.conftest import T0, FixedClock, call
from tests.support.api import ApiServer
from tests.support.poll import eventually


def record(n: int) -> CallRecord:
    return CallRecord.model_validate(call(f"1700001000.{n}", started_at=(T0 + timedelta(minutes=n)).isoformat()))


async def test_records_spooled_during_an_outage_arrive_exactly_once(
    tmp_path: Path, settings: ApiSettings, database_url: str, tokens: dict[Role, str], app: object
) -> None:
    # (`app` only empties the tables before this test)
    api = ApiServer(lambda: create_app(settings, clock=FixedClock(T0 + timedelta(days=1))), graceful_shutdown_s=2,
                    start_timeout_s=15, stop_timeout_s=15)  # fmt: skip
    outbox = Outbox(tmp_path / "outbox")
    senders = [
        OutboxSender(
            outbox,
            api_url=api.url,
            token=tokens[Role.AGI],
            batch_size=4,
            idle_interval_s=0.05,
            backoff=Backoff(base_delay=0.05, max_delay=0.4),
        )
        for _ in range(2)
    ]
    stop = asyncio.Event()
    await api.start()
    running = [asyncio.create_task(sender.run(stop)) for sender in senders]
    try:
        for n in range(5):
            await outbox.put(record(n))
        await eventually(lambda: not outbox.records(), timeout_s=15, what="the first records to be delivered")

        await api.stop()
        for n in range(5, 30):  # calls keep ending while the API is down
            await outbox.put(record(n))
        await eventually(
            lambda: all(s.backoff.failures >= 3 for s in senders),
            timeout_s=15,
            what="both senders to retry against the stopped API",
        )
        assert len(outbox.records()) == 25  # nothing lost, nothing dropped while failing

        await api.start()
        await eventually(lambda: not outbox.records(), timeout_s=20, what="the spool to drain after the outage")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*running), timeout=10)
        for sender in senders:
            await sender.aclose()

    try:
        headers = {"Authorization": f"Bearer {tokens[Role.ADMIN]}"}
        async with httpx.AsyncClient(base_url=api.url, headers=headers) as http:
            found: list[dict[str, object]] = []
            cursor: str | None = None
            for _ in range(10):
                params = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
                page = (await http.get("/calls", params=params)).json()
                found += page["items"]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
    finally:
        await api.stop()
    linkedids = sorted(str(c["linkedid"]) for c in found)
    assert linkedids == sorted(f"1700001000.{n}" for n in range(30))
    assert {c["deliveries"] for c in found} == {1}  # exactly once: no record was posted twice
    assert outbox.quarantined() == {}  # an outage costs no record an attempt


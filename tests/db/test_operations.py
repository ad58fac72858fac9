"""Operations against a real PostgreSQL: /metrics after records arrive, /health with the database refusing
connections and with the AMI link down, one JSON log line per request carrying its request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from api.config import ApiSettings
from api.db import with_database
from api.main import create_app
from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import load_callcenter
from callcenter.logs import LogFormat, configure_logging
from tests.db.conftest import FixedClock, call, live_of, start_app
from tests.fake_ami import FakeAmi
from tests.support.database import database_server, empty_tables, throwaway_database
from tests.support.poll import eventually

Auth = dict[Role, dict[str, str]]
CASABLANCA = ZoneInfo("Africa/Casablanca")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: httpx.AsyncClient, auth: Auth) -> Samples:
    answer = await client.get("/metrics", headers=auth[Role.SUPERVISOR])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(answer.text)


def voicemail(linkedid: str, started: datetime) -> dict[str, object]:
    return call(linkedid, outcome="voicemail", route="voicemail", queue=None, wait_seconds=None, talk_seconds=None,
                started_at=started.isoformat(), voicemail_path=f"/rec/{linkedid}")  # fmt: skip


@pytest.fixture
async def with_requests(app: FastAPI, database_url: str, tmp_path: Path) -> None:
    await empty_tables(database_url, "request_events", "requests")
    app.state.request_config = RequestConfig(callcenter=load_callcenter(), recordings_dir=tmp_path)


async def test_metrics_count_stored_calls_deadlines_and_requests(
    client: httpx.AsyncClient, auth: Auth, clock: FixedClock, with_requests: None
) -> None:
    for record in (
        call("m.1"),
        call("m.2"),
        call("m.3", outcome="abandoned_queue", talk_seconds=None),
        voicemail("m.4", datetime(2026, 11, 23, 21, 30, tzinfo=CASABLANCA)),  # due Tue 1 Dec 20:00
        voicemail("m.5", datetime(2026, 11, 30, 21, 30, tzinfo=CASABLANCA)),  # due Tue 8 Dec 20:00
    ):
        assert (await client.post("/calls", json=record, headers=auth[Role.AGI])).status_code == 200
    assert (await client.post("/calls", json=call("m.1"), headers=auth[Role.AGI])).status_code == 200  # a replay

    clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=CASABLANCA)  # 5 opening hours before m.4's deadline
    found = await scrape(client, auth)
    assert found[("ivr_database_up", ())] == 1
    assert found[("ivr_calls_stored", (("outcome", "answered"),))] == 2
    assert found[("ivr_calls_stored", (("outcome", "abandoned_queue"),))] == 1
    assert found[("ivr_calls_stored", (("outcome", "voicemail"),))] == 2
    assert found[("ivr_calls_stored", (("outcome", "after_hours"),))] == 0  # every outcome has a series
    voicemails = (("type", "service_conditions"),)
    assert found[("ivr_requests_open", voicemails)] == 2
    assert found[("ivr_requests_due_soon", voicemails)] == 1
    assert found[("ivr_requests_overdue", voicemails)] == 0
    assert found[("ivr_requests_open", (("type", "request_status"),))] == 0  # configured types, even empty
    assert found[("ivr_calls_last_received_age_seconds", ())] > 0
    assert found[("ivr_ami_configured", ())] == 0 and found[("ivr_ami_up", ())] == 0
    posted = (("method", "POST"), ("route", "/calls"), ("status", "200"))
    assert found[("ivr_http_requests_total", posted)] == 6

    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=CASABLANCA)
    found = await scrape(client, auth)
    assert found[("ivr_requests_overdue", voicemails)] == 1
    assert found[("ivr_requests_due_soon", voicemails)] == 0
    assert found[("ivr_http_requests_total", (("method", "GET"), ("route", "/metrics"), ("status", "200")))] == 1


async def test_metrics_need_a_supervisor_or_admin_token(client: httpx.AsyncClient, auth: Auth) -> None:
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=auth[Role.AGENT])).status_code == 403
    assert (await client.get("/metrics", headers=auth[Role.AGI])).status_code == 403
    assert (await client.get("/metrics", headers=auth[Role.ADMIN])).status_code == 200
    raw = await client.get("/calls/+33612345678", headers=auth[Role.ADMIN])  # a number in the path ...
    assert raw.status_code in (404, 422)
    text = (await client.get("/metrics", headers=auth[Role.ADMIN])).text
    assert "+3361" not in text and 'route="/calls/{key}"' in text  # ... is counted by its template only


async def test_health_ok_then_the_live_probe(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "up" and body["database"]["latency_ms"] >= 0
    assert body["ami"] == {"status": "not_configured", "link": "not configured", "detail": "", "reconnects": 0}
    assert body["outbox"]["status"] == "unknown" and body["outbox"]["last_record_received_at"] is None
    assert (await client.get("/health/live")).json() == {"status": "ok"}


@pytest.fixture
def own_database() -> Iterator[str]:
    """A database of this test's own: it is made to refuse connections."""
    with throwaway_database("ivr_test_health") as url:
        yield url


async def test_health_is_503_while_the_database_refuses_connections(
    own_database: str, settings: ApiSettings, clock: FixedClock
) -> None:
    name = own_database.rsplit("/", 1)[1].split("?", 1)[0]
    application = create_app(settings.model_copy(update={"database_url": own_database, "demo": True}), clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            assert (await client.get("/health")).status_code == 200
            admin = await asyncpg.connect(_plain(with_database(database_server(), "postgres")))
            try:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
                )
                down = await client.get("/health")
                assert down.status_code == 503, down.text
                assert down.json()["status"] == "degraded"
                assert down.json()["database"] == {"status": "down", "latency_ms": None}
                assert (await client.get("/health/live")).status_code == 200  # the process still serves
            finally:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                await admin.close()
            up = await eventually(_status_is(client, 200), timeout_s=10, what="/health to recover")
            assert up.json()["database"]["status"] == "up"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _status_is(client: httpx.AsyncClient, code: int) -> Callable[[], Awaitable[httpx.Response | None]]:
    async def probe() -> httpx.Response | None:
        answer = await client.get("/health")
        return answer if answer.status_code == code else None

    return probe


@pytest.fixture
async def live_client(
    settings: ApiSettings, clock: FixedClock, fake: FakeAmi, seat_tokens: dict[str, str]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    clock.now = datetime.now(CASABLANCA)  # the fake stamps events with the real time, as Asterisk does
    application = start_app(settings, clock, fake)
    async with application.router.lifespan_context(application):
        await eventually(lambda: live_of(application).ami_status()["status"] == "connected", timeout_s=5,
                         what="AMI connected")  # fmt: skip
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield application, client


async def test_queue_metrics_and_health_follow_the_ami_link(
    live_client: tuple[FastAPI, httpx.AsyncClient], fake: FakeAmi, auth: Auth
) -> None:
    application, client = live_client
    fake.emit({"Event": "QueueCallerJoin", "Queue": "q-fr", "Channel": "PJSIP/carrier-1", "Uniqueid": "9.1",
               "CallerIDNum": "+33600000009", "Position": "1", "Count": "1"})  # fmt: skip
    await eventually(lambda: "9.1" in live_of(application).state.queues["q-fr"].callers, timeout_s=5,
                     what="the caller in the live state")  # fmt: skip
    found = await scrape(client, auth)
    assert found[("ivr_ami_up", ())] == 1 and found[("ivr_ami_reconnects_total", ())] == 0
    assert found[("ivr_queue_callers_waiting", (("queue", "q-fr"),))] == 1
    assert found[("ivr_queue_callers_waiting", (("queue", "q-ar"),))] == 0
    assert found[("ivr_queue_longest_wait_seconds", (("queue", "q-fr"),))] >= 0
    assert (await client.get("/health")).json()["ami"]["status"] == "up"

    port = fake.port
    await fake.stop()  # Asterisk goes away
    down = await eventually(_status_is(client, 503), timeout_s=10, what="/health to see the AMI down")
    assert down.json()["ami"]["status"] == "down" and down.json()["database"]["status"] == "up"
    assert (await scrape(client, auth))[("ivr_ami_up", ())] == 0

    fake.port = port
    await fake.start()  # ... and comes back on the same port
    await eventually(_status_is(client, 200), timeout_s=20, what="/health to see the AMI back")
    assert (await scrape(client, auth))[("ivr_ami_reconnects_total", ())] == 1


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    client_log = logging.getLogger("httpx")
    saved = (list(root.handlers), root.level, client_log.level)
    configure_logging(LogFormat.JSON, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        client_log.setLevel(saved[2])


async def test_every_request_logs_one_json_line_with_its_id(
    client: httpx.AsyncClient, auth: Auth, json_log: io.StringIO
) -> None:
    answer = await client.get("/callers/+33612345678/language", headers={**auth[Role.AGI], "X-Request-ID": "abc-1"})
    assert answer.headers["X-Request-ID"] == "abc-1"
    generated = (await client.get("/health/live", headers={"X-Request-ID": "bad id\x7f"})).headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "bad id"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    requests = [line for line in lines if line["logger"] == "api.requests"]
    assert [(line["request_id"], line["method"], line["path"], line["status"]) for line in requests] == [
        ("abc-1", "GET", "/callers/{number}/language", answer.status_code),
        (generated, "GET", "/health/live", 200),
    ]
    assert {"time", "level", "message"} <= set(requests[0])
    assert "33612345678" not in json_log.getvalue()  # the caller's number is never logged

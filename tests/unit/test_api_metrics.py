"""The API's metric families (api/metrics.py), pure: what a scrape becomes, with and without its database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.metrics import RequestDeadlines
from api.metrics import (
    UNMATCHED,
    AmiFigures,
    HttpMetrics,
    QueueFigures,
    Scrape,
    StoredFigures,
    exposition,
    families,
    live_figures,
    request_id_from,
    route_template,
    stored_figures,
)

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
UP = AmiFigures(configured=True, up=True, reconnects=2)


def values(scrape: Scrape) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families(scrape)
        for sample in family.samples
    }


def test_a_scrape_with_its_database() -> None:
    stored = StoredFigures(
        calls_by_outcome={"answered": 7, "voicemail": 2, "someday_new": 1},
        requests=[RequestDeadlines("service_conditions", open=3, due_soon=1, overdue=1)],
        newest_call_received_at=NOW - timedelta(seconds=42),
    )
    queue = QueueFigures("q-fr", waiting=2, longest_wait_s=95.0, members={"available": 1, "paused": 2})
    kinds = ("service_conditions", "other")
    found = values(Scrape(now=NOW, stored=stored, ami=UP, queues=[queue], request_types=kinds))
    assert found[("ivr_database_up", ())] == 1
    assert found[("ivr_calls_stored", (("outcome", "answered"),))] == 7
    assert found[("ivr_calls_stored", (("outcome", "after_hours"),))] == 0
    assert found[("ivr_calls_stored", (("outcome", "someday_new"),))] == 1  # an outcome the code does not know yet
    assert found[("ivr_calls_last_received_age_seconds", ())] == 42
    assert found[("ivr_requests_overdue", (("type", "service_conditions"),))] == 1
    assert found[("ivr_requests_open", (("type", "other"),))] == 0
    assert found[("ivr_ami_up", ())] == 1 and found[("ivr_ami_reconnects_total", ())] == 2
    assert found[("ivr_queue_callers_waiting", (("queue", "q-fr"),))] == 2
    assert found[("ivr_queue_longest_wait_seconds", (("queue", "q-fr"),))] == 95
    assert found[("ivr_queue_members", (("queue", "q-fr"), ("state", "paused")))] == 2


def test_without_its_database_a_scrape_still_tells_the_live_figures() -> None:
    found = values(Scrape(now=NOW, stored=None, ami=AmiFigures(configured=True, up=False, reconnects=0)))
    assert found[("ivr_database_up", ())] == 0
    assert found[("ivr_ami_configured", ())] == 1 and found[("ivr_ami_up", ())] == 0
    assert not any(name.startswith(("ivr_calls", "ivr_requests")) for name, _ in found)
    empty = StoredFigures(calls_by_outcome={}, requests=[], newest_call_received_at=None)
    assert ("ivr_calls_last_received_age_seconds", ()) not in values(Scrape(now=NOW, stored=empty, ami=UP))


def test_the_exposition_is_prometheus_text_with_the_http_counts() -> None:
    http = HttpMetrics()
    http.observe(method="GET", route="/calls/{key}", status=404, seconds=0.01)
    text = exposition(Scrape(now=NOW, stored=None, ami=UP), http).decode()
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"ivr_database_up", "ivr_ami_up", "ivr_http_requests", "ivr_http_request_duration_seconds"} <= names
    assert 'ivr_http_requests_total{method="GET",route="/calls/{key}",status="404"} 1.0' in text


def test_no_live_service_reads_as_not_configured() -> None:
    assert live_figures(None) == (AmiFigures(configured=False, up=False, reconnects=0), [])


class Route:
    path = "/calls/{key}"


def test_routes_and_request_ids() -> None:
    assert route_template({"route": Route()}) == "/calls/{key}"
    assert route_template({}) == UNMATCHED
    assert request_id_from({"headers": [(b"x-request-id", b"edge-42.a_b")]}) == "edge-42.a_b"
    for bad in (b"", b"x" * 65, b"a b", b"\xff"):
        generated = request_id_from({"headers": [(b"x-request-id", bad)]})
        assert len(generated) == 32 and generated.isalnum()


class UnreachableDatabase:
    """A session whose server is gone: every statement fails as asyncpg's would."""

    async def execute(self, *args: object, **kwargs: object) -> object:
        raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))

    async def scalar(self, *args: object, **kwargs: object) -> object:
        return await self.execute()


async def test_stored_figures_are_none_when_the_database_fails() -> None:
    session = cast(AsyncSession, UnreachableDatabase())
    assert await stored_figures(session, now=NOW, due_soon_before=NOW, timeout_s=1.0) is None

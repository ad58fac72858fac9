"""Abuse limits through the API on a real PostgreSQL (issue 13, deliverable 4): the portal's rate limit holds
across API processes and tells how long to wait, a forwarded address counts only from a trusted proxy, queue names
must be configured ones, and every response carries the security headers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from ipaddress import ip_network

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import ApiSettings
from api.crud import rate_limits
from api.db import make_engine
from api.main import create_app
from api.security.tokens import Role
from tests.db.conftest import T0, FixedClock
from tests.support.api import serve_api
from tests.support.database import empty_tables

FORM = {"request_type": 3, "description": "I want to complain", "contact": "a@example.org", "language": "fr"}
WINDOW = timedelta(minutes=10)
PORTAL_LIMIT = 5  # IVR_PORTAL_LIMIT's default


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await empty_tables(database_url, "rate_limits", "request_events", "requests")
    engine = make_engine(database_url)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def api_client(
    settings: ApiSettings, clock: FixedClock, *, peer: str = "127.0.0.1", base_url: str = "http://api.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """An API instance of its own (its own engine and pool, as a second process has), seen from `peer`."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


# -- the counter itself -------------------------------------------------------------------------------------------


async def test_hit_is_an_exact_sliding_window_and_says_how_long_to_wait(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:

        async def hit(minutes: float) -> float | None:
            return await rate_limits.hit(
                session, key="t:a", limit=2, window=WINDOW, now=T0 + timedelta(minutes=minutes)
            )

        assert await hit(0) is None and await hit(4) is None
        assert await hit(5) == pytest.approx(5 * 60)  # the hit of minute 0 leaves the window at minute 10
        assert await hit(9) == pytest.approx(60)  # a refused hit is not counted: the wait still ends at minute 10
        assert await hit(10) is None  # minute 0 left; minutes 4 and 10 are in
        assert await hit(13.5) == pytest.approx(30)  # minute 4 leaves at 14
        assert await rate_limits.hit(session, key="t:b", limit=2, window=WINDOW, now=T0 + timedelta(minutes=5)) is None


async def test_old_counters_are_swept_by_new_keys(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        for n in range(6):
            await rate_limits.hit(session, key=f"t:{n}", limit=5, window=WINDOW, now=T0)
        later = T0 + WINDOW + timedelta(seconds=1)  # all six expired
        for n in range(3):  # each new key sweeps up to two
            await rate_limits.hit(session, key=f"t:new{n}", limit=5, window=WINDOW, now=later)
        rows = (await session.execute(text("SELECT key FROM rate_limits ORDER BY key"))).scalars().all()
        assert rows == ["t:new0", "t:new1", "t:new2"]
        assert await rate_limits.expire(session, now=later + WINDOW) == 3


# -- the portal, across processes -----------------------------------------------------------------------------------


async def test_the_portal_limit_holds_across_two_api_instances_under_concurrent_posts(
    settings: ApiSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    clock = FixedClock(T0)
    async with api_client(settings, clock) as first, api_client(settings, clock) as second:
        answers = await asyncio.gather(*(client.post("/portal/requests", json=FORM) for client in (first, second) * 6))
        assert sorted(answer.status_code for answer in answers) == [201] * PORTAL_LIMIT + [429] * 7
        refused = next(answer for answer in answers if answer.status_code == 429)
        assert refused.headers["retry-after"] == "600"  # every hit was at T0: the first leaves at T0 + 10 min
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == 429
        clock.now = T0 + timedelta(minutes=7)
        again = await second.post("/portal/requests", json=FORM)
        assert (again.status_code, again.headers["retry-after"]) == (429, "180")
        clock.now = T0 + WINDOW
        assert (await first.post("/portal/requests", json=FORM)).status_code == 201


async def test_a_local_client_rotating_x_forwarded_for_stays_one_client(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Served by uvicorn as `ivr api` serves it: before, uvicorn believed X-Forwarded-For from 127.0.0.1."""
    async with serve_api(database_url, demo=False, clock=FixedClock(T0)) as api:
        codes = [
            (
                await api.client.post("/portal/requests", json=FORM, headers={"X-Forwarded-For": f"198.18.0.{n}"})
            ).status_code
            for n in range(PORTAL_LIMIT + 2)
        ]
    assert codes == [201] * PORTAL_LIMIT + [429] * 2


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    settings: ApiSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    behind_proxy = settings.model_copy(update={"trusted_proxies": [ip_network("10.0.0.0/24")]})
    async with api_client(behind_proxy, FixedClock(T0), peer="10.0.0.5") as proxy:

        async def post(forwarded_for: str) -> int:
            return (
                await proxy.post("/portal/requests", json=FORM, headers={"X-Forwarded-For": forwarded_for})
            ).status_code

        assert [await post("203.0.113.1") for _ in range(PORTAL_LIMIT)] == [201] * PORTAL_LIMIT
        assert await post("203.0.113.1") == 429
        assert await post("203.0.113.2") == 201  # another client behind the same proxy
        assert await post("198.18.0.1, 203.0.113.1") == 429  # what the client wrote left of the proxy's entry
    async with api_client(settings, FixedClock(T0), peer="10.0.0.5") as untrusted:  # no proxy configured
        assert (
            await untrusted.post("/portal/requests", json=FORM, headers={"X-Forwarded-For": "203.0.113.3"})
        ).status_code == 201
    async with sessions() as session:
        keys = set((await session.execute(text("SELECT key FROM rate_limits"))).scalars())
    assert keys == {"portal:203.0.113.1", "portal:203.0.113.2", "portal:10.0.0.5"}


def test_the_openapi_documents_retry_after_on_429(settings: ApiSettings) -> None:
    operation = create_app(settings).openapi()["paths"]["/portal/requests"]["post"]
    refused = operation["responses"]["429"]
    assert refused["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    assert refused["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


# -- queues ---------------------------------------------------------------------------------------------------------


async def test_an_unknown_queue_is_refused_and_never_reaches_the_wallboard(
    http: httpx.AsyncClient, auth: dict[Role, dict[str, str]]
) -> None:
    booking = {"number": "+212600000009", "queue": "q-phantom", "joined_at": (T0 + timedelta(days=30)).isoformat()}
    refused = await http.post("/callbacks", json=booking, headers=auth[Role.AGI])
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["loc"] == ["body", "queue"]
    assert "q-fr" in refused.json()["errors"][0]["msg"]  # it says which queues exist
    estimate = await http.get("/queues/q-phantom/estimate", headers=auth[Role.AGI])
    assert (estimate.status_code, estimate.json()["errors"][0]["loc"]) == (422, ["path", "queue"])
    state = (await http.get("/live/state", headers=auth[Role.SUPERVISOR])).json()
    assert "q-phantom" not in str(state)
    assert (await http.get("/callbacks", headers=auth[Role.SUPERVISOR])).json() == []
    accepted = await http.post("/callbacks", json={**booking, "queue": "q-fr"}, headers=auth[Role.AGI])
    assert accepted.status_code == 201, accepted.text


# -- headers --------------------------------------------------------------------------------------------------------

SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


async def test_every_kind_of_response_carries_the_security_headers(
    client: httpx.AsyncClient, auth: dict[Role, dict[str, str]]
) -> None:
    answers = [
        await client.get("/ui/wallboard.html"),
        await client.get("/ui/wallboard.js"),
        await client.get("/docs"),
        await client.get("/openapi.json"),
        await client.get("/health"),
        await client.get("/no-such-page"),
        await client.get("/calls"),  # 401
        await client.post("/calls", json={"linkedid": 1}, headers=auth[Role.AGI]),  # 422
        await client.get("/calls", params={"caller": "\x00"}, headers=auth[Role.SUPERVISOR]),  # 400, before routing
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 404, 401, 422, 400]
    for answer in answers:
        assert {name: answer.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, answer.url
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, answer.url
        assert "connect-src 'self' ws://api.test wss://api.test" in policy
        assert "strict-transport-security" not in answer.headers  # plain http


async def test_hsts_only_over_https_and_the_softphone_source_is_configurable(
    settings: ApiSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    configured = settings.model_copy(
        update={
            "csp_connect_src": ["wss://pbx.example.org:8089"],
            "trusted_proxies": [ip_network("10.0.0.5")],
        }
    )
    async with api_client(configured, FixedClock(T0), base_url="https://api.test") as direct:
        answer = await direct.get("/ui/agent.html")
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        assert answer.headers["content-security-policy"].endswith("wss://api.test wss://pbx.example.org:8089")
    async with api_client(configured, FixedClock(T0), peer="10.0.0.5") as proxied:
        assert (
            "strict-transport-security"
            in (await proxied.get("/health", headers={"X-Forwarded-Proto": "https"})).headers
        )
    async with api_client(configured, FixedClock(T0), peer="198.51.100.1") as untrusted:
        assert (
            "strict-transport-security"
            not in (await untrusted.get("/health", headers={"X-Forwarded-Proto": "https"})).headers
        )
    off = configured.model_copy(update={"hsts_seconds": 0})
    async with api_client(off, FixedClock(T0), base_url="https://api.test") as direct:
        assert "strict-transport-security" not in (await direct.get("/health")).headers

"""Bearer tokens and roles; the API's refusal to start with no way in; demo secrets outside demo mode."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.config import ApiSettings
from api.crud.tokens import create_token, delete_demo_tokens, ensure_demo_tokens, revoke_tokens
from api.db import make_engine, run_migrations
from api.main import StartupRefusedError, create_app
from api.security.tokens import DEMO_TOKENS, Role
from tests.db.conftest import T0, FixedClock, call

Auth = dict[Role, dict[str, str]]

ROUTES = {
    "post_calls": ("POST", "/calls"),
    "list_calls": ("GET", "/calls"),
    "get_call": ("GET", "/calls/1"),
    "caller_language": ("GET", "/callers/+33612345678/language"),
    "summary": ("GET", "/reports/summary"),
}
ALLOWED = {
    Role.AGI: {"post_calls", "caller_language"},
    Role.AGENT: {"list_calls", "get_call", "caller_language"},
    Role.SUPERVISOR: {"list_calls", "get_call", "caller_language", "summary"},
    Role.ADMIN: set(ROUTES),
    Role.DESK: set(),  # the complaint roles reach no call data
    Role.OFFICER: set(),
    Role.OFFICIAL: set(),
}


async def request(client: httpx.AsyncClient, route: str, headers: dict[str, str]) -> httpx.Response:
    method, path = ROUTES[route]
    body = call("1700000000.1") if method == "POST" else None
    return await client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_reaches_exactly_its_routes(client: httpx.AsyncClient, auth: Auth, role: Role) -> None:
    # a call exists, answered by the agent's seat (an agent token is named after it), so the readers' routes
    # answer 200 rather than 404
    answered = call("1700000000.1", agent="PJSIP/test-agent")
    assert (await client.post("/calls", json=answered, headers=auth[Role.ADMIN])).status_code == 200
    for route in ROUTES:
        status = (await request(client, route, auth[role])).status_code
        expected = 200 if route in ALLOWED[role] else 403
        assert status == expected, f"{role.value} on {route}: {status}"


async def test_no_token_or_a_wrong_one_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer ivr_wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        for route in ROUTES:
            response = await request(client, route, headers)
            assert response.status_code == 401, (route, headers)
            assert response.headers["www-authenticate"] == "Bearer"


async def test_demo_secrets_are_refused_outside_demo_mode(client: httpx.AsyncClient, database_url: str) -> None:
    headers = {"Authorization": f"Bearer {DEMO_TOKENS[Role.ADMIN]}"}
    assert (await client.get("/calls", headers=headers)).status_code == 401
    # even when a demo process sharing the database (re)creates them while this production API runs
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session:
            await ensure_demo_tokens(session, now=T0)
            assert (await client.get("/calls", headers=headers)).status_code == 401
            await delete_demo_tokens(session)
    finally:
        await engine.dispose()


async def test_a_revoked_token_stops_working(client: httpx.AsyncClient, database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session:
            secret = await create_token(session, name="leaving", role=Role.AGENT, now=T0)
            headers = {"Authorization": f"Bearer {secret}"}
            assert (await client.get("/calls", headers=headers)).status_code == 200
            assert await revoke_tokens(session, name="leaving", now=T0) == 1
    finally:
        await engine.dispose()
    assert (await client.get("/calls", headers=headers)).status_code == 401


async def test_without_any_token_the_api_refuses_to_start(empty_database: str) -> None:
    app = create_app(ApiSettings(database_url=empty_database, demo=False), clock=FixedClock(T0))
    with pytest.raises(StartupRefusedError, match="ivr token create"):
        async with app.router.lifespan_context(app):
            pass


async def test_demo_mode_creates_known_tokens_and_leaving_it_deletes_them(empty_database: str) -> None:
    demo = create_app(ApiSettings(database_url=empty_database, demo=True), clock=FixedClock(T0))
    async with (
        demo.router.lifespan_context(demo),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=demo), base_url="http://api.test") as http,
    ):
        headers = {"Authorization": f"Bearer {DEMO_TOKENS[Role.AGI]}"}
        assert (await http.post("/calls", json=call("d.1"), headers=headers)).status_code == 200

    # Back in production mode: the demo tokens alone do not count as a way in, and are gone afterwards.
    production = create_app(ApiSettings(database_url=empty_database, demo=False), clock=FixedClock(T0))
    with pytest.raises(StartupRefusedError):
        async with production.router.lifespan_context(production):
            pass
    engine = make_engine(empty_database)
    try:
        await run_migrations(engine)
        async with async_sessionmaker(engine)() as session:
            real = await create_token(session, name="ops", role=Role.ADMIN, now=T0)
    finally:
        await engine.dispose()
    async with (
        production.router.lifespan_context(production),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=production), base_url="http://api.test") as http,
    ):
        assert (await http.get("/calls", headers={"Authorization": f"Bearer {real}"})).status_code == 200
        demo_headers = {"Authorization": f"Bearer {DEMO_TOKENS[Role.ADMIN]}"}
        assert (await http.get("/calls", headers=demo_headers)).status_code == 401

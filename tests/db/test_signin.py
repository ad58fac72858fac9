"""Staff sign-in: passwords, the session cookie, CSRF, expiry on the injected clock, the sign-in rate limit shared
by two API instances, seats, and bearer tokens' expiry and last use."""

from __future__ import annotations

import io
import re
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.config import ApiSettings
from api.crud.tokens import create_token, list_tokens, revoke_tokens
from api.db import make_engine
from api.main import create_app, prepare_database
from api.security.tokens import Role
from tests.db.conftest import T0, FixedClock, bearer
from tests.fake_ami import FakeAmi
from tests.support.database import create_staff, empty_tables

PASSWORD = "correct horse battery"
STAFF_TABLES = ("staff_users", "staff_sessions", "login_failures")


@pytest.fixture
async def staff(database_url: str, clock: FixedClock) -> dict[str, str]:
    """alice and bob are agents on seats agent1001 and agent1002, sam a supervisor, root an admin."""
    await empty_tables(database_url, *STAFF_TABLES)
    people: dict[str, tuple[Role, str | None]] = {"alice": (Role.AGENT, "agent1001"), "bob": (Role.AGENT, "agent1002")}
    people |= {"sam": (Role.SUPERVISOR, None), "root": (Role.ADMIN, None)}
    for username, (role, seat) in people.items():
        await create_staff(database_url, username=username, role=role, seat=seat, password=PASSWORD, now=clock.now)
    return {username: PASSWORD for username in people}


@pytest.fixture
async def web(app: FastAPI, staff: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client: https (so it sends the Secure cookie back) and a cookie jar."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.test") as client:
        yield client


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Signs in; returns the CSRF header the pages send."""
    response = await client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def test_sign_in_sets_a_strict_http_only_secure_cookie_and_says_who(web: httpx.AsyncClient) -> None:
    assert (await web.get("/auth/me")).status_code == 401
    response = await web.post("/auth/login", json={"username": "Alice ", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ivr_session=")
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= {part.strip().lower() for part in cookie.split(";")}
    me = (await web.get("/auth/me")).json()
    assert {key: me[key] for key in ("username", "role", "seat", "language")} == {
        "username": "alice",
        "role": "agent",
        "seat": "agent1001",
        "language": "fr",
    }
    assert me["csrf_token"] == response.json()["csrf_token"] and len(me["csrf_token"]) >= 32
    assert (await web.get("/calls")).status_code == 200  # the cookie opens the API like a token


async def test_wrong_password_unknown_and_disabled_users_get_the_same_answer_in_the_same_time(
    web: httpx.AsyncClient, database_url: str
) -> None:
    await create_staff(database_url, username="gone", role=Role.AGENT, seat="agent1003", password=PASSWORD)
    await sign_in(web, "root")
    csrf = await sign_in(web, "root")
    assert (await web.post("/users/gone/disable", headers=csrf)).status_code == 200
    web.cookies.clear()

    async def attempt(username: str, password: str) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        response = await web.post("/auth/login", json={"username": username, "password": password})
        return response, time.perf_counter() - started

    answers = {}
    timings: dict[str, list[float]] = {"wrong": [], "unknown": [], "disabled": []}
    for _ in range(3):  # 9 failures from one address: under the address limit (20), each username under 5
        for case, (username, password) in {
            "wrong": ("alice", "not the password"),
            "unknown": ("nobody", "not the password"),
            "disabled": ("gone", PASSWORD),
        }.items():
            response, elapsed = await attempt(username, password)
            answers[case] = (response.status_code, response.json()["detail"], "set-cookie" in response.headers)
            timings[case].append(elapsed)
    assert set(answers.values()) == {(401, "wrong username or password", False)}
    medians = {case: statistics.median(times) for case, times in timings.items()}
    print("sign-in refusal, median seconds:", {case: round(median, 3) for case, median in medians.items()})
    # without the dummy hash an unknown user answers in ~2 ms against ~100 ms: a ratio near 0.02
    assert medians["unknown"] > 0.4 * medians["wrong"], medians
    assert medians["disabled"] > 0.4 * medians["wrong"], medians


async def test_a_form_post_from_another_site_cannot_sign_in(web: httpx.AsyncClient) -> None:
    form = {"username": "alice", "password": PASSWORD}
    response = await web.post("/auth/login", data=form)  # what a cross-site <form> can send
    assert response.status_code == 422
    assert "set-cookie" not in response.headers
    nul = await web.post("/auth/login", json={"username": "ali\u0000ce", "password": PASSWORD})
    assert nul.status_code == 422  # PostgreSQL text cannot hold NUL: refused before any lookup


async def test_too_many_failures_are_429_with_retry_after_across_two_api_instances(
    settings: ApiSettings, clock: FixedClock, staff: dict[str, str]
) -> None:
    tight = settings.model_copy(update={"login_failures_per_user": 3, "login_failures_per_address": 6})
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            app = create_app(tight, clock=clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients.append(
                await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="https://a"))
            )
        first, second = clients
        wrong = {"username": "alice", "password": "guess"}
        assert [(await c.post("/auth/login", json=wrong)).status_code for c in (first, second, first)] == [401] * 3
        refused = await second.post("/auth/login", json={"username": "alice", "password": PASSWORD})
        assert refused.status_code == 429  # even the right password: it is not checked while locked
        assert refused.headers["retry-after"] == "900"  # the window (15 min) began at the first failure
        assert refused.headers["content-type"] == "application/problem+json"
        clock.now += timedelta(minutes=10)
        assert (await first.post("/auth/login", json=wrong)).headers["retry-after"] == "300"
        # the address limit: other usernames from the same address
        for username in ("bob", "sam", "root"):
            assert (await second.post("/auth/login", json={"username": username, "password": "x"})).status_code == 401
        blocked = await first.post("/auth/login", json={"username": "bob", "password": PASSWORD})
        assert blocked.status_code == 429
        clock.now += timedelta(minutes=5, seconds=1)
        assert (await first.post("/auth/login", json={"username": "alice", "password": PASSWORD})).status_code == 200


async def test_sessions_expire_when_idle_and_after_the_absolute_limit(
    web: httpx.AsyncClient, clock: FixedClock
) -> None:
    await sign_in(web, "sam")
    clock.now += timedelta(minutes=29)
    assert (await web.get("/auth/me")).status_code == 200  # used: the idle timer starts again
    clock.now += timedelta(minutes=29)
    assert (await web.get("/auth/me")).status_code == 200
    clock.now += timedelta(minutes=31)
    assert (await web.get("/auth/me")).status_code == 401  # 31 min idle (limit 30)

    await sign_in(web, "sam")
    for _ in range(12 * 4 - 1):  # busy all day, a request every 15 min
        clock.now += timedelta(minutes=15)
        assert (await web.get("/auth/me")).status_code == 200
    clock.now += timedelta(minutes=15)
    assert (await web.get("/auth/me")).status_code == 401  # 12 h after sign-in, however busy


async def test_unsafe_methods_need_the_sessions_csrf_token_but_bearer_requests_do_not(
    web: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    csrf = await sign_in(web, "root")
    body = {"username": "carol", "display_name": "Carol", "role": "supervisor"}
    assert (await web.post("/users", json=body)).status_code == 403
    assert (await web.post("/users", json=body, headers={"X-CSRF-Token": "x" * 32})).status_code == 403
    other = httpx.AsyncClient(transport=web._transport, base_url="https://api.test")
    async with other:
        other_csrf = await sign_in(other, "root")  # a CSRF token of another session is no good either
        assert (await web.post("/users", json=body, headers=other_csrf)).status_code == 403
    assert (await web.get("/users")).status_code == 200  # safe methods need none
    created = await web.post("/users", json=body, headers=csrf)
    assert created.status_code == 201
    assert len(created.json()["password"]) >= 16
    bearer_body = body | {"username": "dave"}
    assert (await web.post("/users", json=bearer_body, headers=bearer(tokens[Role.ADMIN]))).status_code == 201


async def test_logout_ends_the_session_even_for_a_copied_cookie(web: httpx.AsyncClient) -> None:
    csrf = await sign_in(web, "alice")
    stolen = web.cookies["ivr_session"]
    assert (await web.post("/auth/logout")).status_code == 403  # CSRF-checked like any unsafe request
    response = await web.post("/auth/logout", headers=csrf)
    assert response.status_code == 204
    assert 'ivr_session=""' in response.headers["set-cookie"] or "max-age=0" in response.headers["set-cookie"].lower()
    assert (await web.get("/auth/me")).status_code == 401
    web.cookies.set("ivr_session", stolen, domain="api.test")
    assert (await web.get("/auth/me")).status_code == 401


async def test_resetting_a_password_or_disabling_ends_the_users_sessions(web: httpx.AsyncClient) -> None:
    alice = httpx.AsyncClient(transport=web._transport, base_url="https://api.test")
    async with alice:
        await sign_in(alice, "alice")
        csrf = await sign_in(web, "root")
        reset = await web.post("/users/alice/password", json={}, headers=csrf)
        assert reset.status_code == 200
        new_password = reset.json()["password"]
        assert (await alice.get("/auth/me")).status_code == 401
        await sign_in(alice, "alice", new_password)
        assert (await web.post("/users/alice/disable", headers=csrf)).status_code == 200
        assert (await alice.get("/auth/me")).status_code == 401
        refused = await alice.post("/auth/login", json={"username": "alice", "password": new_password})
        assert refused.status_code == 401
        assert (await web.post("/users/root/disable", headers=csrf)).status_code == 409  # not oneself


async def test_users_are_created_on_configured_seats_one_enabled_user_per_seat(web: httpx.AsyncClient) -> None:
    csrf = await sign_in(web, "root")
    agent = {"username": "zoe", "display_name": "Zoé", "role": "agent", "language": "ar"}
    assert (await web.post("/users", json=agent, headers=csrf)).status_code == 422  # an agent needs a seat
    for seat, status in (("agent9999", 422), ("demo-agent", 422), ("agent1001", 409), ("agent1040", 201)):
        response = await web.post("/users", json=agent | {"seat": seat}, headers=csrf)
        assert response.status_code == status, (seat, response.text)
    assert (await web.post("/users", json=agent | {"seat": "agent1039"}, headers=csrf)).status_code == 409  # name
    listed = {user["username"]: user for user in (await web.get("/users")).json()}
    assert listed["zoe"]["seat"] == "agent1040" and "password_hash" not in listed["zoe"]
    sam = httpx.AsyncClient(transport=web._transport, base_url="https://api.test")
    async with sam:
        await sign_in(sam, "sam")
        assert (await sam.get("/users")).status_code == 403  # admins only


async def test_an_agent_acts_on_their_own_seat_only(
    live_app: FastAPI, fake: FakeAmi, staff: dict[str, str], database_url: str
) -> None:
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as alice:
        csrf = await sign_in(alice, "alice")
        skills = {"skills": {"fr": "native"}}
        assert (await alice.post("/agents/agent1002/login", json=skills, headers=csrf)).status_code == 403
        assert (await alice.get("/agents/agent1002")).status_code == 403
        assert (await alice.post("/agents/agent1001/login", json=skills)).status_code == 403  # no CSRF token
        assert (await alice.post("/agents/agent1001/login", json=skills, headers=csrf)).status_code == 200
        assert [a["Interface"] for a in fake.actions if a["Action"] == "QueueAdd"] == ["PJSIP/agent1001"]


async def test_tokens_expire_and_note_their_last_use_once_a_minute(
    client: httpx.AsyncClient, database_url: str, clock: FixedClock
) -> None:
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await revoke_tokens(session, name="expiring", now=clock.now)
            secret = await create_token(
                session, name="expiring", role=Role.SUPERVISOR, now=clock.now, expires_at=clock.now + timedelta(hours=1)
            )

        async def last_used() -> object:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                token = next(t for t in await list_tokens(session) if t.name == "expiring" and t.revoked_at is None)
                return token.last_used_at

        assert await last_used() is None
        started = clock.now
        assert (await client.get("/calls", headers=bearer(secret))).status_code == 200
        assert await last_used() == started
        clock.now += timedelta(seconds=30)
        assert (await client.get("/calls", headers=bearer(secret))).status_code == 200
        assert await last_used() == started  # not written again within the minute
        clock.now += timedelta(seconds=31)
        assert (await client.get("/calls", headers=bearer(secret))).status_code == 200
        assert await last_used() == clock.now
        clock.now = started + timedelta(hours=1)
        response = await client.get("/calls", headers=bearer(secret))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    finally:
        await engine.dispose()


async def test_demo_staff_get_printed_passwords_that_work_and_leave_with_demo_mode(empty_database: str) -> None:
    demo_settings = ApiSettings(database_url=empty_database, demo=True, port=8123)
    engine = make_engine(empty_database)
    printed = io.StringIO()
    try:
        await prepare_database(engine, demo_settings, now=T0, out=printed)
    finally:
        await engine.dispose()
    text = printed.getvalue()
    assert "Sign in at http://127.0.0.1:8123/ui/signin.html" in text
    passwords = dict(re.findall(r"^  (agent100[123]|supervisor|admin) +(\S+) ", text, flags=re.MULTILINE))
    assert set(passwords) == {"agent1001", "agent1002", "agent1003", "supervisor", "admin"}
    app = create_app(demo_settings, clock=FixedClock(T0))
    async with (
        app.router.lifespan_context(app),  # starting again keeps the printed passwords
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.test") as web,
    ):
        await sign_in(web, "agent1003", passwords["agent1003"])
        assert (await web.get("/auth/me")).json()["seat"] == "agent1003"  # a real seat of pjsip.conf

    engine = make_engine(empty_database)
    try:
        async with async_sessionmaker(engine)() as session:
            await create_token(session, name="ops", role=Role.ADMIN, now=T0)
    finally:
        await engine.dispose()
    production = create_app(ApiSettings(database_url=empty_database, demo=False), clock=FixedClock(T0))
    async with (
        production.router.lifespan_context(production),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=production), base_url="https://api.test") as web,
    ):
        response = await web.post("/auth/login", json={"username": "admin", "password": passwords["admin"]})
        assert response.status_code == 401  # demo accounts are deleted outside demo mode


async def test_the_api_says_at_start_when_no_admin_account_exists(database_url: str, staff: dict[str, str]) -> None:
    settings = ApiSettings(database_url=database_url, demo=False)
    engine = make_engine(database_url)
    try:
        with_admin = io.StringIO()
        await prepare_database(engine, settings, now=T0, out=with_admin)
        assert "ivr user create --role admin" not in with_admin.getvalue()  # root is an admin
        await empty_tables(database_url, *STAFF_TABLES)
        without = io.StringIO()
        await prepare_database(engine, settings, now=T0, out=without)
        assert "ivr user create --role admin" in without.getvalue()
    finally:
        await engine.dispose()

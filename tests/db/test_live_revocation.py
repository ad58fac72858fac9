"""The live WebSocket, served for real (uvicorn): a signed-in page's cookie opens it; revoking its token or ending
its session closes it within seconds (the socket re-checks every `credential_recheck_seconds`, 2 s)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import websockets
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.crud.tokens import create_token, revoke_tokens
from api.db import make_engine
from api.security.tokens import Role
from tests.db.test_signin import PASSWORD, STAFF_TABLES
from tests.support.api import LiveApi, serve_api
from tests.support.database import create_staff, empty_tables

CLOSE_WITHIN_S = 5.0  # the re-check period is 2 s; the rest is slack for a loaded machine


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[LiveApi]:
    await empty_tables(database_url, *STAFF_TABLES)
    await create_staff(database_url, username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    async with serve_api(database_url) as served:
        yield served


def socket_url(api: LiveApi) -> str:
    return api.url.replace("http", "ws", 1) + "/live/ws"


async def closed_code(socket: websockets.ClientConnection, timeout_s: float) -> int | None:
    """Read until the server closes the socket; its close code."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(timeout_s):
            while True:
                await socket.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_revoking_a_token_closes_its_socket_within_seconds(api: LiveApi, database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            secret = await create_token(session, name="wallboard-tv", role=Role.SUPERVISOR, now=datetime.now(UTC))
        async with websockets.connect(socket_url(api)) as socket:
            await socket.send(json.dumps({"token": secret}))
            assert json.loads(await socket.recv())["hello"]["name"] == "wallboard-tv"
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await revoke_tokens(session, name="wallboard-tv", now=datetime.now(UTC))
            revoked = time.monotonic()
            assert await closed_code(socket, CLOSE_WITHIN_S) == 4401
            print(f"socket closed {time.monotonic() - revoked:.2f} s after the token was revoked")
    finally:
        await engine.dispose()


async def test_only_the_revoked_tokens_socket_closes(api: LiveApi, database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            kept = await create_token(session, name="tv-kept", role=Role.SUPERVISOR, now=datetime.now(UTC))
            revoked = await create_token(session, name="tv-revoked", role=Role.SUPERVISOR, now=datetime.now(UTC))
        async with websockets.connect(socket_url(api)) as staying, websockets.connect(socket_url(api)) as going:
            for socket, secret in ((staying, kept), (going, revoked)):
                await socket.send(json.dumps({"token": secret}))
                assert "hello" in json.loads(await socket.recv())
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await revoke_tokens(session, name="tv-revoked", now=datetime.now(UTC))
            assert await closed_code(going, CLOSE_WITHIN_S) == 4401
            # the check that closed `going` looked at `staying` too, and kept it
            assert staying.state is websockets.protocol.State.OPEN
    finally:
        await engine.dispose()


async def test_an_expiring_token_closes_its_socket_when_it_expires(api: LiveApi, database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            expires_at = datetime.now(UTC) + timedelta(seconds=3)
            secret = await create_token(
                session, name="short", role=Role.SUPERVISOR, now=datetime.now(UTC), expires_at=expires_at
            )
        async with websockets.connect(socket_url(api)) as socket:
            await socket.send(json.dumps({"token": secret}))
            assert "hello" in json.loads(await socket.recv())
            assert await closed_code(socket, 3 + CLOSE_WITHIN_S) == 4401
            assert datetime.now(UTC) >= expires_at
    finally:
        await engine.dispose()


async def test_a_signed_in_pages_cookie_opens_the_socket_and_signing_out_closes_it(api: LiveApi) -> None:
    response = await api.client.post("/auth/login", json={"username": "sam", "password": PASSWORD})
    assert response.status_code == 200
    csrf = response.json()["csrf_token"]
    # the client talks plain http to 127.0.0.1, where it keeps no Secure cookie: carry it by hand, as a browser would
    cookie = response.headers["set-cookie"].split(";", 1)[0]
    origin = {"Origin": api.url}
    async with websockets.connect(socket_url(api), additional_headers={"Cookie": cookie} | origin) as socket:
        await socket.send("{}")
        hello = json.loads(await socket.recv())["hello"]
        assert (hello["name"], hello["role"], hello["seat"]) == ("sam", "supervisor", None)
        signed_out = await api.client.post("/auth/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        assert signed_out.status_code == 204
        ended = time.monotonic()
        assert await closed_code(socket, CLOSE_WITHIN_S) == 4401
        print(f"socket closed {time.monotonic() - ended:.2f} s after signing out")
    async with websockets.connect(socket_url(api), additional_headers={"Cookie": cookie} | origin) as socket:
        await socket.send("{}")
        assert await closed_code(socket, CLOSE_WITHIN_S) == 4401  # the ended session opens nothing


async def test_a_cookie_from_another_origins_page_opens_nothing(api: LiveApi) -> None:
    response = await api.client.post("/auth/login", json={"username": "sam", "password": PASSWORD})
    cookie = response.headers["set-cookie"].split(";", 1)[0]
    other = {"Cookie": cookie, "Origin": "https://evil.example"}
    async with websockets.connect(socket_url(api), additional_headers=other) as socket:
        await socket.send("{}")
        assert await closed_code(socket, CLOSE_WITHIN_S) == 4401

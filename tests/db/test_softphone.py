"""GET /agents/{seat}/softphone: the seat's own agent gets the browser softphone settings, with the password read
from the seats' secrets file; nobody else does, and a box without the softphone configured says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.config import ApiSettings
from api.main import create_app
from api.schemas.softphone import IceServer
from api.security.tokens import Role
from tests.db.conftest import FixedClock, bearer, make_seat_tokens
from tests.support.database import create_staff, empty_tables

SECRETS = """; written by the deployment, never in the repository
[agent1001-auth](+)
password = s3cret-1001 ; a comment after the value
[agent1002-auth](agent-auth)
password=s3cret-1002
[ivr-api](+)
secret = not-a-seat
"""


async def client_for(settings: ApiSettings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, clock=clock)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="https://api.test") as client,
    ):
        yield client


@pytest.fixture
async def configured(settings: ApiSettings, clock: FixedClock, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    secrets = tmp_path / "pjsip_secrets.conf"
    secrets.write_text(SECRETS)
    ice = [IceServer(urls=["turn:turn.example.org:3478?transport=udp"], username="agents", credential="t")]
    softphone = {
        "softphone_wss_url": "wss://pbx.example.org:8089/ws",
        "seat_secrets": secrets,
        "softphone_ice_servers": ice,
    }
    async for client in client_for(settings.model_copy(update=softphone), clock):
        yield client


async def test_an_agent_gets_their_own_seats_softphone_settings(
    configured: httpx.AsyncClient, database_url: str
) -> None:
    seats = await make_seat_tokens(database_url)
    response = await configured.get("/agents/agent1001/softphone", headers=bearer(seats["agent1001"]))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "seat": "agent1001",
        "wss_url": "wss://pbx.example.org:8089/ws",
        "sip_uri": "sip:agent1001@pbx.example.org",
        "authorization_user": "agent1001",
        "password": "s3cret-1001",
        "display_name": "agent1001",
        "ice_servers": [
            {"urls": ["turn:turn.example.org:3478?transport=udp"], "username": "agents", "credential": "t"}
        ],
    }
    other = await configured.get("/agents/agent1002/softphone", headers=bearer(seats["agent1002"]))
    assert other.json()["password"] == "s3cret-1002"


async def test_a_signed_in_agent_gets_their_seats_settings_by_the_session_cookie(
    configured: httpx.AsyncClient, database_url: str, clock: FixedClock
) -> None:
    """The account's seat, not its username, is what the seat is checked against (the sign-in's agents)."""
    await empty_tables(database_url, "staff_users", "staff_sessions", "login_failures")
    password = "correct horse battery"
    await create_staff(
        database_url, username="nadia", role=Role.AGENT, seat="agent1002", password=password, now=clock.now
    )
    signed_in = await configured.post("/auth/login", json={"username": "nadia", "password": password})
    assert signed_in.status_code == 200, signed_in.text
    mine = await configured.get("/agents/agent1002/softphone")
    assert mine.status_code == 200, mine.text
    assert (mine.json()["authorization_user"], mine.json()["password"]) == ("agent1002", "s3cret-1002")
    assert (await configured.get("/agents/agent1001/softphone")).status_code == 403


async def test_nobody_else_gets_a_seats_password(
    configured: httpx.AsyncClient, database_url: str, auth: dict[object, dict[str, str]]
) -> None:
    seats = await make_seat_tokens(database_url)
    response = await configured.get("/agents/agent1002/softphone", headers=bearer(seats["agent1001"]))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "s3cret" not in response.text
    for role, header in auth.items():
        assert (await configured.get("/agents/agent1001/softphone", headers=header)).status_code == 403, role
    assert (await configured.get("/agents/agent1001/softphone")).status_code == 401


async def test_a_seat_without_a_password_or_a_box_without_softphone_is_503(
    settings: ApiSettings, clock: FixedClock, database_url: str, tmp_path: Path
) -> None:
    seats = await make_seat_tokens(database_url)
    header = bearer(seats["agent1001"])
    async for client in client_for(settings, clock):  # nothing configured
        response = await client.get("/agents/agent1001/softphone", headers=header)
        assert response.status_code == 503
        assert "IVR_API_SOFTPHONE_WSS_URL" in response.json()["detail"]
    missing = {"softphone_wss_url": "wss://[2001:db8::1]:8089/ws", "seat_secrets": tmp_path / "absent.conf"}
    async for client in client_for(settings.model_copy(update=missing), clock):
        response = await client.get("/agents/agent1001/softphone", headers=header)
        assert response.status_code == 503
        assert "cannot be read" in response.json()["detail"]
    (tmp_path / "other.conf").write_text("[agent1002-auth](+)\npassword = x\n")
    other = {"softphone_wss_url": "wss://[2001:db8::1]:8089/ws", "seat_secrets": tmp_path / "other.conf"}
    async for client in client_for(settings.model_copy(update=other), clock):
        response = await client.get("/agents/agent1001/softphone", headers=header)
        assert response.status_code == 503
        assert "no SIP password" in response.json()["detail"]

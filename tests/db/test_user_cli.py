"""`ivr user create|reset-password|disable|enable|list` and `ivr token create --expires-in` against the test
database (DATABASE_URL points the CLI at it); passwords are checked by signing in through the API."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest

from api.cli import main as token_main
from api.cli import user_main
from api.config import ApiSettings
from api.main import create_app
from tests.db.conftest import T0, FixedClock
from tests.db.test_signin import STAFF_TABLES
from tests.support.database import empty_tables


async def signs_in(database_url: str, username: str, password: str) -> int:
    app = create_app(ApiSettings(database_url=database_url, demo=False), clock=FixedClock(T0))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.test") as web,
    ):
        response = await web.post("/auth/login", json={"username": username, "password": password})
        return response.status_code


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    asyncio.run(empty_tables(database_url, *STAFF_TABLES))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_create_prints_a_password_once_reset_replaces_it_disable_stops_it(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create = ["create", "--username", "Amina", "--name", "Amina B.", "--role", "agent", "--seat", "agent1005"]
    assert user_main([*create, "--language", "ar"]) == 0
    first = capsys.readouterr().out.strip()
    assert len(first) >= 16
    assert asyncio.run(signs_in(cli_database, "amina", first)) == 200

    assert user_main(["reset-password", "--username", "amina"]) == 0
    second = capsys.readouterr().out.strip()
    assert second != first
    assert asyncio.run(signs_in(cli_database, "amina", first)) == 401
    assert asyncio.run(signs_in(cli_database, "amina", second)) == 200

    assert user_main(["reset-password", "--username", "amina", "--password-stdin"], stdin=io.StringIO("short\n")) == 2
    chosen = io.StringIO("a long chosen passphrase\n")
    assert user_main(["reset-password", "--username", "amina", "--password-stdin"], stdin=chosen) == 0
    assert capsys.readouterr().out == ""  # a chosen password is not printed back
    assert asyncio.run(signs_in(cli_database, "amina", "a long chosen passphrase")) == 200

    assert user_main(["list"]) == 0
    assert "amina\tAmina B.\tagent\tagent1005\tar\tactive" in capsys.readouterr().out
    assert user_main(["disable", "--username", "amina"]) == 0
    assert asyncio.run(signs_in(cli_database, "amina", "a long chosen passphrase")) == 401
    assert user_main(["list"]) == 0
    assert "amina\tAmina B.\tagent\tagent1005\tar\tdisabled" in capsys.readouterr().out
    assert user_main(["enable", "--username", "amina"]) == 0
    assert asyncio.run(signs_in(cli_database, "amina", "a long chosen passphrase")) == 200


def test_create_refuses_a_missing_or_unknown_seat_and_a_taken_one(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["create", "--username", "omar", "--name", "Omar", "--role", "agent"]
    assert user_main(base) == 2
    assert user_main([*base, "--seat", "demo-agent"]) == 2
    assert "configured seats" in capsys.readouterr().err
    assert user_main([*base, "--seat", "agent1006"]) == 0
    assert user_main(["create", "--username", "other", "--name", "O", "--role", "agent", "--seat", "agent1006"]) == 1
    assert user_main(["reset-password", "--username", "nobody"]) == 1
    supervisor = ["create", "--username", "sara", "--name", "Sara", "--role", "supervisor", "--password-stdin"]
    assert user_main(supervisor, stdin=io.StringIO("a good long password\n")) == 0


def test_tokens_may_be_created_with_a_lifetime(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert token_main(["create", "--role", "supervisor", "--name", "tv-1", "--expires-in", "90d"]) == 0
    assert capsys.readouterr().out.startswith("ivr_")
    assert token_main(["list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "\ttv-1\t" in line)
    assert "\tactive\t" in line and "\texpires 20" in line and "\tlast used never" in line
    with pytest.raises(SystemExit):
        token_main(["create", "--role", "agi", "--name", "x", "--expires-in", "forever"])

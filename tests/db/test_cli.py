"""`ivr token create|list|revoke` against the test database (DATABASE_URL points the CLI at it)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from api.cli import main
from api.config import ApiSettings
from api.main import create_app
from tests.db.conftest import T0, FixedClock, call


async def post_with(secret: str, database_url: str) -> int:
    app = create_app(ApiSettings(database_url=database_url, demo=False), clock=FixedClock(T0))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as http,
    ):
        response = await http.post("/calls", json=call("cli.1"), headers={"Authorization": f"Bearer {secret}"})
        return response.status_code


def test_create_prints_a_working_secret_once_and_revoke_disables_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["create", "--role", "agi", "--name", "agi-cli"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("ivr_") and len(secret) > 40
    assert asyncio.run(post_with(secret, database_url)) == 200

    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "agi-cli\tagi\tactive" in listing
    assert secret not in listing  # only the hash is stored, so it cannot be shown again

    assert main(["revoke", "--name", "agi-cli"]) == 0
    assert asyncio.run(post_with(secret, database_url)) == 401
    assert main(["revoke", "--name", "agi-cli"]) == 1  # nothing left to revoke


def test_a_role_outside_the_list_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["create", "--role", "root", "--name", "x"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err

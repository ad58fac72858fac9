"""The city hall example (examples/cityhall.toml) as `scripts/run.sh` serves it: the API reads the file from
IVR_CALLCENTER at start-up (demo mode, the embedded PostgreSQL of this tier) with demo accounts for its desk and
departments, its complaint setup answers, and the portal's page, form and tracking work on its request types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.security.tokens import Role
from tests.db.conftest import T0
from tests.support.api import LiveApi, serve_api
from tests.support.database import empty_tables

CITYHALL = Path(__file__).resolve().parents[2] / "examples" / "cityhall.toml"


REQUEST_TABLES = ("request_events", "requests", "rate_limits", "request_attachments", "citizen_notifications",
                  "request_satisfaction", "mail_messages")  # fmt: skip


@pytest.fixture
async def clean(database_url: str) -> AsyncIterator[None]:
    await empty_tables(database_url, *REQUEST_TABLES)
    yield
    await empty_tables(database_url, *REQUEST_TABLES)  # the other modules' listings start empty


@pytest.mark.usefixtures("clean")
async def test_the_api_serves_the_city_hall_example(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_CALLCENTER", str(CITYHALL))
    async with serve_api(database_url, clock=lambda: T0) as api:
        setup = await api.client.get("/complaints/setup", headers=LiveApi.auth(Role.DESK))
        assert setup.status_code == 200, setup.text
        departments = {department["key"] for department in setup.json()["departments"]}
        assert {"proprete", "hygiene", "domaine-public", "urbanisme"} <= departments
        users = await api.client.get("/users", headers=LiveApi.auth(Role.ADMIN))
        roles = {user["username"]: user["role"] for user in users.json()}
        assert (roles["accueil"], roles["k.benjelloun"], roles["m.haddad"]) == ("desk", "officer", "officer")
        page = await api.client.get("/ui/portal.html")
        assert page.status_code == 200 and 'id="follow-form"' in page.text
        config = (await api.client.get("/portal/config")).json()
        assert config["languages"] == ["fr", "ar"]
        assert [kind["key"] for kind in config["request_types"]] == ["complaint", "complaint_followup", "information"]
        form = {"request_type": "1", "description": "Dépôt sauvage rue des Lilas", "contact": "habitant@example.org",
                "language": "fr", "location_text": "rue des Lilas"}  # fmt: skip
        created = await api.client.post("/portal/requests/form", data=form)
        assert created.status_code == 201, created.text
        tracked = (await api.client.get(f"/portal/requests/{created.json()['reference']}")).json()
        assert (tracked["type_key"], tracked["stage"], tracked["status"]) == ("complaint", "received", "new")

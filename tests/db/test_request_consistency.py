"""The request desk and the complaint workflow agree, on a real PostgreSQL: a request under the workflow cannot be
moved by the plain status route (409 naming the workflow's route, nothing written), nor a correction of it; one
outside it still can; notes still work on both. Deadlines count the closures entered on /ui/closures.html as they
count the file's, from the day they are entered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from api.db import make_engine
from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import load_callcenter
from tests.db.conftest import FixedClock, bearer
from tests.db.test_cityhall import REQUEST_TABLES
from tests.support.database import empty_tables, issue_tokens

ROOT = Path(__file__).resolve().parents[2]
CITYHALL = load_callcenter(ROOT / "examples" / "cityhall.toml")
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris, a working day
FORM = {"request_type": 1, "description": "Des sacs d'ordures rue des Lilas depuis une semaine",
        "contact": "citoyen@example.org", "language": "fr", "category": "nuisibles"}  # fmt: skip
Headers = dict[str, str]


@pytest.fixture(scope="module")
def officers(database: tuple[str, dict[Role, str]]) -> dict[str, Headers]:
    people = {"b.lahlou": Role.OFFICER, "n.idrissi": Role.OFFICER}  # hygiene's agent and head
    issued = asyncio.run(issue_tokens(database[0], people, now=MONDAY - timedelta(days=30)))
    return {name: bearer(secret) for name, secret in issued.items()}


@pytest.fixture
async def city(app: FastAPI, clock: FixedClock, tmp_path: Path, database_url: str) -> AsyncIterator[None]:
    await empty_tables(database_url, "calendar_overrides", *REQUEST_TABLES)
    clock.now = MONDAY
    app.state.request_config = RequestConfig(callcenter=CITYHALL, recordings_dir=tmp_path, portal_limit=50)
    yield
    await empty_tables(database_url, "calendar_overrides", *REQUEST_TABLES)  # the other modules start empty


async def _file(client: httpx.AsyncClient, **fields: object) -> str:
    response = await client.post("/portal/requests", json=FORM | fields)
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


async def _counts(database_url: str, reference: str) -> tuple[int, int]:
    """(request_events rows, workflow_history rows) of the request."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = (await connection.execute(text(
                "SELECT (SELECT count(*) FROM request_events e WHERE e.request_id = r.id),"
                " (SELECT count(*) FROM workflow_history w WHERE w.reference = r.reference)"
                " FROM requests r WHERE r.reference = :reference"), {"reference": reference})).one()  # fmt: skip
            return int(found[0]), int(found[1])
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("city")
async def test_the_plain_status_route_refuses_a_request_under_the_workflow(
    client: httpx.AsyncClient, auth: dict[Role, Headers], officers: dict[str, Headers], database_url: str
) -> None:
    reference = await _file(client)  # pests: routed to hygiene at once, its clock running
    detail = (await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])).json()
    assert (detail["stage"], detail["status"]) == ("assigned", "new")
    assert detail["workflow_reference"] == reference  # the desk page hides its answer form on it
    before = await _counts(database_url, reference)
    for target in ("answered", "closed", "in_progress"):
        response = await client.post(f"/requests/{reference}/status", json={"status": target, "note": "fait"},
                                     headers=auth[Role.SUPERVISOR])  # fmt: skip
        assert response.status_code == 409, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert f"/complaints/{reference}/transitions" in response.json()["detail"]
    assert await _counts(database_url, reference) == before
    assert (await client.get(f"/complaints/{reference}", headers=officers["b.lahlou"])).json()["stage"] == "assigned"
    # a note moves nothing: it stays allowed
    note = await client.post(f"/requests/{reference}/notes", json={"note": "rappelé"}, headers=auth[Role.SUPERVISOR])
    assert note.status_code == 201, note.text
    # the workflow's own route still moves it, with its checks: an agent proposes, the head approves
    moved = await client.post(f"/complaints/{reference}/transitions", json={"action": "take"},
                              headers=officers["b.lahlou"])  # fmt: skip
    assert moved.status_code == 200, moved.text
    proposed = await client.post(f"/complaints/{reference}/transitions", json={"action": "propose",
                                 "comment": "Dératisation prévue jeudi"}, headers=officers["b.lahlou"])  # fmt: skip
    assert proposed.json()["stage"] == "answer_proposed", proposed.text
    # awaiting the head's approval: still no shortcut to "answered" for a supervisor on the request desk
    response = await client.post(f"/requests/{reference}/status", json={"status": "answered"},
                                 headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert response.status_code == 409
    assert (await client.get(f"/complaints/{reference}", headers=officers["n.idrissi"])).json()["stage"] == (
        "answer_proposed"
    )
    # nor through a correction: it restates the complaint, whose workflow goes on
    fixed = await client.post(f"/requests/{reference}/corrections", json={"description": "rue des Lilas, n° 12"},
                              headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert fixed.status_code == 201, fixed.text
    correction = fixed.json()["reference"]
    shown = (await client.get(f"/requests/{correction}", headers=auth[Role.SUPERVISOR])).json()
    assert (shown["stage"], shown["workflow_reference"]) == (None, reference)  # the desk hides its answer form
    response = await client.post(f"/requests/{correction}/status", json={"status": "closed"},
                                 headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert response.status_code == 409, response.text
    assert f"/complaints/{reference}/transitions" in response.json()["detail"]


@pytest.mark.usefixtures("city")
async def test_a_request_outside_the_workflow_keeps_its_plain_status(
    client: httpx.AsyncClient, auth: dict[Role, Headers], database_url: str
) -> None:
    reference = await _file(client, request_type=3, category=None)  # information: not under the workflow
    detail = (await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])).json()
    assert (detail["stage"], detail["workflow_reference"]) == (None, None)
    response = await client.post(f"/requests/{reference}/status", json={"status": "answered", "note": "fait"},
                                 headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "answered"
    assert await _counts(database_url, reference) == (2, 0)  # created, answered


async def _due(client: httpx.AsyncClient, reference: str, auth: dict[Role, Headers]) -> str:
    due: str = (await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])).json()["due_at"]
    return due


@pytest.mark.usefixtures("city")
async def test_deadlines_count_a_closure_entered_on_the_closures_page_from_then_on(
    client: httpx.AsyncClient, auth: dict[Role, Headers], officers: dict[str, Headers]
) -> None:
    information = {"request_type": 3, "category": None}  # 24 business hours, outside the workflow
    # Monday 10:00 Paris: Mon 6 h, Tue 7.5, Wed 7.5 (21), then Thursday 08:30 + 3 h
    before = await _file(client, **information)
    assert await _due(client, before, auth) == "2027-03-04T10:30:00Z"
    complaint_before = await _file(client)  # pests, hygiene: 5 working days, Tue..Sat (the city opens Saturdays)
    shown = (await client.get(f"/complaints/{complaint_before}", headers=officers["b.lahlou"])).json()
    assert (shown["stage_due_at"], shown["answer_due_at"]) == ("2027-03-02T16:30:00Z", "2027-03-06T11:00:00Z")

    added = await client.post("/admin/calendar/closures", headers=auth[Role.ADMIN],
                              json={"first_day": "2027-03-03", "reason": "Journée de deuil"})  # fmt: skip
    assert added.status_code == 201, added.text
    # Wednesday closed: Thursday 3.5 + 5.5 (22.5), then Friday 08:30 + 1.5 h
    after = await _file(client, **information)
    assert await _due(client, after, auth) == "2027-03-05T09:00:00Z"
    complaint_after = await _file(client)  # Tue, Thu, Fri, Sat, Mon: Monday's close
    shown = (await client.get(f"/complaints/{complaint_after}", headers=officers["b.lahlou"])).json()
    assert (shown["stage_due_at"], shown["answer_due_at"]) == ("2027-03-02T16:30:00Z", "2027-03-08T16:30:00Z")
    # the deadlines already given stay as they were (api.request_rules)
    assert await _due(client, before, auth) == "2027-03-04T10:30:00Z"
    shown = (await client.get(f"/complaints/{complaint_before}", headers=officers["b.lahlou"])).json()
    assert shown["answer_due_at"] == "2027-03-06T11:00:00Z"
    # "due soon" counts it too: 20 business hours from Monday 10:00 reach Thursday 16:30 over the closed Wednesday
    assert before in await _due_soon(client, auth, 20)

    removed = await client.delete(f"/admin/calendar/{added.json()['id']}", headers=auth[Role.ADMIN])
    assert removed.status_code == 200, removed.text
    again = await _file(client, **information)
    assert await _due(client, again, auth) == "2027-03-04T10:30:00Z"
    assert before not in await _due_soon(client, auth, 20)  # Wednesday 16:30 again


async def _due_soon(client: httpx.AsyncClient, auth: dict[Role, Headers], hours: float) -> list[str]:
    params: dict[str, str | float] = {"due": "due_soon", "within_hours": hours}
    listed = await client.get("/requests", params=params, headers=auth[Role.SUPERVISOR])
    assert listed.status_code == 200, listed.text
    return [item["reference"] for item in listed.json()["items"]]

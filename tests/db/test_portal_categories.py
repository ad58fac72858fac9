"""A citizen (the portal's form) or the desk (a paper letter) choosing the category of a complaint, through the API
on a real PostgreSQL with the city hall's configuration (examples/cityhall.toml): the portal lists the categories
without internal data, a chosen category routes the request to its department with its deadline, an unknown one
is a 422 problem, and without one the type's default category still applies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import load_callcenter
from callcenter.workflow import DepartmentCalendars, deadline
from tests.db.conftest import FixedClock
from tests.support.database import empty_tables

ROOT = Path(__file__).resolve().parents[2]
_SHIPPED = load_callcenter(ROOT / "examples" / "cityhall.toml")
assert _SHIPPED.complaints is not None
SHIPPED_CATEGORIES = [category.key for category in _SHIPPED.complaints.categories]
# with a default category for complaints, as the consular file has (waste collection: cleanliness, 3 days)
CITYHALL = _SHIPPED.model_copy(
    update={"complaints": _SHIPPED.complaints.model_copy(update={"default_category": {"complaint": "dechets"}})}
)
CALENDARS = DepartmentCalendars(CITYHALL)
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FORM = {"request_type": "1", "description": "Rats dans la cour de l'immeuble", "contact": "habitant@example.org",
        "language": "fr"}  # fmt: skip
Auth = dict[Role, dict[str, str]]


@pytest.fixture
async def city(app: FastAPI, clock: FixedClock, database_url: str, tmp_path: Path) -> AsyncIterator[None]:
    await empty_tables(database_url, "request_events", "requests", "rate_limits", "request_attachments",
                       "citizen_notifications")  # fmt: skip
    clock.now = MONDAY
    app.state.request_config = RequestConfig(callcenter=CITYHALL, recordings_dir=tmp_path, portal_limit=50)
    yield


def _due(detail: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(detail["answer_due_at"]))


async def _complaint(client: httpx.AsyncClient, auth: Auth, reference: str) -> dict[str, object]:
    found = await client.get(f"/complaints/{reference}", headers=auth[Role.SUPERVISOR])
    assert found.status_code == 200, found.text
    detail: dict[str, object] = found.json()
    return detail


@pytest.mark.usefixtures("city")
async def test_the_portal_lists_the_categories_of_the_complaint_type_only(client: httpx.AsyncClient) -> None:
    config = (await client.get("/portal/config")).json()
    categories = config["categories"]
    assert [category["key"] for category in categories] == SHIPPED_CATEGORIES
    nuisibles = next(category for category in categories if category["key"] == "nuisibles")
    names = {"fr": "Rats, insectes, animaux errants", "ar": "القوارض والحشرات والحيوانات الضالة"}
    assert nuisibles == {"key": "nuisibles", "names": names, "request_types": [1]}
    # no department, no deadline: nothing the citizen does not need
    assert all(set(category) == {"key", "names", "request_types"} for category in categories)
    assert "Hygiène et santé publique" not in str(config) and "hygiene" not in [c["key"] for c in categories]


@pytest.mark.usefixtures("city")
async def test_a_chosen_category_routes_to_its_department_with_its_deadline(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    created = await client.post("/portal/requests/form", data=FORM | {"category": "nuisibles"})
    assert created.status_code == 201, created.text
    detail = await _complaint(client, auth, created.json()["reference"])
    assert (detail["category"], detail["department"], detail["stage"]) == ("nuisibles", "hygiene", "assigned")
    assert _due(detail) == deadline(CALENDARS.of("hygiene"), MONDAY, 5)

    # a letter about a building site goes to urbanism (the paper rule of the configuration), 10 days
    letter = {"request_type": "1", "description": "Chantier bruyant la nuit", "category": "chantiers"}
    paper = await client.post("/requests/paper", data=letter, headers=auth[Role.SUPERVISOR])
    assert paper.status_code == 201, paper.text
    detail = await _complaint(client, auth, paper.json()["reference"])
    assert (detail["category"], detail["department"], detail["channel"]) == ("chantiers", "urbanisme", "paper")
    assert _due(detail) == deadline(CALENDARS.of("urbanisme"), MONDAY, 10)


@pytest.mark.usefixtures("city")
async def test_an_unknown_category_is_a_422_problem_and_none_keeps_the_default(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    for category, says in (("eclairage", "is not a category of request_type 1"), ("x" * 41, "category")):
        refused = await client.post("/portal/requests/form", data=FORM | {"category": category})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json" and says in refused.json()["detail"]
    wrong_type = await client.post("/requests/paper", data=FORM | {"request_type": "3", "category": "dechets"},
                                   headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert wrong_type.status_code == 422 and "request_type 3 takes no category" in wrong_type.json()["detail"]
    # the JSON routes that open requests ask the same question
    as_json = {**FORM, "request_type": 1, "category": "eclairage"}
    refused_json = await client.post("/portal/requests", json=as_json)
    assert refused_json.status_code == 422 and "is not a category of request_type 1" in refused_json.json()["detail"]
    staff_body = {key: value for key, value in as_json.items() if key != "contact"} | {"caller_number": "+2126001"}
    by_staff = await client.post("/requests", json=staff_body,
                                 headers=auth[Role.AGENT])  # fmt: skip
    assert by_staff.status_code == 422 and "is not a category of request_type 1" in by_staff.json()["detail"]
    listing = await client.get("/requests", params={"due": "all"}, headers=auth[Role.SUPERVISOR])
    assert listing.json()["items"] == []  # nothing refused was stored

    for blank in ({}, {"category": ""}):  # no choice, or the form's "I don't know"
        created = await client.post("/portal/requests/form", data=FORM | blank)
        assert created.status_code == 201, created.text
        detail = await _complaint(client, auth, created.json()["reference"])
        assert (detail["category"], detail["department"], detail["stage"]) == ("dechets", "proprete", "assigned")
        assert _due(detail) == deadline(CALENDARS.of("proprete"), MONDAY, 3)

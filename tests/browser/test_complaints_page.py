"""The complaint screens in headless Chromium, phone-sized, against the API (uvicorn) with the city hall's
configuration: the desk (in Arabic, right to left) routes a complaint, the department's agent takes it and
proposes an answer, the head approves it on the approval tab, and the director's dashboard counts it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import load_callcenter
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Browser, Page, launch
from tests.support.database import Database, issue_tokens

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = {"accueil.b": Role.DESK, "y.tazi": Role.OFFICER, "k.benjelloun": Role.OFFICER, "dgs": Role.OFFICIAL}


@pytest.fixture
def request_config(tmp_path: Path) -> RequestConfig:
    return RequestConfig(callcenter=load_callcenter(ROOT / "examples" / "cityhall.toml"), recordings_dir=tmp_path)


@pytest.fixture
async def api(staff_database: Database, request_config: RequestConfig) -> AsyncIterator[LiveApi]:
    async with serve_api(staff_database.url, request_config, demo=False) as served:
        yield served


@pytest.fixture
async def people(staff_database: Database) -> dict[str, str]:
    return await issue_tokens(staff_database.url, PEOPLE, now=datetime.now(UTC))


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launch() as browser:
        yield browser


async def open_screen(browser: Browser, api: LiveApi, token: str, query: str) -> Page:
    page = await browser.new_page(phone=True)
    await page.goto(f"{api.url}/ui/complaints.html?{query}#token={token}")
    await page.wait_for("document.body.dataset.ready === '1'", what="the complaint page ready")
    return page


async def act(page: Page, reference: str, action: str, **fields: str) -> None:
    """Open the request from the list, choose the action, fill the form as a person would, and send it."""
    await page.wait_for(f"document.querySelector('#items li[data-reference=\"{reference}\"] button')",
                        what=f"{reference} in the list")  # fmt: skip
    await page.evaluate(f"document.querySelector('#items li[data-reference=\"{reference}\"] button').click()")
    await page.wait_for(f"document.getElementById('d-reference').textContent === '{reference}'", what="the request")
    await page.wait_for(
        f"[...document.getElementById('m-action').options].some((o) => o.value === '{action}')",
        what=f"{action} offered",
    )
    fill = "".join(
        f"document.getElementById('{field}').value = {json.dumps(value)};" for field, value in fields.items()
    )
    stage = await page.evaluate("document.getElementById('detail').dataset.stage")
    await page.evaluate(
        f"(() => {{ const s = document.getElementById('m-action'); s.value = '{action}';"
        f"s.dispatchEvent(new Event('change')); {fill} document.getElementById('m-submit').click(); }})()"
    )
    await page.wait_for(f"document.getElementById('detail').dataset.stage !== '{stage}'", what=f"{action} done")


async def test_desk_department_and_approval_screens(browser: Browser, api: LiveApi, people: dict[str, str]) -> None:
    form = {"request_type": 1, "description": "Dépôt sauvage derrière le marché", "contact": "0612345678",
            "language": "ar"}  # fmt: skip
    created = await api.client.post("/portal/requests", json=form)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]

    desk = await open_screen(browser, api, people["accueil.b"], "view=desk&lang=ar")
    assert await desk.evaluate("document.documentElement.dir") == "rtl"
    assert await desk.evaluate("document.querySelector('#views button[data-view=\"desk\"]').textContent") == (
        "الاستقبال (الفرز)"
    )
    await act(desk, reference, "route", **{"m-department": "proprete", "m-category": "dechets", "m-district": "Souk"})
    assert await desk.evaluate("document.getElementById('detail').dataset.stage") == "assigned"
    assert await desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits a phone

    agent = await open_screen(browser, api, people["y.tazi"], "view=queue&lang=fr")
    assert await agent.evaluate("document.querySelector('#views button[data-view=\"desk\"]').hidden || "
                                "document.querySelector('#views button[data-view=\"desk\"]').classList"
                                ".contains('hidden')")  # fmt: skip
    await act(agent, reference, "take")
    await agent.wait_for("document.getElementById('d-assignee').textContent === 'y.tazi'", what="assigned to me")
    await act(agent, reference, "propose", **{"m-comment": "Le dépôt a été enlevé ce matin."})
    assert await agent.evaluate("document.getElementById('detail').dataset.stage") == "answer_proposed"
    offered = await agent.evaluate("[...document.getElementById('m-action').options].map((o) => o.value)")
    assert "approve" not in offered  # an agent does not approve

    head = await open_screen(browser, api, people["k.benjelloun"], "view=approval&lang=fr")
    await act(head, reference, "approve")
    assert await head.evaluate("document.getElementById('detail').dataset.stage") == "answer_approved"
    history = await head.evaluate("document.getElementById('d-history').children.length")
    assert history == 5  # received, routed, taken, proposed, approved

    director = await open_screen(browser, api, people["dgs"], "lang=fr")
    await director.wait_for("Number(document.getElementById('b-total').textContent) >= 1", what="dashboard figures")
    departments = await director.evaluate("document.getElementById('b-department').textContent")
    assert "Propreté" in departments

"""The complaint screens in headless Chromium, phone-sized, against the API (uvicorn) with the city hall's
configuration: the desk (in Arabic, right to left) routes a complaint, the department's agent takes it and
proposes an answer, the head approves it on the approval tab, and the director's dashboard counts it; the mayor's
dashboard charts known figures right to left in Arabic on a phone, and says "no data" for an empty period."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from api.db import make_engine
from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import load_callcenter
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Browser, Page, launch
from tests.support.database import Database, issue_tokens

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = {"accueil.b": Role.DESK, "y.tazi": Role.OFFICER, "k.benjelloun": Role.OFFICER, "dgs": Role.OFFICIAL,
          "maire": Role.OFFICIAL}  # fmt: skip


@pytest.fixture
def request_config(tmp_path: Path) -> RequestConfig:
    return RequestConfig(callcenter=load_callcenter(ROOT / "examples" / "cityhall.toml"), recordings_dir=tmp_path,
                         portal_limit=50)  # fmt: skip


class ShiftedClock:
    """The API's clock: real time, shifted by `shift` (to file a request a week ago)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def api(staff_database: Database, request_config: RequestConfig, clock: ShiftedClock) -> AsyncIterator[LiveApi]:
    async with serve_api(staff_database.url, request_config, demo=False, clock=clock) as served:
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
    await director.wait_for("document.querySelector('#c-department rect[data-key=\"proprete\"]')", what="the chart")
    departments = await director.evaluate("document.getElementById('c-department').textContent")
    assert "Propreté" in departments


async def test_the_mayors_dashboard_charts_right_to_left_and_says_when_there_is_no_data(
    browser: Browser, api: LiveApi, people: dict[str, str], staff_database: Database, clock: ShiftedClock
) -> None:
    filed = []
    for category, district in (("permis", "Souk"), ("dechets", "Souk"), ("dechets", "Souk"), ("dechets", "Centre"),
                               ("nuisibles", "Centre")):  # fmt: skip
        clock.shift = timedelta(days=-7 if category == "permis" else 0)  # the permit a week ago
        form = {"request_type": 1, "description": "Réclamation", "contact": "0612345678", "language": "ar",
                "category": category, "district": district}  # fmt: skip
        created = await api.client.post("/portal/requests", json=form)
        assert created.status_code == 201, created.text
        filed.append(created.json()["reference"])
    engine = make_engine(staff_database.url)
    try:
        async with engine.begin() as connection:
            # two of the cleanliness ones are overdue now, the rest (the permit of a week ago too) within their time
            for reference, due in zip(filed, ("+", "-", "-", "+", "+"), strict=True):
                await connection.execute(text(f"UPDATE requests SET stage_due_at = now() {due} interval '2 days' "
                                              "WHERE reference = :ref"), {"ref": reference})  # fmt: skip
            for reference, rating in zip(filed, (2, 5, 5, 4, None), strict=True):
                await connection.execute(text("UPDATE requests SET satisfaction = :rating WHERE reference = :ref"),
                                         {"rating": rating, "ref": reference})  # fmt: skip
    finally:
        await engine.dispose()

    mayor = await open_screen(browser, api, people["maire"], "view=dashboard&lang=ar")
    await mayor.wait_for("document.body.dataset.board", what="the dashboard drawn")
    assert await mayor.evaluate("document.documentElement.dir") == "rtl"
    assert await mayor.evaluate("document.getElementById('b-overdue').textContent") == "2"
    bar = "document.querySelector('#c-department rect[data-key=\"{}\"]')"
    value = "document.querySelector('#c-department text.value[data-key=\"{}\"]').textContent"
    figures = {key: (await mayor.evaluate(f"{bar.format(key)}.dataset.value"), await mayor.evaluate(value.format(key)))
               for key in ("proprete", "hygiene", "urbanisme")}  # fmt: skip
    assert figures == {"proprete": ("3", "3"), "hygiene": ("1", "1"), "urbanisme": ("1", "1")}
    boxes = await mayor.evaluate(
        "Object.fromEntries(['proprete', 'hygiene'].map((key) => [key,"
        " (({left, right, width}) => ({left, right, width}))"
        "(document.querySelector(`#c-department rect[data-key=\"${key}\"]`).getBoundingClientRect())]))"
    )
    assert boxes["proprete"]["width"] == pytest.approx(3 * boxes["hygiene"]["width"], rel=0.02)  # to scale
    # right to left: the bars start at the same right edge and grow leftwards; the label sits right of its bar
    assert boxes["proprete"]["right"] == pytest.approx(boxes["hygiene"]["right"], abs=0.5)
    assert boxes["proprete"]["left"] < boxes["hygiene"]["left"]
    label = await mayor.evaluate(
        "(() => { const label = [...document.querySelectorAll('#c-department text.label')]"
        ".find((node) => node.textContent === 'النظافة'); return label && label.getBoundingClientRect().left; })()"
    )
    assert label is not None and label >= boxes["proprete"]["right"]
    description = await mayor.evaluate("document.querySelector('#c-department desc').textContent")
    assert "النظافة : 3" in description and "التعمير : 1" in description, description
    assert await mayor.evaluate("document.getElementById('c-department').getAttribute('aria-describedby')") == (
        "c-department-desc"
    )
    districts = await mayor.evaluate(
        "[...document.querySelectorAll('#c-district rect[data-key]')].map((r) => [r.dataset.key, r.dataset.value])"
    )
    assert districts == [["Souk", "3"], ["Centre", "2"]]
    # per week: the last two weeks (1 received, then 4 of which 2 overdue); the oldest week is the right-most
    weeks = await mayor.evaluate(
        "['received', 'overdue'].map((series) =>"
        " [...document.querySelectorAll(`#c-weekly rect[data-series=${series}]`)]"
        ".map((r) => [r.dataset.value, r.getBoundingClientRect().left]))"
    )
    received, overdue = weeks
    assert [value for value, _ in received[-2:]] == ["1", "4"] and [value for value, _ in overdue[-2:]] == ["0", "2"]
    assert sum(int(value) for value, _ in received) == 5
    assert received[0][1] > received[-1][1]
    ratings = await mayor.evaluate(
        "[...document.querySelectorAll('#c-satisfaction rect[data-series]')]"
        ".map((r) => [r.dataset.key, r.dataset.value])"
    )
    assert ratings == [["1", "0"], ["2", "1"], ["3", "0"], ["4", "1"], ["5", "2"]]
    medians = await mayor.evaluate("document.querySelectorAll('#c-median rect[data-key]').length")
    assert medians >= 1
    assert await mayor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits a phone

    empty = await open_screen(browser, api, people["maire"], "view=dashboard&lang=ar&from=2020-01-01&to=2020-01-31")
    await empty.wait_for("document.body.dataset.board", what="the empty dashboard drawn")
    charts = await empty.evaluate(
        "[...document.querySelectorAll('#board svg')].map((svg) => [svg.id, svg.dataset.empty,"
        " svg.querySelector('.no-data')?.textContent, svg.querySelectorAll('rect[data-value]').length])"
    )
    assert charts == [[name, "true", "لا توجد بيانات لهذه الفترة", 0] for name in
                      ("c-weekly", "c-category", "c-department", "c-district", "c-stage", "c-median",
                       "c-satisfaction")]  # fmt: skip

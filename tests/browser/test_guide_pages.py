"""The consular guide's pages in headless Chromium against the API served by uvicorn (no Asterisk): the public
guide on a phone in Arabic (right to left), and guide.html where an agent proposes and a supervisor accepts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.db import make_engine
from api.guide.cli import import_articles
from api.guide.files import read_folder
from api.security.tokens import DEMO_TOKENS, Role
from tests.support.api import LiveApi, serve_api
from tests.support.browser import launch, require_chromium
from tests.support.database import REPO, throwaway_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    require_chromium()
    with throwaway_database("ivr_guide_browser") as url:
        yield url


@pytest.fixture
async def api(database: str) -> AsyncIterator[LiveApi]:
    async with serve_api(database) as live:
        articles, categories = read_folder(REPO / "examples" / "guide")
        engine = make_engine(database)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await import_articles(session, articles=articles, categories=categories, now=datetime.now(UTC))
        finally:
            await engine.dispose()
        yield live


async def test_the_public_guide_in_arabic_on_a_phone(api: LiveApi) -> None:
    async with launch() as browser:
        page = await browser.new_page(phone=True)
        await page.goto(f"{api.url}/ui/public-guide.html?lang=ar")
        await page.wait_for("document.querySelector('#public-articles li[data-slug]') !== null", what="the index")
        assert await page.evaluate("document.documentElement.dir") == "rtl"
        await page.playwright.fill("#guide-q", "وجوازات السفر")
        await page.evaluate("document.getElementById('guide-search').click()")
        await page.wait_for("document.querySelector('#guide-results li[data-slug]') !== null", what="the results")
        slugs = await page.evaluate(
            "[...document.querySelectorAll('#guide-results li[data-slug]')].map(li => li.dataset.slug)"
        )
        assert "passeport-premiere-demande" in slugs
        assert await page.evaluate("document.querySelector('#guide-results mark') !== null")  # highlighted
        await page.evaluate(
            "document.querySelector('#guide-results li[data-slug=\"passeport-premiere-demande\"] button').click()"
        )
        title = await page.wait_for("document.getElementById('guide-article-title')?.textContent", what="the article")
        assert title == "جواز السفر البيومتري: الطلب الأول"
        assert await page.evaluate("document.getElementById('guide-article-title').dir") == "rtl"
        assert await page.evaluate("document.querySelector('#guide-article .sample') !== null")  # marked sample
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # phone-sized


async def test_an_agent_proposes_from_a_request_and_a_supervisor_accepts(api: LiveApi) -> None:
    opened = await api.client.post(
        "/portal/requests",
        json={"request_type": 1, "language": "fr", "contact": "a@example.org", "description": "Apostille ?"},
    )
    reference = opened.json()["reference"]
    query = urlencode({"from_request": reference, "language": "fr", "title": "Apostille", "text": "Réponse donnée"})
    async with launch() as browser:
        agent = await browser.new_page()
        await agent.goto(f"{api.url}/ui/guide.html?lang=fr&{query}#token={DEMO_TOKENS[Role.AGENT]}")
        await agent.wait_for("document.getElementById('write-body').value === 'Réponse donnée'", what="filled in")
        await agent.evaluate("document.getElementById('write-send').click()")  # the second click
        created = await agent.wait_for("document.getElementById('write-result').dataset.done", what="proposed")
        article = (await api.client.get(f"/guide/articles/{created}", headers=api.auth(Role.SUPERVISOR))).json()
        assert (article["state"], article["from_request_id"] is not None) == ("in_review", True)

        supervisor = await browser.new_page()
        await supervisor.goto(f"{api.url}/ui/guide.html?lang=fr&tab=review#token={DEMO_TOKENS[Role.SUPERVISOR]}")
        row = f"document.querySelector('#in-review li[data-slug=\"{article['slug']}\"] button')"
        await supervisor.wait_for(f"{row} !== null", what="the article in the review queue")
        await supervisor.evaluate(f"{row}.click()")
        publish = "document.querySelector('#state-actions button[data-state=\"published\"]')"
        await supervisor.wait_for(f"{publish} !== null", what="the publish button")
        await supervisor.evaluate(f"{publish}.click()")

        await supervisor.wait_for(f"!{publish}", what="published")
        assert (await api.client.get(f"/portal/guide/articles/{article['slug']}")).status_code == 200

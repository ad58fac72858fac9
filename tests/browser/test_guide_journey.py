"""The guide during a real call (issue 16): an agent signed in on the agent page takes a real SIP call (SIPp through
the IVR into q-fr, answered in the page's softphone); the guide panel follows the caller's language and suggests
the article of the request type keyed in the IVR; the agent searches (with a typo), ticks the article used, hangs
up and files the disposition: the article is stored with that call's disposition. Fixtures and steps as
test_agent_journey.py, without its audio measurements."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from api.ami.service import AmiEnvironment
from api.request_config import RequestConfig
from api.security.tokens import Role
from sandbox.sipp import CallerScript
from tests.asterisk.conftest import OPEN_AT, AgiServer, Tier
from tests.browser.conftest import PHONE, click, expose_softphone, phone_reaches
from tests.support.api import serve_api
from tests.support.browser import arrive, launch, sign_in
from tests.support.database import Database, create_staff, empty_tables

SEAT = "agent1002"
USERNAME = "karim"
PASSWORD = "another long demo passphrase"
CALLER = "+33698765432"
KEYS = ((2.0, "3"), (3.2, "1"))  # French, then request type 1 (conditions of a consular service)
ARTICLE = {
    "slug": "passeport-premiere-demande",
    "original_language": "fr",
    "request_type": 1,
    "translations": [
        {"language": "fr", "title": "Passeport : première demande", "body": "Pièces à fournir : la CNIE, photos."},
        {"language": "ar", "title": "جواز السفر: الطلب الأول", "body": "الوثائق المطلوبة: البطاقة الوطنية."},
    ],
}
GUIDE_TABLES = (
    *("guide_article_uses", "guide_proposals", "guide_versions", "guide_translations", "guide_articles"),
    *("guide_words", "guide_searches"),
)
HIT = "document.querySelector('#guide-results li[data-slug=\"passeport-premiere-demande\"]')"


async def test_an_agent_finds_an_article_during_a_call_and_it_is_kept_with_the_disposition(
    tier: Tier,
    start_agi: Callable[[str], AgiServer],
    staff_database: Database,
    softphone_environment: None,
    request_config: RequestConfig,
    tmp_path: Path,
) -> None:
    start_agi(OPEN_AT)
    await empty_tables(staff_database.url, "staff_users", "staff_sessions", "login_failures")
    await empty_tables(staff_database.url, *GUIDE_TABLES)
    await create_staff(staff_database.url, username=USERNAME, role=Role.AGENT, seat=SEAT, password=PASSWORD)
    supervisor = staff_database.bearer("supervisor")
    ami_environment = AmiEnvironment(port=tier.options.ami_port, secret=tier.secret)
    async with (
        serve_api(staff_database.url, request_config, demo=False, ami=ami_environment) as api,
        launch(webrtc=True) as browser,
    ):
        created = await api.client.post("/guide/articles", json=ARTICLE, headers=supervisor)
        assert created.status_code == 201, created.text
        published = await api.client.post(
            f"/guide/articles/{ARTICLE['slug']}/state", json={"state": "published"}, headers=supervisor
        )
        assert published.status_code == 200, published.text
        page = await browser.new_page()
        await page.goto(f"{api.url}/ui/signin.html?lang=fr&next=/ui/agent.html%3Flang%3Dfr")
        await sign_in(page, USERNAME, PASSWORD)
        await arrive(page, "/ui/agent.html")
        await page.wait_for(f"document.getElementById('seat').textContent === '{SEAT}'", what="my seat")
        await expose_softphone(page)
        await phone_reaches(page, "registered", timeout_s=15, what="registered over WSS")
        await page.evaluate("document.querySelector('#skills select[name=fr]').value = 'native'")
        await page.evaluate("document.getElementById('login').click()")
        await page.wait_for("document.querySelector('#my-queues li[data-queue=\"q-fr\"]') !== null", what="in q-fr")
        call = asyncio.create_task(
            tier.call(CallerScript(caller=CALLER, keys=KEYS, speak_at=6.0, hangup_at=30.0), tmp_path)
        )
        try:
            await phone_reaches(page, "ringing", timeout_s=20, what="the page ringing")
            await click(page, ".sp-answer")
            await phone_reaches(page, "in-call", timeout_s=10, what="the call answered")
            # suggested from the request type the caller keyed, in the caller's language
            await page.wait_for(f"{HIT} !== null", timeout_s=10, what="the article suggested for request type 1")
            assert await page.evaluate("document.getElementById('guide-language').value") == "fr"
            # searched during the call, with a typo and without accents
            await page.playwright.fill("#guide-q", "passeprt premiere")
            await page.evaluate("document.getElementById('guide-search').click()")
            await page.wait_for(
                "document.getElementById('guide-notice').textContent.includes('passeprt')",
                what="the typo taken for a word of the guide",
            )
            await page.wait_for(f"{HIT} !== null", what="the article found")
            await page.evaluate(f"{HIT}.querySelector('input.guide-use').click()")
            assert await page.evaluate(f"{PHONE}.state") == "in-call"  # all of it while the caller is on the line
            await click(page, ".sp-hangup")
            await phone_reaches(page, "registered", timeout_s=5, what="back to ready after hanging up")
        finally:
            result = await asyncio.wait_for(call, 60)
        assert result.ok, result.output[-2000:]
        try:
            linkedid = await page.wait_for(
                "!document.getElementById('disposition').classList.contains('hidden')"
                " && document.getElementById('disposition').dataset.linkedid",
                timeout_s=10,
                what="the disposition form after the call",
            )
            await page.evaluate("""(() => {
                const outcome = document.getElementById('disposition-outcome');
                outcome.value = 'information_given';
                outcome.dispatchEvent(new Event('change'));
                document.getElementById('disposition-save').click();
            })()""")
            await page.wait_for(
                f"document.getElementById('guide-panel').dataset.saved === '{linkedid}'", what="the articles saved"
            )
            uses = await api.client.get("/guide/uses", params={"linkedid": linkedid, "seat": SEAT}, headers=supervisor)
            assert [use["slug"] for use in uses.json()] == [ARTICLE["slug"]]
        finally:
            await api.client.post(f"/agents/{SEAT}/logout", headers=staff_database.bearer(SEAT))

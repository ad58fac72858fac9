"""The citizens' portal in headless Chromium against the API (uvicorn): a chat between a citizen's page and a
signed-in agent's chat page, its transcript on the request; the installable portal keeping a form typed offline
(with its photo and its complaint category) and sending it when the network comes back (Chromium's offline
emulation); the category picker in the page's language, hidden for a request type without categories."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from playwright.async_api import FilePayload

from api.channels.notify import Notifier
from api.request_config import RequestConfig
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Browser, launch
from tests.support.database import Database, empty_tables


@pytest.fixture
async def api(staff_database: Database, request_config: RequestConfig) -> AsyncIterator[LiveApi]:
    await empty_tables(staff_database.url, "request_events", "requests", "rate_limits", "request_attachments")
    async with serve_api(staff_database.url, request_config, demo=False) as served:
        assert served.app is not None
        served.app.state.notifier = Notifier(mail_from="requests@cityhall.example", portal_url=served.url)
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launch() as browser:
        yield browser


async def test_a_citizen_chats_with_an_agent_and_the_transcript_is_on_the_request(
    api: LiveApi, browser: Browser, staff_database: Database
) -> None:
    agent = await browser.new_page()
    await agent.goto(f"{api.url}/ui/chat.html#token={staff_database.tokens['supervisor']}")
    await agent.wait_for("document.querySelectorAll('#languages input').length > 0", what="the language choice")
    await agent.playwright.check("#languages input[value='fr']")
    await agent.playwright.click("#ready")
    await agent.wait_for("document.body.dataset.ready === 'fr'", what="the agent ready for French chats")

    citizen = await browser.new_page(phone=True)
    await citizen.goto(f"{api.url}/ui/portal.html?lang=fr")
    await citizen.wait_for("document.body.dataset.ready === '1'", what="the portal")
    await citizen.playwright.click("#chat-open")
    await citizen.playwright.fill("#chat-text", "Bonjour, le ramassage n'est pas passé rue 5.")
    await citizen.playwright.click("#chat-form button[type=submit]")
    await citizen.wait_for("document.getElementById('chat-state').textContent.includes('répond')",
                           what="an agent joining")  # fmt: skip
    heading = await agent.wait_for("document.querySelector('[data-conversation] h2')?.textContent",
                                   what="the conversation on the agent's page")  # fmt: skip
    reference = str(heading).split(" ")[0]
    assert len(reference) == 8 and reference.isdigit()
    await agent.wait_for("document.querySelector('[data-conversation] ol').textContent.includes('rue 5')",
                         what="the citizen's first message")  # fmt: skip
    await agent.playwright.fill("[data-conversation] form input", "Nous envoyons une équipe demain matin.")
    await agent.playwright.click("[data-conversation] form button[type=submit]")
    await citizen.wait_for("document.getElementById('chat-messages').textContent.includes('équipe demain')",
                           what="the agent's answer on the citizen's page")  # fmt: skip
    await citizen.playwright.click("#chat-end")
    await agent.wait_for("!document.querySelector('[data-conversation] form')", what="the conversation ended")

    detail = await api.client.get(f"/requests/{reference}", headers=staff_database.bearer("supervisor"))
    assert detail.status_code == 200, detail.text
    request = detail.json()
    assert (request["source"], request["channel"], request["language"]) == ("chat", "chat", "fr")
    transcript = [(event["actor"], event["note"]) for event in request["history"] if event["action"] == "chat"]
    assert transcript == [
        ("citizen", "citizen: Bonjour, le ramassage n'est pas passé rue 5."),
        ("test-supervisor", "agent: Nous envoyons une équipe demain matin."),
        ("citizen", "chat ended by citizen"),
    ]


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


async def test_the_installed_portal_keeps_an_offline_form_and_sends_it_on_reconnection(
    api: LiveApi, browser: Browser, staff_database: Database
) -> None:
    page = await browser.new_page(phone=True)
    await page.goto(f"{api.url}/ui/portal.html?lang=fr")
    await page.wait_for("document.body.dataset.ready === '1'", what="the portal")
    await page.wait_for("navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)",
                        timeout_s=15, what="the service worker controlling the page")  # fmt: skip
    manifest = await api.client.get("/ui/portal.webmanifest")
    assert manifest.json()["display"] == "standalone" and manifest.json()["start_url"] == "/ui/portal.html"

    context = page.playwright.context
    await context.set_offline(True)
    await page.wait_for("!navigator.onLine", what="the page offline")
    await page.playwright.reload(wait_until="load")  # the page itself now comes from the service worker's cache
    await page.wait_for("document.body.dataset.ready === '1'", what="the portal opened offline")
    await page.playwright.select_option("#type", "2")  # following a request: no category to choose
    assert await page.evaluate("getComputedStyle(document.getElementById('category-field')).display") == "none"
    await page.playwright.select_option("#type", "3")  # a complaint: the categories of the cached configuration
    labels = await page.evaluate("[...document.querySelectorAll('#category option')].map((o) => o.textContent)")
    assert labels == ["Je ne sais pas", "Service consulaire", "Réclamation", "Suggestion"]
    await page.playwright.select_option("#category", "suggestion")
    await page.playwright.fill("#description", "Nid-de-poule dangereux devant la pharmacie")
    await page.playwright.fill("#contact", "+212600000001")
    await page.playwright.fill("#location", "Bd Zerktouni / rue 3")
    picture: FilePayload = {"name": "trou.jpg", "mimeType": "image/jpeg", "buffer": photo()}
    await page.playwright.set_input_files("#photos", files=[picture])
    await page.playwright.click("#submit")
    await page.wait_for("document.querySelectorAll('#queued li').length === 1", what="the form kept offline")
    listing = await api.client.get("/requests", params={"due": "all"}, headers=staff_database.bearer("supervisor"))
    assert listing.json()["items"] == []

    await context.set_offline(False)
    result = await page.wait_for("document.getElementById('result').textContent.match(/\\d{8}/)?.[0]",
                                 timeout_s=15, what="the kept form sent on reconnection")  # fmt: skip
    await page.wait_for("document.querySelectorAll('#queued li').length === 0", what="the outbox emptied")
    detail = (await api.client.get(f"/requests/{result}", headers=staff_database.bearer("supervisor"))).json()
    assert (detail["channel"], detail["location_text"]) == ("pwa", "Bd Zerktouni / rue 3")
    assert detail["description"] == "Nid-de-poule dangereux devant la pharmacie"
    complaint = await api.client.get(f"/complaints/{result}", headers=staff_database.bearer("supervisor"))
    assert complaint.json()["category"] == "suggestion"  # the shipped file's default for type 3 is "complaint"
    files = (await api.client.get(f"/requests/{result}/attachments", headers=staff_database.bearer("supervisor")))
    assert [(item["filename"], item["media_type"]) for item in files.json()["items"]] == [("trou.jpg", "image/jpeg")]


async def test_desk_staff_enter_a_letter_with_its_scan(
    api: LiveApi, browser: Browser, staff_database: Database
) -> None:
    page = await browser.new_page()
    await page.goto(f"{api.url}/ui/paper.html#token={staff_database.tokens['agent1001']}")
    await page.wait_for("document.body.dataset.ready === '1'", what="the paper-mail page")
    await page.playwright.select_option("#type", "3")
    await page.playwright.select_option("#category", "suggestion")
    await page.playwright.select_option("#language", "ar")
    await page.playwright.fill("#description", "رسالة: تراكم الأزبال قرب السوق")
    await page.playwright.fill("#contact", "+212611111111")
    scan: FilePayload = {"name": "lettre.jpg", "mimeType": "image/jpeg", "buffer": photo()}
    await page.playwright.set_input_files("#scans", files=[scan])
    await page.playwright.click("#submit")
    reference = await page.wait_for("document.getElementById('result').textContent.match(/\\d{8}/)?.[0]",
                                    what="the letter recorded")  # fmt: skip
    detail = (await api.client.get(f"/requests/{reference}", headers=staff_database.bearer("supervisor"))).json()
    assert (detail["channel"], detail["language"], detail["contact"]) == ("paper", "ar", "+212611111111")
    complaint = await api.client.get(f"/complaints/{reference}", headers=staff_database.bearer("supervisor"))
    assert complaint.json()["category"] == "suggestion"
    files = await api.client.get(f"/requests/{reference}/attachments", headers=staff_database.bearer("supervisor"))
    assert [(item["origin"], item["media_type"]) for item in files.json()["items"]] == [("paper", "image/jpeg")]


async def test_a_citizen_follows_a_request_in_arabic_and_staff_see_its_place_and_photo(
    api: LiveApi, browser: Browser, staff_database: Database
) -> None:
    form = {"request_type": "3", "description": "حفرة خطيرة", "contact": "+212600000002", "language": "ar",
            "location_text": "شارع الزرقطوني", "latitude": "33.5731", "longitude": "-7.5898"}  # fmt: skip
    created = await api.client.post("/portal/requests/form", data=form,
                                    files=[("photos", ("hole.jpg", photo(), "image/jpeg"))])  # fmt: skip
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]

    citizen = await browser.new_page(phone=True)
    await citizen.goto(f"{api.url}/ui/portal.html?lang=ar&ref={reference}")
    await citizen.wait_for("document.body.dataset.ready === '1'", what="the portal")
    status = await citizen.wait_for("document.querySelector('#follow-facts [data-fact=status]')?.textContent",
                                    what="the request followed by its reference")  # fmt: skip
    assert status == "تم التوصل به"
    assert await citizen.evaluate("document.documentElement.dir") == "rtl"
    labels = await citizen.evaluate("[...document.querySelectorAll('#category option')].map((o) => o.textContent)")
    assert labels == ["لا أعرف", "خدمة قنصلية", "شكاية", "اقتراح"]  # the first type (1) is a complaint type too
    facts = str(await citizen.evaluate("document.getElementById('follow-facts').textContent"))
    assert reference in facts and "+212600000002" not in facts and "حفرة" not in facts

    desk = await browser.new_page()
    await desk.goto(f"{api.url}/ui/requests.html?ref={reference}#token={staff_database.tokens['supervisor']}")
    await desk.wait_for("document.querySelector('#attachments img')?.naturalWidth === 320", what="the photo shown")
    place = str(await desk.evaluate("document.getElementById('request-place').textContent"))
    assert "شارع الزرقطوني" in place and "33.573100, -7.589800" in place
    link = await desk.evaluate("document.querySelector('#request-place a').href")
    assert link == "https://www.openstreetmap.org/?mlat=33.573100&mlon=-7.589800#map=18/33.573100/-7.589800"
    channel = await desk.evaluate("document.getElementById('request-channel').textContent")
    assert channel in ("portail web", "web portal", "البوابة الإلكترونية")  # the page's language: the browser's

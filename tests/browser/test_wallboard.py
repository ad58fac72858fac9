"""The wallboard and agent pages in headless Chromium, against the API (uvicorn) fed by a fake AMI on loopback.
The same pages against the real Asterisk: tests/asterisk/test_agents.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.ami.service import AmiEnvironment
from tests.fake_ami import FakeAmi
from tests.support.api import serve_api
from tests.support.browser import Browser, launch
from tests.support.database import Database
from tests.support.wallboard_scene import threshold_transcript

PACKAGED = Path(__file__).parents[2] / "callcenter" / "callcenter.toml"
JOIN = {
    "Event": "QueueCallerJoin",
    "Queue": "q-fr",
    "Channel": "PJSIP/carrier-00000001",
    "Uniqueid": "1795400000.1",
    "CallerIDNum": "+33612345678",
    "Language": "fr",
    "Position": "1",
    "Count": "1",
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    async with FakeAmi(queues=("q-ar", "q-fr")) as server:
        yield server


@pytest.fixture
async def api_url(staff_database: Database, fake: FakeAmi) -> AsyncIterator[str]:
    async with serve_api(staff_database.url, demo=False, ami=AmiEnvironment(port=fake.port, secret=fake.secret)) as api:
        yield api.url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launch() as browser:
        yield browser


async def test_a_caller_joining_appears_on_the_wallboard_within_a_second(
    api_url: str, staff_database: Database, fake: FakeAmi, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(f"{api_url}/ui/wallboard.html?lang=fr#token={staff_database.tokens['supervisor']}")
    await page.wait_for("document.querySelector('[data-queue=\"q-fr\"]') !== null", timeout_s=10, what="q-fr card")
    assert await page.evaluate("location.hash") == ""  # the token left the address bar
    emitted = time.monotonic()
    fake.emit(JOIN)
    await page.wait_for(
        'document.querySelector(\'[data-queue="q-fr"] li.caller[data-number="+33612345678"]\') !== null',
        timeout_s=1.0,
        what="the caller on the wallboard",
    )
    assert time.monotonic() - emitted < 1.0
    assert await page.evaluate("document.querySelector('[data-queue=\"q-fr\"] .waiting-count').textContent") == "1"
    fake.emit({**JOIN, "Event": "QueueCallerAbandon", "HoldTime": "4", "OriginalPosition": "1"})
    fake.emit({**JOIN, "Event": "QueueCallerLeave", "Count": "0"})
    await page.wait_for(
        "document.querySelector('[data-queue=\"q-fr\"] .abandoned').textContent === '1'"
        " && !document.querySelector('[data-queue=\"q-fr\"] li.caller')",
        timeout_s=2,
        what="the abandon counted and the caller gone",
    )


async def test_arabic_interface_is_right_to_left_and_fits_a_phone(
    api_url: str, staff_database: Database, browser: Browser
) -> None:
    page = await browser.new_page(phone=True)
    await page.goto(f"{api_url}/ui/wallboard.html?lang=ar#token={staff_database.tokens['supervisor']}")
    await page.wait_for("document.querySelector('[data-queue]') !== null", timeout_s=10, what="queue cards")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.evaluate("document.querySelector('h1').textContent") == "لوحة متابعة قوائم الانتظار"
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def test_agent_pauses_with_a_reason_from_the_agent_page(
    api_url: str, staff_database: Database, fake: FakeAmi, browser: Browser
) -> None:
    page = await browser.new_page(phone=True)
    await page.goto(f"{api_url}/ui/agent.html?lang=fr#token={staff_database.tokens['agent1001']}")
    await page.wait_for("document.getElementById('seat').textContent === 'agent1001'", timeout_s=10, what="seat")
    await page.evaluate("document.querySelector('#skills select[name=fr]').value = 'native'")
    await page.evaluate("document.getElementById('login').click()")
    await page.wait_for(
        'document.querySelector(\'#my-queues li[data-queue="q-fr"][data-state="available"]\') !== null',
        timeout_s=3,
        what="logged into q-fr",
    )
    await page.evaluate("document.getElementById('reason').value = 'Formation'")
    await page.evaluate("document.getElementById('pause').click()")
    await page.wait_for(
        "document.querySelector('#my-queues li[data-queue=\"q-fr\"]').dataset.state === 'paused'",
        timeout_s=3,
        what="paused on the page",
    )
    assert (await page.evaluate("document.querySelector('#my-queues li').textContent")).endswith("Formation")
    pause = [action for action in fake.actions if action["Action"] == "QueuePause"]
    assert [(action["Interface"], action["Reason"]) for action in pause] == [("PJSIP/agent1001", "Formation")]


async def test_a_bad_token_sends_the_screen_to_the_sign_in_page(api_url: str, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{api_url}/ui/wallboard.html#token=not-a-token")
    await page.wait_for("location.pathname === '/ui/signin.html'", timeout_s=5, what="the sign-in page")
    assert await page.evaluate("new URLSearchParams(location.search).get('next')") == "/ui/wallboard.html"


def alert_of(selector: str) -> str:
    return f"document.querySelector('{selector}').dataset.alert"


async def test_thresholds_of_the_call_center_file_colour_the_right_cells_from_a_recorded_transcript(
    api_url: str, staff_database: Database, fake: FakeAmi, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(f"{api_url}/ui/wallboard.html?lang=fr#token={staff_database.tokens['supervisor']}")
    await page.wait_for("document.querySelector('[data-queue=\"q-ar\"]') !== null", timeout_s=10, what="q-ar card")
    assert await page.evaluate("document.querySelector('[data-queue=\"q-fr\"] .name').textContent") == "Français"
    for event in threshold_transcript(time.time()):
        fake.emit(event)
    await page.wait_for(
        "document.querySelector('#agents tr[data-interface=\"PJSIP/agent1001\"]')?.dataset.state === 'paused'"
        " && document.querySelector('[data-queue=\"q-fr\"] .abandoned').textContent === '1'"
        " && document.querySelector('[data-queue=\"q-fr\"] .waiting-count').textContent === '1'",
        timeout_s=3,
        what="the whole transcript on the wallboard (its last caller waiting, after the abandon)",
    )
    fr, ar = '[data-queue="q-fr"]', '[data-queue="q-ar"]'
    alerts = await page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-alert]')].filter((n) => n.dataset.alert === 'yes')"
        ".map((n) => [n.dataset.figure || n.className || n.dataset.queue, true]))"
    )
    assert await page.evaluate(alert_of(f"{fr} .service").replace(".dataset", ".parentElement.dataset")) == "yes"
    assert await page.evaluate(alert_of(f"{fr} .longest").replace(".dataset", ".parentElement.dataset")) == "yes"
    assert await page.evaluate(alert_of(f"{fr} .abandoned").replace(".dataset", ".parentElement.dataset")) == "yes"
    assert await page.evaluate(alert_of(fr)) == "yes"
    assert await page.evaluate(alert_of(ar)) == "no", alerts  # nothing happened in q-ar
    assert await page.evaluate(alert_of(f"{ar} .service").replace(".dataset", ".parentElement.dataset")) == "no"
    assert await page.evaluate(alert_of(f"{ar} .longest").replace(".dataset", ".parentElement.dataset")) == "no"
    for figure in ("service", "longest", "abandon"):
        assert await page.evaluate(alert_of(f'#totals [data-figure="{figure}"]')) == "yes", figure
    assert await page.evaluate(alert_of('#totals [data-figure="waiting"]')) in (None, "no")
    assert await page.evaluate(alert_of('#agents tr[data-interface="PJSIP/agent1001"] td.since')) == "yes"
    assert await page.evaluate("document.getElementById('alert-count').dataset.alert") == "yes"
    # the agent grid: one row per seat, the state, its reason, time in state counted from the recorded pause
    row = '#agents tr[data-interface="PJSIP/agent1001"]'
    assert await page.evaluate(f"document.querySelector('{row} .reason').textContent") == "training"
    since = await page.evaluate(f"document.querySelector('{row} .since').textContent")
    assert since.startswith(("16:", "17:")), since  # ~1,012 s


async def test_the_arabic_wallboard_mirrors_its_totals_and_agent_grid(
    api_url: str, staff_database: Database, fake: FakeAmi, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(f"{api_url}/ui/wallboard.html?lang=ar#token={staff_database.tokens['supervisor']}")
    await page.wait_for("document.querySelector('[data-queue=\"q-ar\"]') !== null", timeout_s=10, what="cards")
    for event in threshold_transcript(time.time()):
        fake.emit(event)
    await page.wait_for("document.querySelector('#agents tbody tr') !== null", timeout_s=3, what="the agent grid")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.evaluate("getComputedStyle(document.getElementById('agents')).direction") == "rtl"
    assert await page.evaluate("document.querySelector('[data-queue=\"q-ar\"] .name').textContent") == "العربية"
    # right to left: the first column (the agent) is the right-most one, the centre's title starts at the right
    assert await page.evaluate(
        "(() => { const [first, second] = document.querySelectorAll('#agents thead th');"
        " return first.getBoundingClientRect().left > second.getBoundingClientRect().left; })()"
    )
    assert await page.evaluate("document.querySelector('#agents thead th').textContent") == "الموظف"


async def test_a_queue_a_reload_adds_is_titled_in_the_page_language(
    api_url: str, staff_database: Database, browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = await browser.new_page()
    await page.goto(f"{api_url}/ui/wallboard.html?lang=en#token={staff_database.tokens['supervisor']}")
    await page.wait_for("document.querySelector('[data-queue=\"q-fr\"] .name')?.textContent === 'French'",
                        timeout_s=10, what="the French queue titled in English")  # fmt: skip
    path = tmp_path / "callcenter.toml"
    path.write_text(PACKAGED.read_text().replace('queue = "q-fr"', 'queue = "q-french"', 1))
    monkeypatch.setenv("IVR_CALLCENTER", str(path))  # the API runs in this process: its reload reads this file
    async with httpx.AsyncClient(base_url=api_url) as client:
        admin = {"Authorization": f"Bearer {staff_database.tokens['admin']}"}
        reloaded = await client.post("/admin/config/reload", headers=admin)
    assert reloaded.status_code == 200, reloaded.text
    await page.wait_for("document.querySelector('[data-queue=\"q-french\"] .name')?.textContent === 'French'",
                        timeout_s=5, what="the new queue titled in English, as the others")  # fmt: skip
    assert await page.evaluate("document.querySelector('[data-queue=\"q-french\"] .code').textContent") == "q-french"

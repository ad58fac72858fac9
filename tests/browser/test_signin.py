"""Signing in with a password in headless Chromium against the API (uvicorn, plain http on 127.0.0.1 as in the demo)
fed by a fake AMI: the sign-in page in French, Arabic (right to left) and English, the way back to the page that
sent the visitor, a wrong password, the admin page creating an account, and signing out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from api.ami.service import AmiEnvironment
from api.security.tokens import Role
from tests.fake_ami import FakeAmi
from tests.support.api import serve_api
from tests.support.browser import Browser, arrive, launch, sign_in
from tests.support.database import Database, create_staff, empty_tables

PASSWORD = "correct horse battery"


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    async with FakeAmi(queues=("q-ar", "q-fr")) as server:
        yield server


@pytest.fixture
async def api_url(staff_database: Database, fake: FakeAmi) -> AsyncIterator[str]:
    await empty_tables(staff_database.url, "staff_users", "staff_sessions", "login_failures")
    await create_staff(staff_database.url, username="alice", role=Role.AGENT, seat="agent1001", password=PASSWORD)
    await create_staff(staff_database.url, username="root", role=Role.ADMIN, password=PASSWORD, language="en")
    async with serve_api(staff_database.url, demo=False, ami=AmiEnvironment(port=fake.port, secret=fake.secret)) as api:
        yield api.url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launch() as browser:
        yield browser


async def test_an_agent_signs_in_with_a_password_and_lands_on_their_seat(api_url: str, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{api_url}/ui/agent.html?lang=fr")
    await arrive(page, "/ui/signin.html")
    assert await page.evaluate("new URLSearchParams(location.search).get('next')") == "/ui/agent.html?lang=fr"
    assert await page.evaluate("document.querySelector('[data-t=password]').textContent") == "Mot de passe"
    await sign_in(page, "alice", PASSWORD)
    await arrive(page, "/ui/agent.html")
    await page.wait_for("document.getElementById('seat').textContent === 'agent1001'", what="the seat")
    await page.wait_for(
        "document.getElementById('status').textContent === 'connecté'", what="the live socket, by the cookie"
    )
    assert await page.evaluate("document.cookie") == ""  # HttpOnly: no script sees the session
    # an action (POST) carries the CSRF token from /auth/me
    await page.evaluate("document.querySelector('#skills select[name=fr]').value = 'native'")
    await page.evaluate("document.getElementById('login').click()")
    await page.wait_for(
        "document.querySelector('#my-queues li[data-queue=\"q-fr\"]') !== null", timeout_s=5, what="in q-fr"
    )
    assert await page.evaluate("document.getElementById('error').textContent") == ""

    await page.evaluate("document.getElementById('signout').click()")
    await arrive(page, "/ui/signin.html")
    await page.goto(f"{api_url}/ui/agent.html")
    await arrive(page, "/ui/signin.html")


async def test_the_arabic_sign_in_page_is_right_to_left_and_fits_a_phone(api_url: str, browser: Browser) -> None:
    page = await browser.new_page(phone=True)
    await page.goto(f"{api_url}/ui/signin.html?lang=ar")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.evaluate("document.documentElement.lang") == "ar"
    assert await page.evaluate("document.querySelector('h1').textContent") == "تسجيل الدخول"
    assert await page.evaluate("document.querySelector('[data-t=password]').textContent") == "كلمة المرور"
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def test_a_wrong_password_shows_an_error_and_sets_no_session(api_url: str, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{api_url}/ui/signin.html?lang=en")
    await sign_in(page, "alice", "not the password")
    message = await page.wait_for("document.getElementById('error').textContent", what="an error message")
    assert message == "Wrong username or password."
    assert await page.evaluate("location.pathname") == "/ui/signin.html"
    assert await page.playwright.context.cookies() == []


async def test_the_admin_creates_an_account_whose_password_is_shown_once_and_works(
    api_url: str, browser: Browser
) -> None:
    admin = await browser.new_page()
    await admin.goto(f"{api_url}/ui/signin.html")
    await sign_in(admin, "root", PASSWORD)
    await arrive(admin, "/ui/index.html")  # the start page: an admin may open the staff accounts
    await admin.wait_for("document.querySelector('#pages [data-page=users] a') !== null", what="users link")
    await admin.evaluate("document.querySelector('#pages [data-page=users] a').click()")
    await arrive(admin, "/ui/users.html")
    await admin.wait_for(  # session.js adds the link home once /auth/me has answered
        "document.querySelector('header a.home')?.getAttribute('href') === '/ui/index.html'", what="the link home"
    )
    await admin.wait_for("document.querySelector('tr[data-username=alice]') !== null", what="the accounts")
    assert await admin.evaluate("document.documentElement.lang") == "en"  # root prefers English
    await admin.playwright.fill("#new-username", "bob")
    await admin.playwright.fill("#new-name", "Bob")
    await admin.playwright.select_option("#new-role", "agent")
    await admin.playwright.fill("#new-seat", "agent1002")
    await admin.playwright.click("#create-button")
    password = await admin.wait_for("document.getElementById('issued').textContent", what="the new password")
    await admin.wait_for("document.querySelector('tr[data-username=bob]') !== null", what="bob listed")

    bob = await browser.new_page()
    await bob.goto(f"{api_url}/ui/signin.html")
    await sign_in(bob, "bob", password)
    await arrive(bob, "/ui/index.html")
    pages = await bob.wait_for(
        "[...document.querySelectorAll('#pages li')].map((li) => li.dataset.page).join()", what="the agent's pages"
    )
    assert pages == "wallboard,agent,requests,guide,chat,paper,portal,public-guide"  # no reports, no accounts
    await bob.goto(f"{api_url}/ui/agent.html")
    await bob.wait_for("document.getElementById('seat').textContent === 'agent1002'", what="bob on his seat")

    await admin.evaluate("document.querySelector('tr[data-username=bob] button.secondary').click()")  # disable
    await admin.wait_for("document.querySelector('tr[data-username=bob]').dataset.disabled === 'true'", what="off")
    # bob's page is closed out within seconds: its live socket re-checks the session
    await arrive(bob, "/ui/signin.html", timeout_s=10)

"""/docs and /redoc on a closed network and under the Content-Security-Policy: Chromium may reach only the API's
own host (every other request is aborted), and each page must render the API's operations with no CSP violation.
Every page under /ui loads with no CSP violation either (no inline script or style, api.security.headers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Route

from api.security.tokens import DEMO_TOKENS, Role
from api.web import WEB_DIR
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Page, launch, require_chromium
from tests.support.database import throwaway_database

pytestmark = pytest.mark.browser
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LOCAL_HOSTS = ("127.0.0.1", "localhost")
REDOCLY_LOGO = "cdn.redoc.ly/redoc/logo-mini"
DOCS_PAGES = ("docs.html", "redoc.html")  # served as /docs and /redoc, tested above
# Collected from the first script of every document, before any page script runs (Playwright's init scripts are
# not subject to the page's CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    require_chromium()
    with throwaway_database("ivr_browser_docs") as url:
        yield url


@pytest.fixture
async def api(database: str) -> AsyncIterator[LiveApi]:
    async with serve_api(database, clock=lambda: NOW) as live:
        yield live


@pytest.fixture
async def offline_page() -> AsyncIterator[tuple[Page, list[str]]]:
    """A tab that can reach only this machine; the list gets every request that was refused."""
    refused: list[str] = []

    async def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort()

    async with launch() as browser:
        page = await browser.new_page()
        await page.playwright.route("**/*", only_local)
        await page.playwright.add_init_script(RECORD_VIOLATIONS)
        yield page, refused


async def test_swagger_ui_renders_the_operations_offline(api: LiveApi, offline_page: tuple[Page, list[str]]) -> None:
    page, refused = offline_page
    await page.goto(f"{api.url}/docs")
    count = await page.wait_for(
        "document.querySelectorAll('.opblock').length > 20 && document.querySelectorAll('.opblock').length",
        timeout_s=20,
        what="Swagger UI's operations",
    )
    assert count >= 20
    assert await page.evaluate("document.body.innerText.includes('/portal/requests')")
    assert await page.evaluate("window.__violations") == []
    assert refused == []


async def test_redoc_renders_the_operations_offline(api: LiveApi, offline_page: tuple[Page, list[str]]) -> None:
    page, refused = offline_page
    await page.goto(f"{api.url}/redoc")
    # textContent, not innerText: innerText lays out ReDoc's whole page on every poll, which on a busy machine kept
    # ReDoc itself from finishing within the time allowed
    await page.wait_for(
        "['/calls/{key}', '/reports/summary', '/agents/{seat}/login']"
        ".every((path) => document.body.textContent.includes(path))",
        timeout_s=60,
        what="ReDoc's operations",
    )
    # ReDoc 3 shows Redocly's logo from its CDN: the CSP refuses it (the logo then hides itself), nothing else
    violations = await page.evaluate("window.__violations")
    assert [v for v in violations if REDOCLY_LOGO not in v] == []
    assert [url for url in refused if REDOCLY_LOGO not in url] == []


PAGES = sorted(path.name for path in WEB_DIR.glob("*.html") if path.name not in DOCS_PAGES)


@pytest.mark.parametrize("name", PAGES)
async def test_every_page_loads_under_the_csp(api: LiveApi, offline_page: tuple[Page, list[str]], name: str) -> None:
    page, refused = offline_page
    signing_in = name == "signin.html"  # the one page that needs nobody signed in
    token = "" if signing_in else f"#token={DEMO_TOKENS[Role.SUPERVISOR]}"
    response = await page.playwright.goto(f"{api.url}/ui/{name}{token}")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    await page.wait_for("document.readyState === 'complete'")
    # the page's modules ran (they take the token from the address, or fill the sign-in form) and drew something
    ran = "document.getElementById('username') !== null" if signing_in else "location.hash === ''"
    await page.wait_for(f"document.body.innerText.trim().length > 0 && {ran}", what=f"{name} running")
    assert await page.evaluate("window.__violations") == []
    assert refused == []

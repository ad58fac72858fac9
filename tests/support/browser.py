"""Headless Chromium for the browser tier and the asterisk tier's pages: Debian's /usr/bin/chromium driven by
Playwright (no browser download), behind the few verbs the tests use.

Rules:
- One browser process per `launch`; it is closed on exit, whatever happened.
- Every wait has a deadline: `Page.wait_for` polls a JavaScript expression (every 20 ms) until it is truthy and
  returns its value, or fails saying what it waited for and after how long.
- Without chromium a test skips with the reason (`require_chromium`); with CI set it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import Download, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as PlaywrightPage

from tests.support.poll import eventually

CHROMIUM = "chromium"
# --headless is Playwright's own; the rest keep Chromium from reaching the network or sandboxing as root
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# Real WebRTC calls with no person in front: fake microphone (a beep) granted without asking, sound without a click,
# the sandbox Asterisk's self-signed certificate accepted for its WSS (otherwise: a silent close-1006 loop), and
# loopback ICE candidates (Chromium leaves them out by default and would send the media to the machine's own
# network address instead; seen here: host ::1 with this flag, host fd00::2 without).
WEBRTC_FLAGS = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--ignore-certificate-errors",
    "--allow-loopback-in-peer-connection",
)
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True}
POLL_INTERVAL_S = 0.02


def unavailable_reason() -> str | None:
    if shutil.which(CHROMIUM) is None:
        return "chromium is not installed (Debian package chromium; run `make system-deps`)"
    return None


def require_chromium() -> None:
    """Skip the calling test without chromium; fail it instead when CI is set (a skipped tier proves nothing)."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run (CI is set): {reason}", pytrace=False)
    pytest.skip(reason)


class Page:
    """One tab. `playwright` is the Playwright page itself, for anything these verbs do not cover."""

    def __init__(self, page: PlaywrightPage) -> None:
        self.playwright = page

    async def goto(self, url: str, *, timeout_s: float = 10.0) -> None:
        """Navigate and wait for the load event."""
        await self.playwright.goto(url, wait_until="load", timeout=timeout_s * 1000)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited)."""
        return await self.playwright.evaluate(expression)

    async def wait_for(self, expression: str, *, timeout_s: float = 10.0, what: str = "") -> Any:
        """Poll `expression` until it is truthy; returns its value. Polled from here through `evaluate` (the
        DevTools protocol, which the page's Content-Security-Policy does not govern): Playwright's own
        wait_for_function runs the expression through eval, which a policy without 'unsafe-eval' refuses."""

        async def value() -> Any:
            try:
                return await self.evaluate(expression)
            except PlaywrightError:  # navigating: the old document is gone, the new one not there yet
                return None

        return await eventually(value, timeout_s=timeout_s, what=what or expression, interval_s=POLL_INTERVAL_S)

    async def download(self, click_expression: str, *, timeout_s: float = 10.0) -> Download:
        """The file the page downloads when `click_expression` runs (e.g. a click on an export link)."""
        async with self.playwright.expect_download(timeout=timeout_s * 1000) as started:
            await self.evaluate(click_expression)
        return await started.value


class Browser:
    def __init__(self, browser: PlaywrightBrowser) -> None:
        self.playwright = browser

    async def new_page(self, *, phone: bool = False) -> Page:
        """A tab in a fresh context (its own cookies and storage); `phone`: a 390x844 touch-less phone screen."""
        context = await self.playwright.new_context(**(PHONE if phone else {}))
        return Page(await context.new_page())


@contextlib.asynccontextmanager
async def launch(*, webrtc: bool = False, flags: Sequence[str] = ()) -> AsyncIterator[Browser]:
    """Chromium, closed on exit; each context Playwright opens has a fresh profile. `webrtc`: with fake media
    devices and the sandbox's self-signed certificate accepted (WEBRTC_FLAGS)."""
    binary = shutil.which(CHROMIUM)
    if binary is None:
        raise FileNotFoundError(unavailable_reason())
    args = [*CHROMIUM_FLAGS, *(WEBRTC_FLAGS if webrtc else ()), *flags]  # flags: a test's own (a fake microphone)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=binary, args=args)
        try:
            yield Browser(browser)
        finally:
            await browser.close()


async def arrive(page: Page, path: str, *, timeout_s: float = 10.0) -> None:
    """Until the tab has navigated to `path` (a wait that survives the navigation, unlike `wait_for`)."""
    await page.playwright.wait_for_url(re.compile(rf"^[^?#]*{re.escape(path)}([?#].*)?$"), timeout=timeout_s * 1000)


async def sign_in(page: Page, username: str, password: str) -> None:
    """Fill in and send the sign-in form of /ui/signin.html, as a person would."""
    await page.wait_for("document.getElementById('username') !== null", what="the sign-in form")
    await page.playwright.fill("#username", username)
    await page.playwright.fill("#password", password)
    await page.playwright.click("#submit")

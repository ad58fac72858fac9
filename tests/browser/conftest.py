"""browser tier: the wallboard and agent pages in headless Chromium against the API served by uvicorn, and the
browser softphone against a sandbox Asterisk of its own (browser seats: webrtc = yes), with the asterisk tier's
FastAGI server and AMI fixtures.

Without chromium the tier skips with the reason; with CI set it fails instead (the same for the sandbox).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.request_config import RequestConfig
from callcenter.loading import load_callcenter
from tests.asterisk.conftest import PROJECT, Tier, ami, running_tier, start_agi
from tests.support.browser import Page, require_chromium

__all__ = ["ami", "start_agi"]  # fixtures of the asterisk tier, run here against `tier` below

PHONE = "window.__softphone"  # the agent page's softphone module, once `expose_softphone` has run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    require_chromium()


@pytest.fixture(scope="session")
def tier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tier]:
    """The sandbox Asterisk for browser softphones: its own root (the asterisk tier's has desk-phone seats)."""
    root = os.environ.get("IVR_BROWSER_ASTERISK_ROOT", str(PROJECT / "var/asterisk/browser-root"))
    with running_tier(tmp_path_factory, Path(root), seat_webrtc=True) as running:
        yield running


@pytest.fixture
def softphone_environment(tier: Tier, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `ivr asterisk env` tells `ivr api` in the demo: the sandbox's WSS and its seats' demo passwords."""
    monkeypatch.setenv("IVR_API_SOFTPHONE_WSS_URL", tier.options.wss_url)
    monkeypatch.setenv("IVR_SEAT_SECRETS", str(tier.paths.seat_secrets))


@pytest.fixture
def request_config(tmp_path: Path) -> RequestConfig:
    """The request rules of the shipped call-center file, recordings served from a folder of the test's own."""
    return RequestConfig(callcenter=load_callcenter(), recordings_dir=tmp_path)


async def expose_softphone(page: Page) -> None:
    """The page's own softphone module instance (same URL) as `PHONE`, to read its state and WebRTC statistics."""
    await page.evaluate(f"import('/ui/softphone.js').then((module) => {{ {PHONE} = module.softphone; }})")


async def open_agent_page(page: Page, url: str, token: str) -> None:
    await page.goto(f"{url}/ui/agent.html?lang=fr#token={token}")
    await expose_softphone(page)


async def click(page: Page, selector: str) -> None:
    await page.evaluate(f"document.querySelector('#softphone {selector}').click()")


async def phone_reaches(page: Page, state: str, *, timeout_s: float, what: str) -> None:
    """Wait for the softphone's state; a failure says where it stood and the error it showed."""
    try:
        await page.wait_for(f"{PHONE} && {PHONE}.state === '{state}'", timeout_s=timeout_s, what=what)
    except AssertionError as error:
        seen = await page.evaluate(f"{PHONE} && [{PHONE}.state, {PHONE}.error]")
        raise AssertionError(f"{error}; softphone state and error: {seen}") from None


def rx_tx(line: str, seat: str) -> tuple[int, int]:
    """Receive and transmit packet counts of one `pjsip show channelstats` row:
    [BridgeId] ChannelId Uptime Codec | Count Lost Pct Jitter | Count Lost Pct Jitter RTT."""
    fields = line.split()
    channel = next(index for index, field in enumerate(fields) if field.startswith(f"{seat}-"))
    return int(fields[channel + 3]), int(fields[channel + 7])


def rx_tx_of(channelstats: str, seat: str) -> tuple[int, int]:
    """The seat's channel's receive and transmit packet counts in `pjsip show channelstats`; (0, 0) without one."""
    for line in channelstats.splitlines():
        if f" {seat}-" in line:
            return rx_tx(line, seat)
    return (0, 0)

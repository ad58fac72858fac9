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

from tests.asterisk.conftest import PROJECT, Tier, ami, running_tier, start_agi
from tests.support.browser import require_chromium

__all__ = ["ami", "start_agi"]  # fixtures of the asterisk tier, run here against `tier` below


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

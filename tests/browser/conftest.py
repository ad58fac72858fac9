"""browser tier: the wallboard and agent pages in headless Chromium against the API served by uvicorn.

Without chromium the tier skips with the reason; with CI set it fails instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import require_chromium


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    require_chromium()

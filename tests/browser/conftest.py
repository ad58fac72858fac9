"""browser tier: the wallboard and agent pages in headless Chromium against the API served by uvicorn.

Without chromium the tier skips with the reason; with CI set it fails instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    if shutil.which("chromium") is None:
        reason = "chromium is not installed (Debian package chromium; run `make system-deps`)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tier cannot run (CI is set): {reason}", pytrace=False)
        pytest.skip(reason)

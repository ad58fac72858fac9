"""The reports page in headless Chromium against the API served by uvicorn: charts and table show the figures
of calls and requests, and the CSV export downloads the same report."""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.request_config import RequestConfig
from api.security.tokens import DEMO_TOKENS, Role
from callcenter.loading import load_callcenter
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Page, launch, require_chromium
from tests.support.database import throwaway_database

pytestmark = pytest.mark.browser
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Casablanca


def _call(linkedid: str, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "linkedid": linkedid, "caller_number": "+33612345678", "dialed_number": "0800100200",
        "started_at": "2026-11-23T10:00:00Z", "outcome": "answered", "language": "fr", "queue": "q-fr",
        "wait_seconds": 5.0, "talk_seconds": 60.0,
    }  # fmt: skip
    record.update(fields)
    return record


CALLS = [
    _call("b.1", survey_rating=5),
    _call("b.2", survey_rating=3, wait_seconds=60.0),
    _call("b.3", outcome="abandoned_queue", talk_seconds=None),
    _call("b.4", language="ar", queue=None, route="voicemail", outcome="voicemail", voicemail_path="/rec/b.4",
          wait_seconds=None, talk_seconds=None, started_at="2026-11-23T21:00:00Z"),
]  # fmt: skip


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    require_chromium()
    with throwaway_database("ivr_browser") as url:
        yield url


@pytest.fixture
async def api(database: str, tmp_path: Path) -> AsyncIterator[LiveApi]:
    request_config = RequestConfig(
        callcenter=load_callcenter(), recordings_dir=tmp_path, service_lines={"0800100200": "paris"}
    )
    async with serve_api(database, request_config, clock=lambda: NOW) as live:
        stored = await live.client.post("/calls", json=CALLS, headers=live.auth(Role.AGI))
        assert stored.status_code == 200, stored.text
        yield live


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with launch() as browser:
        yield await browser.new_page()


async def test_reports_page_draws_the_figures_of_the_period(api: LiveApi, page: Page) -> None:
    token = DEMO_TOKENS[Role.SUPERVISOR]
    await page.goto(f"{api.url}/ui/reports.html?group_by=language#token={token}")
    await page.wait_for("document.body.dataset.loaded === 'true'")
    assert await page.evaluate("location.hash") == ""  # the token left the address bar
    cells = await page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#table tbody tr')].map(tr => [tr.dataset.key,"
        " Object.fromEntries([...tr.cells].map(td => [td.dataset.column, td.textContent]))]))"
    )
    assert cells["fr"]["calls_offered"] == "3" and cells["fr"]["calls_answered"] == "2"
    assert cells["fr"]["satisfaction_average"] == "4" and cells["fr"]["surveys"] == "2"
    assert cells["ar"]["voicemails"] == "1" and cells["ar"]["requests_opened"] == "1"
    bars = await page.evaluate(
        "[...document.querySelectorAll('#chart-calls rect[data-series]')]"
        ".map(r => [r.dataset.key, r.dataset.series, r.dataset.value, Number(r.getAttribute('height'))])"
    )
    heights = {(key, series): (value, height) for key, series, value, height in bars}
    assert heights[("fr", "calls_offered")][0] == "3" and heights[("fr", "calls_answered")][0] == "2"
    # bars are to scale: 3 offered is the tallest, 2 answered two thirds of it
    assert heights[("fr", "calls_answered")][1] == pytest.approx(heights[("fr", "calls_offered")][1] * 2 / 3)
    satisfaction = await page.evaluate(
        "[...document.querySelectorAll('#chart-satisfaction rect[data-series]')].map(r => r.dataset.value)"
    )
    assert "4" in satisfaction


async def test_csv_export_downloads_from_the_page(api: LiveApi, page: Page, tmp_path: Path) -> None:
    await page.goto(f"{api.url}/ui/reports.html?group_by=service#token={DEMO_TOKENS[Role.SUPERVISOR]}")
    await page.wait_for("document.body.dataset.loaded === 'true'")
    download = await page.download("document.getElementById('csv').click()", timeout_s=10)
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("key,calls_offered,calls_answered,calls_abandoned,service_level_percent")
    paris = next(line for line in lines if line.startswith("paris,"))
    assert paris.split(",")[1] == "4"


async def test_without_a_supervisor_token_the_page_refuses(api: LiveApi, page: Page) -> None:
    await page.goto(f"{api.url}/ui/reports.html?lang=fr#token={DEMO_TOKENS[Role.AGENT]}")
    message = await page.wait_for("document.getElementById('error').textContent")
    assert "superviseur" in message
    assert await page.evaluate("document.querySelectorAll('#chart-calls rect').length") == 0


async def test_the_pdf_export_renders_with_its_period_and_totals(api: LiveApi, page: Page, tmp_path: Path) -> None:
    url = f"{api.url}/ui/reports.html?lang=fr&group_by=day&from=2026-11-20&to=2026-11-24"
    await page.goto(f"{url}#token={DEMO_TOKENS[Role.SUPERVISOR]}")
    await page.wait_for("document.body.dataset.loaded === 'true'")
    period = await page.evaluate("document.getElementById('period').textContent")
    assert period.startswith("Période : du ") and "(Africa/Casablanca)" in period, period
    totals = await page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#table tfoot th')]"
        ".map(c => [c.dataset.column, c.textContent]))"
    )
    assert totals["key"] == "Total" and totals["calls_offered"] == "4", totals  # every call of the fixture
    download = await page.download("document.getElementById('pdf').click()", timeout_s=20)
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    # the PDF renders (poppler's pdftoppm), and says its period and its totals
    rendered = subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(saved), str(tmp_path / "page")],
                              capture_output=True, check=False)  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "page.png").read_bytes()[:4] == b"\x89PNG"
    text = subprocess.run(["pdftotext", "-layout", str(saved), "-"], capture_output=True, text=True, check=True).stdout
    assert "Période : du 2026-11-20 au 2026-11-2" in text and "(Africa/Casablanca)" in text, text[:500]
    total_line = next(line for line in text.splitlines() if line.strip().startswith("Total"))
    assert total_line.split()[1] == "4", total_line


async def test_the_arabic_pdf_is_shaped_and_right_to_left(api: LiveApi, page: Page, tmp_path: Path) -> None:
    url = f"{api.url}/ui/reports.html?lang=ar&group_by=day&from=2026-11-20&to=2026-11-24"
    await page.goto(f"{url}#token={DEMO_TOKENS[Role.SUPERVISOR]}")
    await page.wait_for("document.body.dataset.loaded === 'true'")
    download = await page.download("document.getElementById('pdf').click()", timeout_s=20)
    saved = tmp_path / "report-ar.pdf"
    await download.save_as(saved)
    text = subprocess.run(["pdftotext", "-layout", str(saved), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub("[\u200e\u200f\u202a-\u202e]", "", text)  # pdftotext's bidi embedding marks
    # the words come out in logical order (shaped glyphs mapped back to their letters), the dates unbroken
    assert "تقرير مركز" in text and "المُجاب عنها" in text and "الفترة" in text, text[:500]
    assert "2026/11/20" in text and "Africa/Casablanca" in text, text[:500]
    total_line = next(line for line in text.splitlines() if line.strip().endswith("المجموع"))
    assert total_line.split()[-2] == "4", total_line  # the group (المجموع) on the right, then the calls offered
    rendered = subprocess.run(["pdftoppm", "-r", "40", "-gray", "-singlefile", str(saved), str(tmp_path / "ar")],
                              capture_output=True, check=False)  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    width, height, pixels = _pgm(tmp_path / "ar.pgm")
    band = range(height // 30, height // 12)  # the title's line
    inked = [x for x in range(width) if any(pixels[y * width + x] < 160 for y in band)]
    assert len(inked) > 20 and min(inked) > width // 2, (width, inked[:5])  # drawn, and aligned right


def _pgm(path: Path) -> tuple[int, int, bytes]:
    """pdftoppm -gray's binary PGM: its width, height and one byte per pixel (0 black, 255 white)."""
    magic, size, depth, pixels = path.read_bytes().split(b"\n", 3)
    assert magic == b"P5" and depth == b"255", magic
    width, height = (int(value) for value in size.split())
    assert len(pixels) == width * height
    return width, height, pixels


async def test_an_empty_period_says_no_data_in_arabic_right_to_left(api: LiveApi, page: Page) -> None:
    url = f"{api.url}/ui/reports.html?lang=ar&group_by=day&from=2020-01-01&to=2020-01-02"
    await page.goto(f"{url}#token={DEMO_TOKENS[Role.SUPERVISOR]}")
    await page.wait_for("document.body.dataset.loaded === 'true'")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert (
        await page.evaluate("document.querySelector('#chart-calls .no-data').textContent")
        == "لا توجد بيانات لهذه الفترة"
    )
    assert await page.evaluate("document.querySelector('#table tbody td.no-data') !== null")
    assert await page.evaluate("document.querySelector('#table tfoot th').textContent") == "المجموع"

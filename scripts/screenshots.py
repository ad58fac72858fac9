"""Screenshots of the supervision pages (docs/screenshots/*.png): wallboard and agent grid, start page and report,
desktop and phone, French and Arabic. Reproducible: a throwaway database, the API fed by a fake AMI playing
tests/support/wallboard_scene.busy_centre, a few stored calls for the report, Debian's chromium.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.ami.service import AmiEnvironment
from api.security.tokens import Role
from tests.fake_ami import FakeAmi
from tests.support.api import serve_api
from tests.support.browser import launch
from tests.support.database import Database, database_with_tokens
from tests.support.wallboard_scene import LANGUAGE_QUEUES, busy_centre

ROOT = Path(__file__).resolve().parents[1]


def calls(now: datetime) -> list[dict[str, object]]:
    """A fortnight of calls for the report."""
    records: list[dict[str, object]] = []
    for day in range(14):
        for index in range(3 + day % 5):
            language = ("ar", "fr", "zgh", "en")[index % 4]
            records.append({
                "linkedid": f"shot.{day}.{index}", "caller_number": "+212612345678", "dialed_number": "0800100200",
                "started_at": (now - timedelta(days=day, hours=index)).isoformat(),
                "outcome": "abandoned_queue" if index == 4 else "answered", "language": language,
                "queue": f"q-{language}", "wait_seconds": 10.0 + index * 7, "talk_seconds": 120.0,
                "survey_rating": 3 + index % 3,
            })  # fmt: skip
    return records


async def shoot(out: Path, database: Database) -> None:
    if True:
        async with (
            FakeAmi(queues=LANGUAGE_QUEUES) as fake,
            serve_api(database.url, demo=False, ami=AmiEnvironment(port=fake.port, secret=fake.secret)) as api,
            launch() as browser,
        ):
            now = datetime.now(UTC)
            stored = await api.client.post("/calls", json=calls(now), headers=database.bearer("agi"))
            stored.raise_for_status()
            supervisor = database.tokens[Role.SUPERVISOR.value]
            warm = await browser.new_page()
            await warm.goto(f"{api.url}/ui/wallboard.html?lang=fr#token={supervisor}")
            await warm.wait_for("document.querySelector('[data-queue]') !== null", what="the wallboard")
            for event in busy_centre(time.time()):
                fake.emit(event)
            figure = "document.querySelector('#totals [data-figure=\"{}\"] b').textContent"
            settled = " && ".join(f"{figure.format(name)} === '{value}'"
                                  for name, value in (("waiting", 6), ("on_call", 3), ("paused", 2)))  # fmt: skip
            await warm.wait_for(settled, timeout_s=90, what="the whole scene on the wallboard")
            start = (now - timedelta(days=13)).date().isoformat()
            for lang in ("fr", "ar"):
                for phone in (False, True):
                    kind = "phone" if phone else "desktop"
                    page = await browser.new_page(phone=phone)
                    if not phone:
                        await page.playwright.set_viewport_size({"width": 1600, "height": 1000})
                    await page.goto(f"{api.url}/ui/wallboard.html?lang={lang}#token={supervisor}")
                    await page.wait_for("document.querySelectorAll('#agents tbody tr').length === 12", what="grid")
                    shot = out / f"wallboard-{lang}-{kind}.png"
                    await page.playwright.screenshot(path=str(shot), full_page=not phone)
                    await page.evaluate("document.getElementById('agent-section').scrollIntoView()")
                    await page.playwright.screenshot(path=str(out / f"agent-grid-{lang}-{kind}.png"))
                    report = f"/ui/reports.html?lang={lang}&group_by=day&from={start}"
                    await page.goto(f"{api.url}{report}#token={supervisor}")
                    await page.wait_for("document.body.dataset.loaded === 'true'", what="the report")
                    await page.playwright.screenshot(path=str(out / f"report-{lang}-{kind}.png"), full_page=True)
                    print(f"screenshots: {lang} {kind}")


if __name__ == "__main__":
    with database_with_tokens("ivr_shots") as shots_database:
        target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        asyncio.run(shoot(target, shots_database))

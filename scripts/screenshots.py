"""Screenshots of the supervision pages (docs/screenshots/*.png): wallboard and agent grid, start page and report,
desktop and phone, French and Arabic; and the city hall mayor's complaint dashboard (complaints-dashboard-*.png).
Reproducible: a throwaway database, the API fed by a fake AMI playing tests/support/wallboard_scene.busy_centre,
a few stored calls for the report, eight weeks of complaints filed on a shifted clock for the dashboard (a fixed
random seed), Debian's chromium.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from api.ami.service import AmiEnvironment
from api.db import make_engine
from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import load_callcenter
from tests.fake_ami import FakeAmi
from tests.support.api import serve_api
from tests.support.browser import launch
from tests.support.database import Database, database_with_tokens, issue_tokens
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


class ShiftedClock:
    """The API's clock: real time shifted back by `shift` (complaints filed in past weeks)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.shift


CATEGORIES = {"dechets": 9, "nettoiement": 4, "nuisibles": 3, "hygiene-commerces": 2, "terrasses": 2, "chantiers": 1,
              "permis": 2, "construction": 1}  # fmt: skip
DISTRICTS = ("Médina", "Souk", "Centre", "Hay Salam", "Quartier industriel")
TAKERS = {"proprete": "y.tazi", "hygiene": "b.lahlou", "urbanisme": "r.alaoui"}


async def complaint_dashboards(out: Path, database: Database) -> None:
    """The mayor's dashboard over eight weeks of city hall complaints, French and Arabic, desktop and phone."""
    config = RequestConfig(callcenter=load_callcenter(ROOT / "examples" / "cityhall.toml"), recordings_dir=out,
                           portal_limit=10_000)  # fmt: skip
    clock = ShiftedClock()
    complaints = config.callcenter.complaints
    assert complaints is not None
    owners = {category.key: category.department for category in complaints.categories}
    people = {"maire": Role.OFFICIAL} | dict.fromkeys(TAKERS.values(), Role.OFFICER)
    tokens = await issue_tokens(database.url, people, now=datetime.now(UTC) - timedelta(days=70))
    chance = random.Random(7)  # noqa: S311 (made-up figures, the same at every run)
    async with serve_api(database.url, config, demo=False, clock=clock) as api, launch() as browser:
        ratings: dict[str, int] = {}
        for days_ago in range(56, -1, -1):
            for _ in range(chance.choice((0, 1, 1, 2, 3)) + (days_ago < 14)):
                clock.shift = timedelta(days=days_ago, hours=chance.randint(0, 8))
                category = chance.choices(list(CATEGORIES), weights=list(CATEGORIES.values()))[0]
                form = {"request_type": 1, "description": "Réclamation", "contact": "0612345678",
                        "language": chance.choice(("ar", "fr")), "category": category,
                        "district": chance.choice(DISTRICTS)}  # fmt: skip
                created = await api.client.post("/portal/requests", json=form)
                created.raise_for_status()
                reference, owner = created.json()["reference"], owners[category]
                if owner in TAKERS and chance.random() < 0.7:
                    clock.shift = max(timedelta(0), clock.shift - timedelta(hours=chance.randint(2, 40)))
                    taken = await api.client.post(
                        f"/complaints/{reference}/transitions", json={"action": "take"},
                        headers={"Authorization": f"Bearer {tokens[TAKERS[owner]]}"},
                    )  # fmt: skip
                    taken.raise_for_status()
                if chance.random() < 0.4:
                    ratings[reference] = chance.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 4, 3))[0]
        clock.shift = timedelta(0)
        engine = make_engine(database.url)
        try:
            async with engine.begin() as connection:
                for reference, rating in ratings.items():  # as the citizens' one-time links would have set them
                    await connection.execute(text("UPDATE requests SET satisfaction = :rating WHERE reference = :ref"),
                                             {"rating": rating, "ref": reference})  # fmt: skip
        finally:
            await engine.dispose()
        start = (datetime.now(UTC) - timedelta(days=56)).date().isoformat()
        for lang in ("fr", "ar"):
            for phone in (False, True):
                kind = "phone" if phone else "desktop"
                page = await browser.new_page(phone=phone)
                if not phone:
                    await page.playwright.set_viewport_size({"width": 1400, "height": 1000})
                await page.goto(f"{api.url}/ui/complaints.html?view=dashboard&lang={lang}&from={start}"
                                f"#token={tokens['maire']}")  # fmt: skip
                await page.wait_for("document.body.dataset.board", what="the dashboard")
                shot = out / f"complaints-dashboard-{lang}-{kind}.png"
                await page.playwright.screenshot(path=str(shot), full_page=True)
                print(f"screenshots: complaints dashboard {lang} {kind}")


if __name__ == "__main__":
    with database_with_tokens("ivr_shots") as shots_database:
        target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        asyncio.run(shoot(target, shots_database))
    with database_with_tokens("ivr_shots_city") as city_database:
        asyncio.run(complaint_dashboards(target, city_database))

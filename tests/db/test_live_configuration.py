"""Calendar overrides and configuration reloads through the API (issue 21): admins only, validated before they
are stored, audited, and served to the agi processes' poll."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import PACKAGED_NAME, load_callcenter
from callcenter.overrides import CalendarOverrides

PACKAGED = Path(__file__).parents[2] / "callcenter" / PACKAGED_NAME


async def test_closures_and_holidays_are_validated_stored_audited_and_served_to_the_agi(
    client: httpx.AsyncClient, auth: dict[Role, dict[str, str]]
) -> None:
    admin, agi = auth[Role.ADMIN], auth[Role.AGI]
    closure = {"first_day": "2026-12-24", "last_day": "2026-12-26", "reason": "move to new premises"}
    assert (
        await client.post("/admin/calendar/closures", json=closure, headers=auth[Role.SUPERVISOR])
    ).status_code == 403
    added = await client.post("/admin/calendar/closures", json=closure, headers=admin)
    assert added.status_code == 201, added.text
    eid = {"year": 2026, "name": "Eid al-Fitr", "first_day": "2026-03-20", "last_day": "2026-03-21"}
    assert (await client.post("/admin/calendar/holidays", json=eid, headers=admin)).status_code == 201
    unknown = await client.post("/admin/calendar/holidays", json={**eid, "name": "Saint Nobody"}, headers=admin)
    assert unknown.status_code == 422 and "Saint Nobody" in unknown.json()["detail"]
    backwards = await client.post("/admin/calendar/closures", json={**closure, "last_day": "2026-12-01"}, headers=admin)
    assert backwards.status_code == 422

    polled = await client.get("/config/overrides", headers=agi)
    assert polled.status_code == 200
    overrides = CalendarOverrides.from_json(polled.json())
    assert [(c.start.isoformat(), c.reason) for c in overrides.closures] == [("2026-12-24", "move to new premises")]
    assert [d.isoformat() for d in overrides.holiday_overrides[2026]["Eid al-Fitr"]] == ["2026-03-20", "2026-03-21"]
    assert (await client.get("/config/overrides", headers=auth[Role.AGENT])).status_code == 403

    removed = await client.delete(f"/admin/calendar/{added.json()['id']}", headers=admin)
    assert removed.status_code == 200
    assert (await client.delete(f"/admin/calendar/{added.json()['id']}", headers=admin)).status_code == 404
    listed = (await client.get("/admin/calendar", headers=admin)).json()
    assert [row["kind"] for row in listed] == ["holiday"]

    page = await client.get("/ui/closures.html")
    assert page.status_code == 200 and 'src="closures.js"' in page.text
    assert 'from "./session.js"' in (await client.get("/ui/closures.js")).text

    audit = (await client.get("/audit", params={"action": "change_calendar"}, headers=admin)).json()["items"]
    assert [entry["detail"].split()[0] for entry in audit] == ["remove", "add", "add"]


async def test_a_reload_refuses_a_bad_file_and_bumps_the_generation_for_a_good_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: dict[Role, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = auth[Role.ADMIN]
    app.state.request_config = RequestConfig(callcenter=load_callcenter(), recordings_dir=tmp_path)
    path = tmp_path / "callcenter.toml"
    monkeypatch.setenv("IVR_CALLCENTER", str(path))
    before = (await client.get("/config/overrides", headers=admin)).json()["generation"]
    path.write_text(PACKAGED.read_text().replace("timezone = ", "timezone_typo = ", 1))
    refused = await client.post("/admin/config/reload", headers=admin)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "timezone" in refused.json()["detail"] and "still running the previous one" in refused.json()["detail"]
    assert (await client.get("/config/overrides", headers=admin)).json()["generation"] == before

    path.write_text(PACKAGED.read_text().replace('name = "', 'name = "Renamed ', 1))
    assert (await client.post("/admin/config/reload", headers=auth[Role.SUPERVISOR])).status_code == 403
    reloaded = await client.post("/admin/config/reload", headers=admin)
    assert reloaded.status_code == 200, reloaded.text
    assert reloaded.json()["name"].startswith("Renamed ") and reloaded.json()["generation"] == before + 1
    assert app.state.callcenter.name.startswith("Renamed ")
    assert app.state.request_config.callcenter.name.startswith("Renamed ")
    assert (await client.get("/config/overrides", headers=admin)).json()["generation"] == before + 1


async def test_the_live_queues_follow_a_reload_without_a_restart(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: dict[Role, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = auth[Role.ADMIN]

    async def cards() -> dict[str, tuple[str, str, int]]:
        state = await client.get("/live/state", headers=admin)
        assert state.status_code == 200, state.text
        return {q["name"]: (q["language"], q["label"], q["waiting_count"]) for q in state.json()["queues"]}

    before = await cards()
    assert before["q-en"] == ("en", "English", 0) and before["q-fr"] == ("fr", "Français", 0)
    caller = {"Event": "QueueCallerJoin", "Queue": "q-ar", "Uniqueid": "7.1", "Channel": "PJSIP/c-7", "Position": "1"}
    app.state.live.state.apply(caller, datetime.now(UTC))  # someone waits in the queue the new file drops

    path = tmp_path / "callcenter.toml"
    monkeypatch.setenv("IVR_CALLCENTER", str(path))
    text = PACKAGED.read_text().replace('queue = "q-en"\n', 'queue = "q-english"\n', 1)
    path.write_text(text.replace('name = "Français"', 'name = "Français (FR)"', 1).replace('"q-ar"', '"q-arabic"'))
    reloaded = await client.post("/admin/config/reload", headers=admin)
    assert reloaded.status_code == 200, reloaded.text

    after = await cards()
    assert "q-en" not in after and after["q-english"] == ("en", "English", 0)  # new, empty until AMI tells more
    assert after["q-fr"] == ("fr", "Français (FR)", 0) and after["q-arabic"] == ("ar", "العربية", 0)
    assert after["q-ar"] == ("", "", 1)  # dropped from the file, kept while its caller waits
    app.state.live.state.apply({**caller, "Event": "QueueCallerLeave"}, datetime.now(UTC))
    assert "q-ar" not in await cards()

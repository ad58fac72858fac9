"""Live configuration changes in the agi process (issue 21): the call-center file re-read on demand, calendar
overrides merged in, a bad change refused with the running configuration kept, calls keeping what they started
with, and the poll that keeps working through an API outage."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from datetime import date
from pathlib import Path

import httpx
import pytest

from callcenter.calendar import ClosedReason
from callcenter.config import Closure
from callcenter.loading import PACKAGED_NAME, ConfigError, load_callcenter
from callcenter.overrides import CalendarOverrides, merged
from ivr.adapters.overrides_client import follow_overrides
from ivr.live_config import LiveContext

from .flow_helpers import OPEN_INSTANT, make_context

PACKAGED = Path(__file__).parents[2] / "callcenter" / PACKAGED_NAME
STRIKE = CalendarOverrides(closures=(Closure(start=OPEN_INSTANT.date(), reason="strike"),), generation=1)


def live_with_file(tmp_path: Path, cache: Path | None = None) -> tuple[LiveContext, Path]:
    path = tmp_path / "callcenter.toml"
    path.write_text(PACKAGED.read_text())
    return LiveContext(make_context(tmp_path / "spool"), load=lambda: load_callcenter(path), cache_path=cache), path


def test_merged_adds_closures_and_replaces_holiday_dates() -> None:
    base = load_callcenter()
    eid = {2026: {"Eid al-Fitr": [date(2026, 3, 21), date(2026, 3, 22)]}}
    effective = merged(base, CalendarOverrides(closures=STRIKE.closures, holiday_overrides=eid))
    assert effective.closures[-1].reason == "strike"
    assert effective.holiday_overrides[2026]["Eid al-Fitr"] == [date(2026, 3, 21), date(2026, 3, 22)]
    assert merged(base, CalendarOverrides()) is base


def test_merged_refuses_an_unknown_holiday_with_its_name() -> None:
    with pytest.raises(ConfigError, match="Saint Nobody"):
        merged(load_callcenter(), CalendarOverrides(holiday_overrides={2026: {"Saint Nobody": [date(2026, 5, 5)]}}))


def test_overrides_survive_their_json_form_and_refuse_another_shape() -> None:
    assert CalendarOverrides.from_json(json.loads(json.dumps(STRIKE.to_json()))) == STRIKE
    with pytest.raises(ConfigError, match="unexpected shape"):
        CalendarOverrides.from_json({"closures": "soon"})


def test_a_call_keeps_the_configuration_it_started_with(tmp_path: Path) -> None:
    live, path = live_with_file(tmp_path)
    in_progress = live.current()
    path.write_text(PACKAGED.read_text().replace('name = "', 'name = "Renamed ', 1))
    live.reload_file()
    assert live.current().callcenter.name.startswith("Renamed ")
    assert not in_progress.callcenter.name.startswith("Renamed ")
    assert live.current().clock is in_progress.clock  # only the configuration changed


def test_a_bad_file_is_refused_and_the_running_configuration_kept(tmp_path: Path) -> None:
    live, path = live_with_file(tmp_path)
    before = live.current()
    path.write_text(PACKAGED.read_text().replace("timezone = ", "timezone_typo = ", 1))
    with pytest.raises(ConfigError, match="timezone"):
        live.reload_file()
    assert live.current() is before and live.reloads == 0


def test_overrides_close_the_day_for_new_calls_and_are_cached_for_a_restart(tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    live, _ = live_with_file(tmp_path, cache)
    assert live.current().calendar.status(OPEN_INSTANT).open
    assert live.apply_overrides(STRIKE)
    assert live.current().calendar.status(OPEN_INSTANT).reason is ClosedReason.CLOSURE
    assert not live.apply_overrides(CalendarOverrides(closures=STRIKE.closures, generation=2))  # nothing new
    restarted, _ = live_with_file(tmp_path, cache)  # the API is down at start: the cache still closes the day
    assert restarted.current().calendar.status(OPEN_INSTANT).reason is ClosedReason.CLOSURE


def test_a_broken_cache_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    cache.write_text("{not json")
    live, _ = live_with_file(tmp_path, cache)
    assert live.current().calendar.status(OPEN_INSTANT).open


class ScriptedApi:
    """Answers the poll from a list (an exception: the API is down), then stops the poller."""

    def __init__(self, answers: list[CalendarOverrides | Exception], stop: asyncio.Event) -> None:
        self.answers, self.stop = answers, stop

    async def __call__(self) -> CalendarOverrides:
        answer = self.answers.pop(0)
        if not self.answers:
            self.stop.set()
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_the_poll_applies_overrides_keeps_them_through_an_outage_and_rereads_on_a_new_generation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live, path = live_with_file(tmp_path)
    stop = asyncio.Event()
    reread = CalendarOverrides(closures=STRIKE.closures, generation=2)
    api = ScriptedApi([STRIKE, httpx.ConnectError("refused"), httpx.ConnectError("refused"), reread], stop)
    path.write_text(PACKAGED.read_text().replace('name = "', 'name = "Renamed ', 1))
    await asyncio.wait_for(follow_overrides(live, api, interval_s=0, stop=stop), timeout=5)
    assert live.current().calendar.status(OPEN_INSTANT).reason is ClosedReason.CLOSURE
    assert live.current().callcenter.name.startswith("Renamed ")  # generation 1 -> 2: the file was re-read
    assert [r.message for r in caplog.records].count(
        "cannot read the calendar overrides (refused); keeping the last known set"
    ) == 1


async def test_the_poll_logs_a_refused_reload_and_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live, path = live_with_file(tmp_path)
    stop = asyncio.Event()
    bad_holiday = CalendarOverrides(holiday_overrides={2026: {"Saint Nobody": [date(2026, 5, 5)]}}, generation=2)
    api = ScriptedApi([STRIKE, bad_holiday], stop)
    path.write_text("not = [toml")
    await asyncio.wait_for(follow_overrides(live, api, interval_s=0, stop=stop), timeout=5)
    assert live.current().calendar.status(OPEN_INSTANT).reason is ClosedReason.CLOSURE  # STRIKE still applies
    refusals = [r.message for r in caplog.records if "refused" in r.message]
    assert len(refusals) == 2 and "not valid TOML" in refusals[0] and "Saint Nobody" in refusals[1]


async def test_the_agi_process_rereads_its_file_on_sighup_while_the_api_is_unreachable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ivr.app import live_configuration
    from ivr.settings import Settings
    from tests.support.poll import eventually

    path = tmp_path / "callcenter.toml"
    path.write_text(PACKAGED.read_text())
    settings = Settings(
        callcenter_path=path,
        api_url="http://127.0.0.1:9",  # discard: nothing answers there
        api_token="agi-token",
        overrides_cache=tmp_path / "cache.json",
        overrides_poll_s=0.05,
    )
    stop = asyncio.Event()
    async with live_configuration(make_context(tmp_path / "spool"), settings, stop) as live:
        path.write_text(PACKAGED.read_text().replace('name = "', 'name = "Renamed ', 1))
        os.kill(os.getpid(), signal.SIGHUP)
        await eventually(lambda: live.reloads == 1, timeout_s=5, what="the SIGHUP reload")
        path.write_text("not = [toml")
        os.kill(os.getpid(), signal.SIGHUP)
        await eventually(
            lambda: any("reload refused" in r.message for r in caplog.records), timeout_s=5, what="the refusal"
        )
        await eventually(
            lambda: any("cannot read the calendar overrides" in r.message for r in caplog.records),
            timeout_s=5,
            what="the poll to notice the API is unreachable",
        )
        stop.set()
    assert live.current().callcenter.name.startswith("Renamed ")

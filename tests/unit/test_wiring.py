"""Start-up wiring: the flow registry, the shifted clock, the command line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import ivr_cli as cli
from ivr.adapters.api_client import ApiLanguageMemory
from ivr.adapters.outbox import Outbox
from ivr.flows import FLOWS
from ivr.language_memory import InMemoryLanguageMemory
from ivr.settings import Settings
from ivr.wiring import build_context, shifted_clock

CASABLANCA = ZoneInfo("Africa/Casablanca")


def test_every_dialplan_entry_point_is_a_flow() -> None:
    assert {"inbound", "voicemail", "call_end"} <= set(FLOWS)


def test_shifted_clock_starts_at_the_instant_and_runs() -> None:
    at = datetime(2026, 11, 28, 21, 0, tzinfo=CASABLANCA)
    clock = shifted_clock(at)
    first = clock()
    assert timedelta(0) <= first - at < timedelta(seconds=5)
    assert clock() >= first
    assert first.tzinfo is CASABLANCA


def test_shifted_clock_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        shifted_clock(datetime(2026, 11, 28, 21, 0))


def test_real_clock_is_aware() -> None:
    assert shifted_clock(None)().tzinfo is not None


def test_build_context_without_api_token_remembers_in_memory(tmp_path: Path) -> None:
    context = build_context(None, Settings(spool_dir=tmp_path / "spool"))
    assert isinstance(context.language_memory, InMemoryLanguageMemory)
    assert isinstance(context.outbox, Outbox) and context.outbox.directory == tmp_path / "spool"
    assert context.callcenter.timezone == "Africa/Casablanca"


def test_build_context_with_api_token_asks_the_api(tmp_path: Path) -> None:
    context = build_context(None, Settings(spool_dir=tmp_path, api_token="t0ken"))
    assert isinstance(context.language_memory, ApiLanguageMemory)


def test_cli_usage_and_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "agi" in capsys.readouterr().out
    assert cli.main(["nonsense"]) == 2
    assert cli.main([]) == 2


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_reaches_its_entry_point(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:  # argparse's --help: the entry point was imported and ran
        cli.main([name, "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_cli_dispatches_to_the_owning_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config"]) == 0
    assert "Africa/Casablanca" in capsys.readouterr().out

"""The inbound flow against a scripted caller: what was heard and what the dialplan was told."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr import variables as var
from ivr.channel import CallInfo
from ivr.fake_channel import HANGUP, FakeChannel
from ivr.flows import inbound
from ivr.flows.inbound import menu_choice, valid_reference
from ivr.languages import InMemoryLanguageMemory
from ivr.prompts import Prompt, sound
from tests.unit.flow_helpers import CLOSED_INSTANT, make_context


def caller(number: str) -> CallInfo:
    return CallInfo(script="inbound", caller_number=number, unique_id="1700000000.7")


async def test_french_caller_picks_french_then_consular_service(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "1"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.answered
    assert channel.language == "fr"
    assert channel.variables[var.IVR_LANG] == "fr"
    assert channel.variables[var.IVR_ROUTE] == "queue"
    assert channel.variables[var.IVR_QUEUE] == "q-fr"
    assert channel.variables[var.IVR_REQUEST_TYPE] == "1"
    assert channel.variables[var.IVR_REFERENCE] == ""
    # greeting in the preselected language, then the options, French (preselected by +33) first
    assert channel.played[0] == sound(Prompt.GREETING, "fr")
    assert channel.played[1] == sound(Prompt.LANGUAGE_OPTION, "fr")
    assert sound(Prompt.LANGUAGE_OPTION, "ar") in channel.played
    assert channel.played[-1] == sound(Prompt.TRANSFER_TO_AGENT)


async def test_spanish_caller_pressing_nothing_gets_spanish(tmp_path: Path) -> None:
    channel = FakeChannel(["", "", "", "1"], info=caller("+34911234567"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "es"
    assert channel.variables[var.IVR_QUEUE] == "q-es"
    assert channel.played.count(sound(Prompt.NO_INPUT, "es")) == 3


async def test_invalid_keys_get_retries_then_the_default(tmp_path: Path) -> None:
    channel = FakeChannel(["9", "0", "*", "1"], info=caller("+31201234567"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.played.count(sound(Prompt.INVALID_CHOICE, "nl")) == 3
    assert channel.variables[var.IVR_LANG] == "nl"


async def test_barge_in_during_the_options_chooses_at_once(tmp_path: Path) -> None:
    channel = FakeChannel(["2"], info=caller("+212612345678"), barge_in={2: "4"})
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "en"
    assert channel.variables[var.IVR_REQUEST_TYPE] == "2"


async def test_status_request_asks_for_the_reference(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "2", "123456"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_REQUEST_TYPE] == "2"
    assert channel.variables[var.IVR_REFERENCE] == "123456"
    assert sound(Prompt.REFERENCE_ENTRY) in channel.prompted


async def test_garbage_reference_is_refused_then_given_up(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "2", "12*4", "", "1"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_REFERENCE] == ""
    assert channel.played.count(sound(Prompt.REFERENCE_INVALID)) == 3
    assert channel.variables[var.IVR_ROUTE] == "queue"


async def test_after_hours_plays_the_message_and_routes_to_voicemail(tmp_path: Path) -> None:
    channel = FakeChannel(["3"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, now=CLOSED_INSTANT))
    assert channel.variables[var.IVR_ROUTE] == "voicemail"
    assert channel.variables[var.IVR_CLOSED] == "outside_hours"
    assert sound(Prompt.AFTER_HOURS) in channel.played
    assert sound(Prompt.REQUEST_TYPE_MENU) not in channel.played


async def test_hangup_in_the_language_menu_leaves_the_stage_and_no_route(tmp_path: Path) -> None:
    channel = FakeChannel([HANGUP], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_STAGE] == "language_menu"
    assert var.IVR_ROUTE not in channel.variables


async def test_hangup_during_the_greeting(tmp_path: Path) -> None:
    channel = FakeChannel([], info=caller("+33612345678"), hang_up_after_plays=0)
    await inbound.run(channel, make_context(tmp_path))
    assert var.IVR_ROUTE not in channel.variables
    assert channel.variables[var.IVR_STAGE] == "language_menu"


async def test_remembered_language_skips_the_menu(tmp_path: Path) -> None:
    memory = InMemoryLanguageMemory()
    await memory.remember("+33612345678", "de")
    channel = FakeChannel(["3"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, memory=memory))
    assert channel.variables[var.IVR_LANG] == "de"
    assert not any("language_option" in played for played in channel.played)


async def test_the_chosen_language_is_remembered(tmp_path: Path) -> None:
    memory = InMemoryLanguageMemory()
    channel = FakeChannel(["7", "1"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, memory=memory))
    assert await memory.recall("+33612345678") == "it"


async def test_language_can_be_changed_from_the_request_menu(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "9", "8", "3"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "de"
    assert channel.language == "de"
    assert channel.variables[var.IVR_QUEUE] == "q-de"
    assert channel.variables[var.IVR_REQUEST_TYPE] == "3"


async def test_no_caller_id_uses_the_default_language(tmp_path: Path) -> None:
    channel = FakeChannel(["", "", "", "1"], info=caller(""))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "ar"


async def test_hostile_caller_id_is_harmless(tmp_path: Path) -> None:
    hostile = "'; DROP TABLE calls; --<script>\x00\n"
    channel = FakeChannel(["5", "3"], info=caller(hostile))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "es"


async def test_silence_in_the_request_menu_still_reaches_a_queue(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "", "", ""], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_ROUTE] == "queue"
    assert channel.variables[var.IVR_REQUEST_TYPE] == ""


async def test_a_refused_command_still_routes_to_a_queue(tmp_path: Path) -> None:
    channel = FakeChannel(["3"], info=caller("+33612345678"), fail_on="ask_digits")
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_ROUTE] == "queue"
    assert channel.variables[var.IVR_QUEUE] == "q-fr"


class BrokenMemory:
    async def recall(self, number: str) -> str | None:
        raise ConnectionError("api down")

    async def remember(self, number: str, language: str) -> None:
        raise ConnectionError("api down")


async def test_a_broken_language_memory_does_not_stop_the_call(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "1"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, memory=BrokenMemory()))
    assert channel.variables[var.IVR_QUEUE] == "q-fr"


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("1", "1"), (" 2 ", "2"), ("", None), ("12", None), ("x", None), ("٣", None)],
)
def test_menu_choice(digits: str, expected: str | None) -> None:
    assert menu_choice(digits, {"1", "2", "3"}) == expected


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("123456", "123456"), ("123456#", "123456"), ("12", None), ("12a456", None), ("١٢٣٤٥٦", None), ("1" * 20, None)],
)
def test_valid_reference(digits: str, expected: str | None) -> None:
    assert valid_reference(digits, 4, 12) == expected

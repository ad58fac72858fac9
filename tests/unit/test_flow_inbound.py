"""The inbound flow against a scripted caller: what was heard and what the dialplan was told."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr import background
from ivr import variables as var
from ivr.channel import CallInfo
from ivr.fake_channel import HANGUP, FakeChannel
from ivr.flows import inbound
from ivr.flows.inbound import menu_choice, valid_reference
from ivr.language_memory import InMemoryLanguageMemory
from ivr.prompts import Prompt, sound
from tests.unit.flow_helpers import CLOSED_INSTANT, make_context


def caller(number: str) -> CallInfo:
    return CallInfo(script="inbound", caller_number=number, unique_id="1700000000.7")


def greeting_offer(language: str) -> list[str]:
    return [sound(Prompt.GREETING, language), sound(Prompt.LANGUAGE_CHANGE_HINT, language)]


def all_options(first: str) -> list[str]:
    order = [first] + [code for code in ("ar", "zgh", "fr", "en", "es", "nl", "it", "de") if code != first]
    return [sound(Prompt.LANGUAGE_OPTION, code) for code in order]


async def test_a_known_language_is_greeted_with_a_short_offer_then_the_request_menu(tmp_path: Path) -> None:
    channel = FakeChannel(["", "1"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert not channel.answered  # the dialplan answered before AGI(inbound): no round trip for it
    assert channel.language == "fr"
    assert channel.variables[var.IVR_LANG] == "fr"
    assert channel.variables[var.IVR_ROUTE] == "queue"
    assert channel.variables[var.IVR_QUEUE] == "q-fr"
    assert channel.variables[var.IVR_REQUEST_TYPE] == "1"
    assert channel.variables.get(var.IVR_REFERENCE, "") == ""
    # two menus (one Read each), no list of eight options
    assert channel.prompted == ["&".join(greeting_offer("fr")), sound(Prompt.REQUEST_TYPE_MENU)]
    assert channel.played[-1] == sound(Prompt.TRANSFER_TO_AGENT)


async def test_a_language_key_during_the_greeting_picks_that_language(tmp_path: Path) -> None:
    channel = FakeChannel(["4", "3"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "en"
    assert channel.variables[var.IVR_QUEUE] == "q-en"
    assert channel.variables[var.IVR_REQUEST_TYPE] == "3"


async def test_the_other_languages_key_opens_every_option_once(tmp_path: Path) -> None:
    channel = FakeChannel(["9", "8", "3"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.prompted[1] == "&".join(all_options("fr"))
    assert channel.variables[var.IVR_LANG] == "de"


async def test_an_unknown_number_hears_every_option_once_and_silence_takes_the_default(tmp_path: Path) -> None:
    channel = FakeChannel(["", ""], info=caller("+97412345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.prompted == [
        "&".join([sound(Prompt.GREETING, "ar"), *all_options("ar")]),
        sound(Prompt.REQUEST_TYPE_MENU),
    ]
    assert channel.variables[var.IVR_LANG] == "ar"
    assert channel.variables[var.IVR_ROUTE] == "queue"
    assert channel.variables.get(var.IVR_REQUEST_TYPE, "") == ""
    assert sound(Prompt.NO_INPUT, "ar") not in channel.played


async def test_an_invalid_key_repeats_a_menu_once_then_takes_its_default(tmp_path: Path) -> None:
    channel = FakeChannel(["0", "*", "7", "#"], info=caller("+31201234567"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.prompted[:2] == [
        "&".join(greeting_offer("nl")),
        "&".join([sound(Prompt.INVALID_CHOICE, "nl"), sound(Prompt.LANGUAGE_CHANGE_HINT, "nl")]),
    ]
    assert channel.variables[var.IVR_LANG] == "nl"  # two invalid keys: the suggested language
    assert channel.prompted[2:] == [
        sound(Prompt.REQUEST_TYPE_MENU),
        "&".join([sound(Prompt.INVALID_CHOICE), sound(Prompt.REQUEST_TYPE_MENU)]),
    ]
    assert channel.variables.get(var.IVR_REQUEST_TYPE, "") == ""  # '#' is a key like any other: invalid


async def test_status_request_asks_for_the_reference(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "2", "123456"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_REQUEST_TYPE] == "2"
    assert channel.variables[var.IVR_REFERENCE] == "123456"
    assert sound(Prompt.REFERENCE_ENTRY) in channel.prompted


async def test_garbage_reference_is_refused_then_given_up(tmp_path: Path) -> None:
    channel = FakeChannel(["3", "2", "12*4", ""], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables.get(var.IVR_REFERENCE, "") == ""
    assert channel.played.count(sound(Prompt.REFERENCE_INVALID)) == 2
    assert channel.variables[var.IVR_ROUTE] == "queue"


async def test_after_hours_says_closed_right_after_the_greeting_then_asks_the_subject(tmp_path: Path) -> None:
    channel = FakeChannel(["", "2"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, now=CLOSED_INSTANT))
    assert channel.prompted == [
        "&".join([sound(Prompt.GREETING, "fr"), sound(Prompt.AFTER_HOURS, "fr"),
                  sound(Prompt.LANGUAGE_CHANGE_HINT, "fr")]),
        "&".join([sound(Prompt.MESSAGE_SUBJECT), sound(Prompt.REQUEST_TYPE_MENU)]),
    ]  # fmt: skip
    assert channel.variables[var.IVR_ROUTE] == "voicemail"
    assert channel.variables[var.IVR_CLOSED] == "outside_hours"
    assert channel.variables[var.IVR_REQUEST_TYPE] == "2"  # the request this message opens gets type 2
    assert channel.variables[var.IVR_STAGE] == "message_subject"


async def test_after_hours_silence_keeps_the_configured_subject(tmp_path: Path) -> None:
    channel = FakeChannel(["", ""], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, now=CLOSED_INSTANT))
    assert channel.variables[var.IVR_REQUEST_TYPE] == "3"  # menu.after_hours_request_type


async def test_after_hours_another_language_hears_the_closed_notice_again_in_it(tmp_path: Path) -> None:
    channel = FakeChannel(["4", "1"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, now=CLOSED_INSTANT))
    assert channel.language == "en"
    assert channel.prompted[1] == "&".join(
        [sound(Prompt.AFTER_HOURS), sound(Prompt.MESSAGE_SUBJECT), sound(Prompt.REQUEST_TYPE_MENU)]
    )
    assert channel.variables[var.IVR_REQUEST_TYPE] == "1"


async def test_hangup_in_the_language_menu_leaves_the_stage_and_no_route(tmp_path: Path) -> None:
    channel = FakeChannel([HANGUP], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_STAGE] == "language_menu"
    assert channel.variables[var.IVR_LANG] == "fr"  # the suggested language, for the record
    assert var.IVR_ROUTE not in channel.variables


async def test_remembered_language_is_greeted_in_it_with_the_short_offer(tmp_path: Path) -> None:
    memory = InMemoryLanguageMemory()
    await memory.remember("+33612345678", "de")
    channel = FakeChannel(["", "3"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, memory=memory))
    assert channel.variables[var.IVR_LANG] == "de"
    assert channel.prompted[0] == "&".join(greeting_offer("de"))


async def test_the_chosen_language_is_remembered(tmp_path: Path) -> None:
    memory = InMemoryLanguageMemory()
    channel = FakeChannel(["7", "1"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path, memory=memory))
    await background.settle()
    assert await memory.recall("+33612345678") == "it"


async def test_language_can_be_changed_from_the_request_menu(tmp_path: Path) -> None:
    channel = FakeChannel(["", "9", "8", "3"], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "de"
    assert channel.language == "de"
    assert channel.variables[var.IVR_QUEUE] == "q-de"
    assert channel.variables[var.IVR_REQUEST_TYPE] == "3"


async def test_no_caller_id_uses_the_default_language(tmp_path: Path) -> None:
    channel = FakeChannel(["", "1"], info=caller(""))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "ar"


async def test_hostile_caller_id_is_harmless(tmp_path: Path) -> None:
    hostile = "'; DROP TABLE calls; --<script>\x00\n"
    channel = FakeChannel(["5", "3"], info=caller(hostile))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_LANG] == "es"


async def test_silence_in_the_request_menu_still_reaches_a_queue(tmp_path: Path) -> None:
    channel = FakeChannel(["3", ""], info=caller("+33612345678"))
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_ROUTE] == "queue"
    assert channel.variables.get(var.IVR_REQUEST_TYPE, "") == ""
    assert len(channel.prompted) == 2  # silence does not repeat the menu


async def test_a_refused_command_still_routes_to_a_queue(tmp_path: Path) -> None:
    channel = FakeChannel(["3"], info=caller("+33612345678"), fail_on="menu")
    await inbound.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_ROUTE] == "queue"
    assert channel.variables[var.IVR_QUEUE] == "q-fr"


# --- on a clock: keys pressed at instants, prompts that last (Asterisk's rules, see ivr.fake_channel) ----------

SECONDS = {"greeting": 3.0, "language_change_hint": 2.0, "language_option": 2.0, "after_hours": 8.0,
           "message_subject": 2.5, "request_type_menu": 7.0, "transfer_to_agent": 2.5}  # fmt: skip


def lasting(name: str) -> float:
    return SECONDS.get(name.rsplit("/", 1)[-1], 1.0)


def timed(number: str, presses: list[tuple[float, str]], *, hangup_at: float | None = None) -> FakeChannel:
    return FakeChannel(info=caller(number), presses=presses, duration_of=lasting, command_s=0.001, hangup_at=hangup_at)


@pytest.mark.parametrize("instant", [0.5, 1.5, 3.0, 4.9])  # in the greeting, at its end, in the offer
async def test_a_key_typed_ahead_during_the_greeting_is_never_lost(tmp_path: Path, instant: float) -> None:
    channel = timed("+32611000019", [(instant, "4"), (instant + 4.0, "3")])
    await inbound.run(channel, make_context(tmp_path))
    assert (channel.variables[var.IVR_LANG], channel.variables[var.IVR_REQUEST_TYPE]) == ("en", "3")
    assert channel.lost == [] and channel.ignored == []


async def test_two_keys_200_ms_apart_land_in_two_menus(tmp_path: Path) -> None:
    channel = timed("+97412345678", [(1.0, "4"), (1.2, "3")])
    await inbound.run(channel, make_context(tmp_path))
    assert (channel.variables[var.IVR_LANG], channel.variables[var.IVR_REQUEST_TYPE]) == ("en", "3")
    assert channel.now == pytest.approx(1.2 + 2.5, abs=0.05)  # then only the transfer prompt


async def test_a_silent_caller_with_a_known_language_reaches_the_queue_on_the_short_path(tmp_path: Path) -> None:
    channel = timed("+33612345678", [])
    await inbound.run(channel, make_context(tmp_path))
    # greeting + offer + 2 s, request menu + 3 s, transfer: no repetition, no "no input"
    assert channel.now == pytest.approx(3.0 + 2.0 + 2.0 + 7.0 + 3.0 + 2.5, abs=0.05)
    assert channel.variables[var.IVR_ROUTE] == "queue"


async def test_a_silent_caller_hears_the_closed_notice_right_after_the_greeting(tmp_path: Path) -> None:
    channel = timed("+97412345678", [])
    await inbound.run(channel, make_context(tmp_path, now=CLOSED_INSTANT))
    starts = {name: start for start, name in channel.timeline}
    assert starts["ar/ivr/after_hours"] == pytest.approx(3.0, abs=0.05)
    assert channel.variables[var.IVR_ROUTE] == "voicemail"


async def test_a_hangup_mid_greeting_is_recorded_at_its_stage(tmp_path: Path) -> None:
    channel = timed("+33612345678", [], hangup_at=1.0)
    await inbound.run(channel, make_context(tmp_path))
    assert channel.now == 1.0
    assert channel.variables[var.IVR_STAGE] == "language_menu"
    assert var.IVR_ROUTE not in channel.variables


async def test_the_clock_shows_why_one_prompt_per_command_lost_keys() -> None:
    """The old language menu played each part with its own STREAM FILE: a key during a part that listened for
    nothing was ignored, and a key between two commands was dropped by res_agi."""
    channel = timed("+33612345678", [(1.0, "3"), (3.0015, "4")])
    assert await channel.play("fr/ivr/greeting") == ""  # no escape digits: "3" at 1.0 s is ignored
    assert await channel.play("fr/ivr/language_option", escape_digits="34") == ""  # "4" fell in the gap
    assert channel.ignored == [(1.0, "3")] and channel.lost == [(3.0015, "4")]


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

"""The clocked FakeChannel follows Asterisk's rules for keys (ivr.fake_channel), so flows can be tested for lost
keys and journey times without a real Asterisk; the real tier checks the same rules end to end."""

from __future__ import annotations

import pytest

from ivr.channel import ChannelHungUp, RecordStatus
from ivr.fake_channel import FakeChannel


def clocked(presses: list[tuple[float, str]], *, command_s: float = 0.0, hangup_at: float | None = None) -> FakeChannel:
    return FakeChannel(presses=presses, duration_of=lambda name: 2.0, command_s=command_s, hangup_at=hangup_at)


async def test_a_menu_takes_any_key_from_its_first_sound_to_its_timeout() -> None:
    channel = clocked([(3.5, "7")])
    assert await channel.menu(["fr/ivr/a", "fr/ivr/b"], timeout_s=3) == "7"
    assert channel.now == 3.5
    assert channel.timeline == [(0.0, "fr/ivr/a"), (2.0, "fr/ivr/b")]


async def test_a_menu_times_out_after_its_last_sound() -> None:
    channel = clocked([(7.5, "1")])
    assert await channel.menu(["ivr/a", "ivr/b"], timeout_s=3) == ""
    assert channel.now == 7.0
    assert channel.timeline == [(0.0, "en/ivr/a"), (2.0, "en/ivr/b")]  # the channel language resolves the name


async def test_play_stops_only_on_an_escape_digit_and_ignores_other_keys() -> None:
    channel = clocked([(0.5, "5"), (1.0, "1")])
    assert await channel.play("ivr/a", escape_digits="12") == "1"
    assert channel.ignored == [(0.5, "5")]


async def test_keys_between_two_commands_are_lost() -> None:
    channel = clocked([(2.0015, "1")], command_s=0.001)
    assert await channel.play("ivr/a", escape_digits="1") == ""
    await channel.set_variable("X", "1")
    assert channel.lost == [(2.0015, "1")]


async def test_get_data_reads_digits_until_the_inter_digit_timeout_or_hash() -> None:
    channel = clocked([(1.0, "1"), (2.0, "2"), (6.0, "3")])
    assert await channel.ask_digits("ivr/reference", max_digits=6, timeout_s=3) == "12"
    channel = clocked([(1.0, "4"), (1.5, "#")])
    assert await channel.ask_digits("ivr/reference", max_digits=6, timeout_s=3) == "4"
    channel = clocked([])
    assert await channel.ask_digits("ivr/reference", max_digits=6, timeout_s=3) == ""
    assert channel.now == 5.0


async def test_wait_digit_and_say_use_the_clock() -> None:
    channel = clocked([(4.5, "9")])
    assert await channel.say_number(12, escape_digits="9") == ""
    assert await channel.say_digits("12", escape_digits="9") == "9"
    assert channel.now == 4.5
    assert await channel.wait_digit(1.0) == ""
    assert channel.now == 5.5


async def test_recording_ends_on_hash_or_at_the_time_limit() -> None:
    channel = clocked([(3.0, "5"), (4.0, "#")])
    outcome = await channel.record("/tmp/msg", max_seconds=60)
    assert (outcome.status, outcome.digit, channel.now) == (RecordStatus.DTMF, "#", 4.0)
    channel = clocked([])
    assert (await channel.record("/tmp/msg", max_seconds=60)).status is RecordStatus.TIMEOUT
    assert channel.now == 60.0


async def test_a_hangup_interrupts_whatever_plays_at_that_instant() -> None:
    channel = clocked([(5.0, "1")], hangup_at=3.0)
    with pytest.raises(ChannelHungUp):
        await channel.menu(["ivr/a", "ivr/b"], timeout_s=3)
    assert (channel.now, channel.hung_up) == (3.0, True)
    with pytest.raises(ChannelHungUp):
        await channel.play("ivr/c")

"""queue_wait: position and estimated wait in the caller's language, a callback offer, and always a sane route."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr import variables as var
from ivr.channel import CallInfo, ChannelHungUp
from ivr.fake_channel import FakeChannel
from ivr.flows import FLOWS, queue_wait
from ivr.prompts import Prompt, minutes_sounds, number_sounds, sound
from ivr.queueing import can_call_back, next_slice, parse_number
from tests.unit.flow_helpers import make_context

JOINED = 1_795_400_000.0


class FakeQueueDesk:
    def __init__(self, *, estimate: float | None = 150.0, booking: bool | None = True) -> None:
        self._estimate = estimate
        self._booking = booking
        self.asked: list[tuple[str, int]] = []
        self.booked: list[dict[str, object]] = []

    async def estimate(self, queue: str, position: int) -> float | None:
        self.asked.append((queue, position))
        return self._estimate

    async def book_callback(
        self, *, number: str, queue: str, language: str, linkedid: str, uniqueid: str, joined_at: datetime
    ) -> bool | None:
        self.booked.append(
            {"number": number, "queue": queue, "language": language, "linkedid": linkedid, "uniqueid": uniqueid,
             "joined_at": joined_at}
        )  # fmt: skip
        return self._booking


def waiting_caller(digits: list[str], *, position: int = 3, waited: float = 45, number: str = "+33612345678",
                   language: str = "fr", barge_in: dict[int, str] | None = None) -> FakeChannel:  # fmt: skip
    return FakeChannel(
        digits,
        barge_in=barge_in,
        info=CallInfo(script="queue_wait", caller_number=number, unique_id="1795400000.9", language=language),
        variables={
            var.IVR_QUEUE: f"q-{language}",
            var.IVR_LANG: language,
            var.IVR_QUEUE_JOINED: str(int(JOINED)),
            var.IVR_QUEUE_TIMEOUT: "300",
            var.IVR_QUEUE_ANNOUNCE: "45",
            var.QUEUEPOSITION: str(position),
            var.EPOCH: str(int(JOINED + waited)),
            var.LINKEDID: "1795400000.7",  # the AGI environment has no linkedid: the flow reads CHANNEL(linkedid)
        },
    )


async def run(channel: FakeChannel, desk: FakeQueueDesk | None, tmp_path: Path) -> None:
    context = dataclasses.replace(make_context(tmp_path), queue_desk=desk)
    await queue_wait.run(channel, context)


def test_the_flow_is_reachable_from_the_dialplan() -> None:
    assert FLOWS["queue_wait"] is queue_wait.run


async def test_position_and_wait_in_the_callers_language_then_back_in_place(tmp_path: Path) -> None:
    channel = waiting_caller([""], position=3)
    desk = FakeQueueDesk(estimate=150.0)
    await run(channel, desk, tmp_path)
    assert channel.played == [
        sound(Prompt.QUEUE_POSITION), *number_sounds(3, "fr"),
        sound(Prompt.WAIT_TIME), *minutes_sounds(3, "fr"),  # 150 s is announced as 3 minutes (rounded up)
        sound(Prompt.CALLBACK_OFFER), sound(Prompt.PLEASE_HOLD),
    ]  # fmt: skip
    assert desk.asked == [("q-fr", 3)]
    assert (channel.variables[var.IVR_ROUTE], channel.variables[var.IVR_QUEUE_POSITION]) == ("queue", "3")
    assert channel.variables[var.IVR_QUEUE_SLICE] == "45"
    assert desk.booked == []


async def test_arabic_caller_next_in_line_hears_it_in_arabic(tmp_path: Path) -> None:
    channel = waiting_caller([""], position=1, language="ar")
    await run(channel, FakeQueueDesk(estimate=20.0), tmp_path)
    assert channel.played[:2] == [sound(Prompt.QUEUE_NEXT), sound(Prompt.WAIT_TIME)]
    assert channel.played[2:-2] == minutes_sounds(1, "ar")  # 20 s rounds up to one minute, in Arabic


async def test_pressing_1_books_a_callback_that_keeps_the_place(tmp_path: Path) -> None:
    channel = waiting_caller(["1"], position=2)
    desk = FakeQueueDesk()
    await run(channel, desk, tmp_path)
    assert desk.booked == [
        {"number": "+33612345678", "queue": "q-fr", "language": "fr", "linkedid": "1795400000.7",
         "uniqueid": "1795400000.9", "joined_at": datetime.fromtimestamp(JOINED, UTC)}
    ]  # fmt: skip
    assert channel.variables[var.IVR_ROUTE] == "callback"
    assert channel.variables[var.IVR_CALLBACK] == "booked"
    assert channel.played[-2:] == [sound(Prompt.CALLBACK_CONFIRMED), sound(Prompt.GOODBYE)]


async def test_a_number_with_a_callback_already_gets_the_same_confirmation(tmp_path: Path) -> None:
    channel = waiting_caller(["1"])
    await run(channel, FakeQueueDesk(booking=False), tmp_path)
    assert (channel.variables[var.IVR_ROUTE], channel.variables[var.IVR_CALLBACK]) == ("callback", "existing")


async def test_booking_failure_keeps_the_caller_waiting_in_place(tmp_path: Path) -> None:
    channel = waiting_caller(["1"], position=4)
    await run(channel, FakeQueueDesk(booking=None), tmp_path)
    assert (channel.variables[var.IVR_ROUTE], channel.variables[var.IVR_QUEUE_POSITION]) == ("queue", "4")
    assert channel.played[-1] == sound(Prompt.PLEASE_HOLD)


async def test_pressing_1_during_the_position_announcement_counts(tmp_path: Path) -> None:
    """Type-ahead: the announcement and the offer are one menu, so a caller who knows the offer need not wait."""
    scripted = waiting_caller([], position=2)
    channel = FakeChannel(info=scripted.info, variables=scripted.variables, presses=[(0.5, "1")], command_s=0.001)
    desk = FakeQueueDesk(estimate=30.0)
    await run(channel, desk, tmp_path)
    assert len(desk.booked) == 1
    assert channel.lost == [] and channel.ignored == []
    assert channel.timeline[0][1] == "fr/ivr/queue_position"


async def test_no_offer_to_an_anonymous_caller_or_without_api(tmp_path: Path) -> None:
    anonymous = waiting_caller(["1"], number="anonymous")
    desk = FakeQueueDesk()
    await run(anonymous, desk, tmp_path)
    assert sound(Prompt.CALLBACK_OFFER) not in anonymous.played and desk.booked == []
    without_api = waiting_caller(["1"])
    await run(without_api, None, tmp_path)
    assert sound(Prompt.CALLBACK_OFFER) not in without_api.played
    assert sound(Prompt.WAIT_TIME) not in without_api.played  # no estimate without data: say nothing wrong
    assert without_api.variables[var.IVR_ROUTE] == "queue"


async def test_when_the_time_is_up_the_caller_goes_to_voicemail_without_announcements(tmp_path: Path) -> None:
    channel = waiting_caller([], waited=300)
    await run(channel, FakeQueueDesk(), tmp_path)
    assert channel.variables[var.IVR_ROUTE] == "voicemail" and channel.played == []


async def test_a_hangup_during_the_announcement_leaves_the_queue_route(tmp_path: Path) -> None:
    channel = waiting_caller([])
    channel._hang_up_after_plays = 1  # the caller hangs up after the first sound
    with pytest.raises(ChannelHungUp):
        await run(channel, FakeQueueDesk(), tmp_path)
    assert channel.variables[var.IVR_ROUTE] == "queue"


def test_slices_end_with_what_remains_of_the_timeout() -> None:
    assert next_slice(joined_at=0, now=45, timeout_s=300, announce_s=45, position=2).slice_s == 45
    last = next_slice(joined_at=0, now=280, timeout_s=300, announce_s=45, position=2)
    assert (last.route, last.slice_s) == ("queue", 20)
    assert next_slice(joined_at=0, now=298, timeout_s=300, announce_s=45, position=2).slice_s == 5  # never tiny
    assert next_slice(joined_at=0, now=300, timeout_s=300, announce_s=45, position=2).route == "voicemail"
    assert next_slice(joined_at=0, now=10, timeout_s=300, announce_s=45, position=0).position == 1


def test_callback_numbers_and_number_parsing() -> None:
    assert can_call_back("+212600000000") and can_call_back("0612345678")
    assert not can_call_back("anonymous") and not can_call_back("") and not can_call_back("123")
    assert parse_number("12.5", 0) == 12.5
    assert parse_number("", 7) == 7 and parse_number("nan", 7) == 7 and parse_number(None, 3) == 3

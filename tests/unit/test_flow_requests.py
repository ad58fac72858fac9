"""The request steps of the flows against a scripted caller and a fake ticket desk: the reference after a
message, the status of a keyed reference, and the post-call survey."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from callcenter.requests import RequestStatus
from ivr import variables as var
from ivr.adapters.tickets_client import ApiTicketDesk, TicketDeskUnavailable
from ivr.channel import CallInfo, RecordOutcome, RecordStatus
from ivr.fake_channel import HANGUP, FakeChannel
from ivr.flows import inbound, survey, voicemail
from ivr.flows.call_end import build_record
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, digit_sounds, sound
from tests.unit.flow_helpers import CLOSED_INSTANT, make_context


@dataclasses.dataclass
class FakeTicketDesk:
    """Answers from a dict; `hang` makes every question wait forever (an API that accepted and froze)."""

    statuses: dict[str, RequestStatus] = dataclasses.field(default_factory=dict)
    reference: str | None = "40817263"
    hang: bool = False
    broken: bool = False
    opened: list[dict[str, object]] = dataclasses.field(default_factory=list)

    async def _maybe_hang(self) -> None:
        if self.hang:
            await asyncio.Event().wait()
        if self.broken:
            raise TicketDeskUnavailable("connection refused")

    async def open_for_voicemail(self, **fields: object) -> str | None:
        await self._maybe_hang()
        self.opened.append(fields)
        return self.reference

    async def status(self, reference: str) -> RequestStatus | None:
        await self._maybe_hang()
        return self.statuses.get(reference)


def with_desk(ctx: FlowContext, desk: FakeTicketDesk | None) -> FlowContext:
    return dataclasses.replace(ctx, tickets=desk)


def caller(number: str = "+33612345678") -> CallInfo:
    return CallInfo(script="voicemail", caller_number=number, unique_id="1700000000.9")


# --- voicemail: the caller hears the reference --------------------------------------------------------------


async def test_after_a_message_the_caller_hears_the_reference_digit_by_digit(tmp_path: Path) -> None:
    desk = FakeTicketDesk()
    channel = FakeChannel(info=caller(), variables={
        var.LINKEDID: "1700000000.9", var.IVR_LANG: "fr", var.IVR_ROUTE: "voicemail"})  # fmt: skip
    await voicemail.run(channel, with_desk(make_context(tmp_path, CLOSED_INSTANT), desk))
    tail = channel.played[-11:]
    assert tail == [
        sound(Prompt.VOICEMAIL_THANKS),
        sound(Prompt.REQUEST_REFERENCE_IS),
        *digit_sounds("40817263"),
        sound(Prompt.GOODBYE),
    ]
    assert desk.opened[0]["linkedid"] == "1700000000.9"
    assert desk.opened[0]["language"] == "fr"
    assert desk.opened[0]["request_type"] is None
    assert desk.opened[0]["at"] == CLOSED_INSTANT
    assert str(desk.opened[0]["voicemail_path"]).endswith("/20261124-1700000000.9")


@pytest.mark.parametrize("desk", [None, FakeTicketDesk(reference=None), FakeTicketDesk(broken=True),
                                  FakeTicketDesk(hang=True)])  # fmt: skip
async def test_without_a_reference_the_caller_hears_the_generic_thanks(
    tmp_path: Path, desk: FakeTicketDesk | None
) -> None:
    ctx = dataclasses.replace(with_desk(make_context(tmp_path, CLOSED_INSTANT), desk), reference_timeout_s=0.05)
    channel = FakeChannel(info=caller(), variables={var.LINKEDID: "1700000000.9"})
    await asyncio.wait_for(voicemail.run(channel, ctx), 5)
    assert channel.played[-2:] == [sound(Prompt.VOICEMAIL_THANKS), sound(Prompt.GOODBYE)]
    assert channel.variables[var.IVR_VOICEMAIL]  # the message itself is kept for the call record


async def test_a_caller_hanging_up_while_recording_is_not_kept_waiting_for_a_reference(tmp_path: Path) -> None:
    desk = FakeTicketDesk()
    channel = FakeChannel(info=caller(), variables={var.LINKEDID: "1.2"},
                          record_outcome=RecordOutcome(RecordStatus.HANGUP))
    await voicemail.run(channel, with_desk(make_context(tmp_path, CLOSED_INSTANT), desk))
    assert desk.opened == []  # the call record opens the request
    assert channel.variables[var.IVR_VOICEMAIL]


# --- request type 2: the status of a keyed reference -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "prompt"),
    [
        (RequestStatus.NEW, Prompt.REQUEST_STATUS_NEW),
        (RequestStatus.IN_PROGRESS, Prompt.REQUEST_STATUS_IN_PROGRESS),
        (RequestStatus.ANSWERED, Prompt.REQUEST_STATUS_ANSWERED),
        (RequestStatus.CLOSED, Prompt.REQUEST_STATUS_CLOSED),
    ],
)
async def test_a_caller_keying_a_reference_hears_its_status_then_reaches_an_agent(
    tmp_path: Path, status: RequestStatus, prompt: Prompt
) -> None:
    desk = FakeTicketDesk(statuses={"40817263": status})
    channel = FakeChannel(["3", "2", "40817263#"], info=caller())
    await inbound.run(channel, with_desk(make_context(tmp_path), desk))
    assert channel.played[-2:] == [sound(prompt), sound(Prompt.TRANSFER_TO_AGENT)]
    assert channel.variables[var.IVR_REFERENCE] == "40817263"
    assert channel.variables[var.IVR_ROUTE] == "queue"


@pytest.mark.parametrize(
    ("desk", "prompt"),
    [
        (FakeTicketDesk(), Prompt.REQUEST_NOT_FOUND),
        (FakeTicketDesk(broken=True), Prompt.REQUEST_STATUS_UNAVAILABLE),
        (FakeTicketDesk(hang=True), Prompt.REQUEST_STATUS_UNAVAILABLE),
        (None, Prompt.REQUEST_STATUS_UNAVAILABLE),
    ],
)
async def test_unknown_reference_or_absent_api_still_sends_the_caller_to_an_agent(
    tmp_path: Path, desk: FakeTicketDesk | None, prompt: Prompt
) -> None:
    ctx = dataclasses.replace(with_desk(make_context(tmp_path), desk), status_lookup_timeout_s=0.05)
    channel = FakeChannel(["3", "2", "12345678"], info=caller())
    await asyncio.wait_for(inbound.run(channel, ctx), 5)
    assert channel.played[-2:] == [sound(prompt), sound(Prompt.TRANSFER_TO_AGENT)]
    assert channel.variables[var.IVR_ROUTE] == "queue"


# --- survey -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("digits", "rating"), [("4", 4), ("1", 1), ("5#", 5), ("0", None), ("6", None),
                                                ("", None), ("*", None), ("45", None)])  # fmt: skip
def test_rating_from_keys(digits: str, rating: int | None) -> None:
    assert survey.rating_from(digits) == rating


async def test_survey_stores_the_rating_on_the_channel_for_call_end(tmp_path: Path) -> None:
    channel = FakeChannel(["7", "4"], info=caller())
    await survey.run(channel, make_context(tmp_path))
    assert channel.variables[var.IVR_SURVEY] == "4"
    assert channel.played == [
        sound(Prompt.SURVEY_INTRO), sound(Prompt.SURVEY_QUESTION),
        sound(Prompt.INVALID_CHOICE), sound(Prompt.SURVEY_QUESTION),
        sound(Prompt.SURVEY_THANKS), sound(Prompt.GOODBYE),
    ]  # fmt: skip
    record = build_record({**channel.variables, var.IVR_ROUTE: "queue", var.MEMBERINTERFACE: "PJSIP/agent1001"},
                          caller_number="+33612345678", caller_name="", dialed_number="", unique_id="1.1",
                          now=datetime.fromisoformat("2026-11-24T10:00:00+01:00"))  # fmt: skip
    assert record.survey_rating == 4


async def test_a_silent_caller_leaves_the_survey_at_once_without_a_rating(tmp_path: Path) -> None:
    channel = FakeChannel([""], info=caller())
    await survey.run(channel, make_context(tmp_path))
    assert var.IVR_SURVEY not in channel.variables
    assert channel.played == [sound(Prompt.SURVEY_INTRO), sound(Prompt.SURVEY_QUESTION), sound(Prompt.GOODBYE)]


async def test_survey_without_an_answer_or_with_a_hangup_stores_nothing(tmp_path: Path) -> None:
    silent = FakeChannel(["", "", ""], info=caller())
    await survey.run(silent, make_context(tmp_path))
    assert var.IVR_SURVEY not in silent.variables
    assert silent.played[-1] == sound(Prompt.GOODBYE)
    gone = FakeChannel([HANGUP], info=caller())
    await survey.run(gone, make_context(tmp_path))
    assert var.IVR_SURVEY not in gone.variables


def test_call_end_ignores_a_rating_out_of_range() -> None:
    for bad in ("0", "6", "x", "44"):
        record = build_record({var.IVR_SURVEY: bad}, caller_number="", caller_name="", dialed_number="",
                              unique_id="1.1", now=datetime.fromisoformat("2026-11-24T10:00:00+01:00"))
        assert record.survey_rating is None


# --- the HTTP desk ----------------------------------------------------------------------------------------------


async def test_api_ticket_desk_speaks_the_api_routes() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/requests/voicemail":
            return httpx.Response(201, json={"reference": "40817263", "due_at": "2026-12-01T20:00:00+01:00"})
        if request.url.path == "/requests/status/40817263":
            return httpx.Response(200, json={"reference": "40817263", "status": "in_progress"})
        if request.url.path == "/requests/status/500":
            return httpx.Response(500)
        return httpx.Response(404, json={"detail": "no such request"})

    desk = ApiTicketDesk(api_url="http://api.test", token="t0k", transport=httpx.MockTransport(answer))
    try:
        reference = await desk.open_for_voicemail(
            linkedid="1.2", caller_number="+33612345678", dialed_number="0800100200", language="fr",
            request_type=None,
            voicemail_path="/rec/1.2", route="voicemail", at=CLOSED_INSTANT,
        )  # fmt: skip
        assert reference == "40817263"
        assert seen[0].headers["Authorization"] == "Bearer t0k"
        assert await desk.status("40817263") is RequestStatus.IN_PROGRESS
        assert await desk.status("11111111") is None
        assert await desk.status("../etc") is None  # never sent
        with pytest.raises(TicketDeskUnavailable):
            await desk.status("500")
        assert len(seen) == 4
    finally:
        await desk.aclose()


async def test_api_ticket_desk_answers_none_for_a_reference_when_the_api_is_down() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    desk = ApiTicketDesk(api_url="http://api.test", token=None, transport=httpx.MockTransport(refuse))
    try:
        assert await desk.open_for_voicemail(
            linkedid="1.2", caller_number="", dialed_number="", language=None, request_type=None,
            voicemail_path="/rec/1.2",
            route=None, at=CLOSED_INSTANT,
        ) is None  # fmt: skip
        with pytest.raises(TicketDeskUnavailable):
            await desk.status("40817263")
    finally:
        await desk.aclose()

"""call_end and voicemail: every call becomes one spooled record, whatever happened to it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from callcenter.records import MAX_SECONDS, CallRecord, Outcome
from ivr import variables as var
from ivr.adapters.outbox import Outbox
from ivr.channel import CallInfo, RecordOutcome, RecordStatus
from ivr.fake_channel import HANGUP, FakeChannel
from ivr.flows import call_end, inbound, voicemail
from ivr.flows.call_end import build_record, classify
from ivr.flows.voicemail import recording_path
from ivr.prompts import Prompt, sound
from tests.unit.flow_helpers import CLOSED_INSTANT, OPEN_INSTANT, make_context

NOW = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)


def info(number: str = "+33612345678", name: str = "Amal") -> CallInfo:
    return CallInfo(script="call_end", caller_number=number, caller_name=name, unique_id="1700000000.7",
                    dialed_number="0800123456")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, Outcome.ABANDONED_IVR),
        ({var.IVR_STAGE: "language_menu"}, Outcome.ABANDONED_IVR),
        ({var.IVR_ROUTE: "queue", var.MEMBERINTERFACE: "PJSIP/agent1001"}, Outcome.ANSWERED),
        ({var.IVR_ROUTE: "queue", var.QUEUESTATUS: "TIMEOUT"}, Outcome.ABANDONED_QUEUE),
        ({var.IVR_ROUTE: "queue", var.IVR_VOICEMAIL: "/vm/x"}, Outcome.VOICEMAIL),
        ({var.IVR_ROUTE: "voicemail", var.IVR_CLOSED: "weekend", var.IVR_VOICEMAIL: "/vm/x"}, Outcome.VOICEMAIL),
        ({var.IVR_ROUTE: "voicemail", var.IVR_CLOSED: "weekend"}, Outcome.AFTER_HOURS),
        ({var.IVR_ROUTE: "voicemail"}, Outcome.FAILED),
        ({var.IVR_ERROR: "call_end"}, Outcome.FAILED),
        ({var.IVR_ROUTE: "hangup"}, Outcome.ABANDONED_IVR),
    ],
)
def test_classify(values: dict[str, str], expected: Outcome) -> None:
    assert classify(values) is expected


def test_answered_call_times() -> None:
    joined = NOW.timestamp() - 300
    values = {
        var.EPOCH: str(int(NOW.timestamp())),
        var.LINKEDID: "1700000000.7",
        var.IVR_STARTED: str(joined - 40),
        var.IVR_QUEUE_JOINED: str(joined),
        var.IVR_ROUTE: "queue",
        var.IVR_QUEUE: "q-fr",
        var.IVR_LANG: "fr",
        var.IVR_REQUEST_TYPE: "1",
        var.MEMBERINTERFACE: "PJSIP/agent1001",
        var.QEHOLDTIME: "20",
        var.HANGUPCAUSE: "16",
    }
    record = build_record(values, caller_number="+33612345678", caller_name="Amal", dialed_number="0800",
                          unique_id="1700000000.7", now=NOW)
    assert record.outcome is Outcome.ANSWERED
    assert record.wait_seconds == 20
    assert record.talk_seconds == pytest.approx(280)
    assert record.started_at.timestamp() == pytest.approx(joined - 40)
    assert record.agent == "PJSIP/agent1001"
    assert record.request_type == 1
    assert record.hangup_cause == "16"


def test_odd_values_never_break_the_record() -> None:
    values = {var.IVR_STARTED: "yesterday", var.IVR_QUEUE_JOINED: "1e400", var.QEHOLDTIME: "-5",
              var.IVR_REQUEST_TYPE: "٣", var.IVR_ROUTE: "elsewhere", var.LINKEDID: "../../etc/passwd"}
    record = build_record(values, caller_number="", caller_name="x" * 1000, dialed_number="", unique_id="1.2",
                          now=NOW)
    assert record.started_at == NOW
    assert record.request_type is None
    assert record.route is None
    assert record.linkedid == "....etcpasswd"
    assert len(record.caller_name) == 256


def test_a_broken_clock_or_huge_durations_still_give_a_valid_record() -> None:
    values = {var.IVR_STARTED: "-62135596800", var.IVR_QUEUE_JOINED: "0", var.EPOCH: "1e300",
              var.IVR_ROUTE: "queue", var.MEMBERINTERFACE: "PJSIP/agent1001", var.QEHOLDTIME: "1e308"}
    for now in (NOW, datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)):
        record = build_record(values, caller_number="", caller_name="", dialed_number="", unique_id="1.2", now=now)
        again = CallRecord.model_validate(record.model_dump())  # what the API will check
        assert again.wait_seconds is not None and 0 <= again.wait_seconds <= MAX_SECONDS
        assert again.talk_seconds is not None and 0 <= again.talk_seconds <= MAX_SECONDS
        assert again.answered_at is not None and again.ended_at is not None
    record = build_record(values, caller_number="", caller_name="", dialed_number="", unique_id="1.2", now=NOW)
    assert record.started_at == NOW  # year 1 from a broken clock: the call's end stands in


async def test_abandoned_in_the_menu_is_recorded(tmp_path: Path) -> None:
    ctx = make_context(tmp_path)
    channel = FakeChannel([HANGUP], info=info())
    await inbound.run(channel, ctx)
    channel.variables[var.LINKEDID] = "1700000000.7"
    await call_end.run(channel, ctx)
    [record] = Outbox(tmp_path).records()
    assert record.outcome is Outcome.ABANDONED_IVR
    assert record.linkedid == "1700000000.7"
    assert record.caller_number == "+33612345678"


async def test_after_hours_voicemail_is_recorded(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, now=CLOSED_INSTANT)
    channel = FakeChannel(["3"], info=info(), variables={var.LINKEDID: "1700000000.9"})
    await inbound.run(channel, ctx)
    assert channel.variables[var.IVR_ROUTE] == "voicemail"
    await voicemail.run(channel, ctx)
    assert channel.recordings == ["/var/spool/asterisk/ivr-recordings/20261124-1700000000.9.wav"]
    assert channel.played[-2:] == [sound(Prompt.VOICEMAIL_THANKS), sound(Prompt.GOODBYE)]
    await call_end.run(channel, ctx)
    [record] = Outbox(tmp_path).records()
    assert record.outcome is Outcome.VOICEMAIL
    assert record.voicemail_path == "/var/spool/asterisk/ivr-recordings/20261124-1700000000.9"
    assert record.language == "fr"


async def test_hangup_while_recording_keeps_the_message(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, now=CLOSED_INSTANT)
    channel = FakeChannel(info=info(), variables={var.LINKEDID: "1700000000.10", var.IVR_CLOSED: "weekend"},
                          record_outcome=RecordOutcome(RecordStatus.HANGUP))
    await voicemail.run(channel, ctx)
    assert channel.variables[var.IVR_VOICEMAIL].endswith("1700000000.10")
    assert sound(Prompt.VOICEMAIL_THANKS) not in channel.played


async def test_voicemail_failure_is_flagged(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, now=OPEN_INSTANT)
    channel = FakeChannel(info=info(), fail_on="record")
    await voicemail.run(channel, ctx)
    assert channel.variables[var.IVR_ERROR] == "voicemail"


async def test_hangup_before_recording(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, now=OPEN_INSTANT)
    channel = FakeChannel(info=info(), hang_up_after_plays=0)
    await voicemail.run(channel, ctx)
    assert var.IVR_VOICEMAIL not in channel.variables


async def test_the_same_call_spooled_twice_is_one_record(tmp_path: Path) -> None:
    ctx = make_context(tmp_path)
    channel = FakeChannel(info=info(), variables={var.LINKEDID: "1700000000.11"})
    await call_end.run(channel, ctx)
    await call_end.run(channel, ctx)
    assert len(Outbox(tmp_path).records()) == 1


def test_recording_path_is_sanitised() -> None:
    assert recording_path("/vm", "../../x y", NOW) == "/vm/20261124-xy"
    assert recording_path("/vm", "...", NOW) == "/vm/20261124-unknown"


def test_time_after_the_queue_is_neither_wait_nor_talk() -> None:
    joined = NOW.timestamp() - 600
    base = {var.IVR_QUEUE_JOINED: str(joined), var.EPOCH: str(NOW.timestamp()), var.IVR_ROUTE: "queue"}
    timed_out = {**base, var.IVR_QUEUE_LEFT: str(joined + 300), var.IVR_VOICEMAIL: "/vm/x", var.HANGUPCAUSE: "0"}
    record = build_record(timed_out, caller_number="", caller_name="", dialed_number="", unique_id="1.2", now=NOW)
    assert record.outcome is Outcome.VOICEMAIL
    assert record.wait_seconds == 300
    assert record.hangup_cause is None
    answered = {**base, var.IVR_QUEUE_LEFT: str(joined + 200), var.MEMBERINTERFACE: "PJSIP/agent1001",
                var.QEHOLDTIME: "50"}
    record = build_record(answered, caller_number="", caller_name="", dialed_number="", unique_id="1.2", now=NOW)
    assert (record.wait_seconds, record.talk_seconds) == (50, 150)


async def test_early_hangup_records_the_preselected_language(tmp_path: Path) -> None:
    ctx = make_context(tmp_path)
    channel = FakeChannel([HANGUP], info=info("+4915112345678"))
    await inbound.run(channel, ctx)
    assert channel.variables[var.IVR_LANG] == "de"


def test_a_later_build_of_a_call_carries_a_higher_version() -> None:
    values = {var.LINKEDID: "1700000000.9", var.IVR_ROUTE: "hangup"}

    def built(now: datetime) -> CallRecord:
        return build_record(values, caller_number="", caller_name="", dialed_number="", unique_id="1.2", now=now)

    first, second = built(datetime(2026, 11, 24, 9, tzinfo=UTC)), built(datetime(2026, 11, 24, 9, 0, 0, 1, tzinfo=UTC))
    assert second.version == first.version + 1 == 1_795_510_800_000_001
    assert built(datetime(9999, 1, 1, tzinfo=UTC)).version > second.version  # even a broken clock stays ordered


class NoReads(FakeChannel):
    async def get_variable(self, name: str) -> str | None:
        raise AssertionError(f"call_end sent GET VARIABLE {name} although the arguments carried it")


def hangup_handler_arguments(values: dict[str, str]) -> tuple[str, ...]:
    """What the dialplan's hangup handler passes: the tag, then READ's values as URIENCODE writes them."""
    return (call_end.ARGUMENTS_TAG, *(quote(values.get(name, ""), safe="") for name in call_end.READ))


async def test_variables_passed_as_arguments_need_no_command(tmp_path: Path) -> None:
    values = {var.LINKEDID: "1700000000.7", var.IVR_ROUTE: "queue", var.IVR_QUEUE: "q-fr", var.IVR_LANG: "fr",
              var.MEMBERINTERFACE: "PJSIP/agent1001", var.IVR_REFERENCE: "12,3 (x)\n", var.EPOCH: "1764000000"}
    passed = CallInfo(script="call_end", caller_number="+33612345678", unique_id="1700000000.7",
                      arguments=hangup_handler_arguments(values))
    channel = NoReads(info=passed)
    await call_end.run(channel, make_context(tmp_path))
    [record] = Outbox(tmp_path).records()
    assert record.outcome is Outcome.ANSWERED
    assert (record.linkedid, record.queue, record.agent) == ("1700000000.7", "q-fr", "PJSIP/agent1001")
    assert record.reference == "12,3 (x)\n"  # commas, brackets and control characters travel intact


@pytest.mark.parametrize(
    "arguments",
    [(), ("other",), ("vars1", "a b"), ("vars1", "%zz"), ("vars1", *["x"] * (len(call_end.READ) + 1))],
)
def test_arguments_that_are_not_the_hangup_handlers_mean_reading_the_variables(arguments: tuple[str, ...]) -> None:
    assert call_end.from_arguments(arguments) is None


def test_trailing_empty_arguments_may_be_left_out() -> None:
    assert call_end.from_arguments(("vars1", "1700000000.7")) == {var.LINKEDID: "1700000000.7"}

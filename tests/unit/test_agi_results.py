"""What a reply means (ivr/agi/results.py, ivr/agi/operations.py): byte transcripts shaped like Asterisk 22's res_agi
output, no I/O."""

from __future__ import annotations

from typing import TypeVar

import pytest

from ivr.agi import (
    AgiConnection,
    DeadChannel,
    ErrorReply,
    InvalidCommand,
    Result,
    UsageError,
    commands,
    operations,
    results,
)
from ivr.agi.results import MenuKey, RecordEnd, RecordResult

T = TypeVar("T")


def reply_to(command: str, data: bytes) -> Result:
    """Send `command` on a real connection, feed Asterisk's bytes, return the parsed reply."""
    connection = AgiConnection(environment_read=True)
    connection.send_command(command)
    connection.receive_data(data)
    event = connection.next_event()
    assert isinstance(event, Result), event
    return event


@pytest.mark.parametrize(
    ("data", "digit", "hung_up"),
    [
        (b"200 result=0 endpos=24320\n", "", False),  # played to the end
        (b"200 result=51 endpos=6080\n", "3", False),  # '3' is ASCII 51
        (b"200 result=35 endpos=100\n", "#", False),
        (b"200 result=-1 endpos=0\n", "", True),  # a hangup (or a missing file: the adapter asks CHANNEL STATUS)
        (b"200 result=300\n", "", False),  # not an ASCII code: nothing pressed
    ],
)
def test_stream_file_digit_codes(data: bytes, digit: str, hung_up: bool) -> None:
    result = reply_to(commands.stream_file("ivr/menu", "123#"), data)
    assert results.digit_pressed(result) == digit
    assert results.is_hangup(result) is hung_up


@pytest.mark.parametrize(
    ("data", "digits"),
    [
        (b"200 result=1234\n", "1234"),
        (b"200 result=31 (timeout)\n", "31"),
        (b"200 result=\n", ""),
        (b"200 result=40817263#\n", "4081"),
    ],
)
def test_get_data_digits(data: bytes, digits: str) -> None:
    result = reply_to(commands.get_data("demo/enter", timeout_s=3, max_digits=4), data)
    assert results.digits_entered(result, 4) == digits


def test_get_variable_set_and_unset() -> None:
    command = commands.get_variable("CHANNEL(linkedid)")
    assert results.variable_value(reply_to(command, b"200 result=1 (1763860800.1)\n")) == "1763860800.1"
    assert results.variable_value(reply_to(command, b"200 result=1 ()\n")) == ""
    assert results.variable_value(reply_to(command, b"200 result=0\n")) is None


def test_channel_status() -> None:
    assert results.channel_alive(reply_to(commands.channel_status(), b"200 result=6\n"))
    assert not results.channel_alive(reply_to(commands.channel_status(), b"200 result=-1\n"))


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"200 result=1 (OK,2)\n", MenuKey("2")),
        (b"200 result=1 (OK,#)\n", MenuKey("#")),
        (b"200 result=1 (TIMEOUT,)\n", MenuKey("")),
        (b"200 result=1 (HANGUP,)\n", MenuKey("", hung_up=True)),
        (b"200 result=1 (OK,x)\n", MenuKey("")),
    ],
)
def test_menu_readstatus_and_key(data: bytes, outcome: MenuKey) -> None:
    command = commands.get_full_variable("${READSTATUS},${IVR_MENU_KEY}")
    assert results.menu_key(reply_to(command, data)) == outcome


def test_the_menu_is_one_read_of_a_sound_list() -> None:
    assert commands.read_menu("K", ["ivr/a", "ivr/b"], timeout_s=0) == 'EXEC Read "K,ivr/a&ivr/b,1,t,1,0.05"'
    with pytest.raises(commands.AgiArgumentError, match="not a menu"):
        commands.read_menu("K", ["ivr/a,b"], timeout_s=1)
    with pytest.raises(commands.AgiArgumentError, match="empty"):
        commands.read_menu("K", [], timeout_s=1)


@pytest.mark.parametrize(
    ("data", "silence_seconds", "outcome"),
    [
        (b"200 result=35 (dtmf) endpos=16000\n", 0, RecordResult(RecordEnd.DTMF, "#")),
        (b"200 result=0 (timeout) endpos=960000\n", 0, RecordResult(RecordEnd.TIMEOUT)),
        (b"200 result=0 (timeout) endpos=960000\n", 5, RecordResult(RecordEnd.TIMEOUT)),  # the time limit
        (b"200 result=0 (timeout) endpos=40000\n", 5, RecordResult(RecordEnd.SILENCE)),  # 5 s in, of 120 s
        (b"200 result=0 (timeout)\n", 5, RecordResult(RecordEnd.TIMEOUT)),  # no endpos: cannot tell
        (b"200 result=-1 (hangup) endpos=8000\n", 0, RecordResult(RecordEnd.HANGUP)),
        (b"200 result=-1 (waitfor) endpos=0\n", 0, RecordResult(RecordEnd.HANGUP)),
        (b"200 result=-1 (randomerror) endpos=0\n", 0, RecordResult(RecordEnd.HANGUP)),
        (b"200 result=49 (randomerror) endpos=0\n", 0, RecordResult(RecordEnd.DTMF, "1")),  # during the beep
        (b"200 result=-1 (writefile)\n", 0, RecordResult(RecordEnd.FAILED)),
    ],
)
def test_record_file_results(data: bytes, silence_seconds: int, outcome: RecordResult) -> None:
    command = commands.record_file("/var/spool/asterisk/x", "wav", escape_digits="#", max_seconds=120, beep=True,
                                   silence_seconds=silence_seconds)  # fmt: skip
    end = results.record_result(reply_to(command, data), file_format="wav", max_seconds=120,
                                silence_seconds=silence_seconds)  # fmt: skip
    assert end == outcome


def test_silence_needs_a_known_sample_rate() -> None:
    result = reply_to(commands.get_variable("X"), b"200 result=0 (timeout) endpos=100\n")
    assert results.record_result(result, file_format="mp3", max_seconds=60, silence_seconds=3).end is RecordEnd.TIMEOUT


# --- operations (ivr/agi/operations.py): each Channel method as a line, a time budget and a meaning -------------


def read_reply(operation: operations.Operation[T], data: bytes) -> T:
    """Build the operation's line, feed Asterisk's bytes through a real connection, return what they mean."""
    line = operation.line()
    connection = AgiConnection(environment_read=True)
    connection.send_command(line)
    connection.receive_data(data)
    reply = connection.next_event()
    assert isinstance(reply, Result | UsageError | InvalidCommand | DeadChannel | ErrorReply), reply
    return operation.read(line, reply)


def test_a_control_operation_waits_the_control_time_and_media_the_slack_per_prompt() -> None:
    assert operations.get_variable("X").timeout_s(control_s=30, slack_s=300) == 30
    assert operations.menu(["a", "b"], timeout_s=2).timeout_s(control_s=30, slack_s=300) == 602
    assert operations.ask_digits("a", max_digits=4, timeout_s=5).timeout_s(control_s=30, slack_s=300) == 320
    assert operations.answer().live and not operations.set_variable("X", "1").live


def test_operation_replies_become_values_hangups_or_refusals() -> None:
    assert read_reply(operations.play("ivr/menu", "1"), b"200 result=49 endpos=10\n") == "1"
    assert read_reply(operations.play("ivr/menu"), b"200 result=-1 endpos=0\n") is None  # hangup or missing
    with pytest.raises(operations.HungUp, match="the caller hung up"):
        read_reply(operations.wait_digit(3), b"200 result=-1\n")
    with pytest.raises(operations.HungUp, match="dead channel"):
        read_reply(operations.answer(), b"511 Command Not Permitted on a dead channel or intercept routine\n")
    with pytest.raises(operations.Refused, match="Read refused the menu"):
        read_reply(operations.menu(["ivr/menu"], timeout_s=3), b"200 result=-2\n")
    with pytest.raises(operations.HungUp, match="during a menu"):
        read_reply(operations.menu_key(), b"200 result=1 (HANGUP,)\n")
    with pytest.raises(operations.Refused, match="writefile"):
        read_reply(operations.record("/x", file_format="wav", escape_digits="#", max_seconds=5, silence_seconds=0,
                                     beep=True), b"200 result=-1 (writefile)\n")  # fmt: skip


def test_a_language_is_a_plain_code_before_it_travels() -> None:
    assert operations.set_language("fr_CA").line() == 'SET VARIABLE "CHANNEL(language)" "fr_CA"'
    with pytest.raises(commands.AgiArgumentError, match="not a language code"):
        operations.set_language("fr;rm").line()

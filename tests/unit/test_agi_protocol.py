"""The sans-I/O AGI core, fed byte transcripts shaped like Asterisk 22's res_agi output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.agi import (
    AgiConnection,
    AgiStateError,
    ConnectionClosed,
    DeadChannel,
    Environment,
    ErrorReply,
    Event,
    HangupNotice,
    InvalidCommand,
    NeedData,
    ProtocolError,
    Result,
    UsageError,
    commands,
    environment_from_mapping,
    parse_result,
)
from ivr.agi.commands import AgiArgumentError

# What Asterisk 22 sent for AGI(agi://127.0.0.1:4573/inbound,fr) on a PJSIP call (res_agi.c setup_env order).
FASTAGI_ENVIRONMENT = (
    b"agi_network: yes\n"
    b"agi_network_script: inbound\n"
    b"agi_request: agi://127.0.0.1:4573/inbound\n"
    b"agi_channel: PJSIP/sipp-00000003\n"
    b"agi_language: en\n"
    b"agi_type: PJSIP\n"
    b"agi_uniqueid: 1763860800.3\n"
    b"agi_version: 22.10.1\n"
    b"agi_callerid: +212612345678\n"
    b"agi_calleridname: unknown\n"
    b"agi_callingpres: 0\n"
    b"agi_callingani2: 0\n"
    b"agi_callington: 0\n"
    b"agi_callingtns: 0\n"
    b"agi_dnid: 0800123456\n"
    b"agi_rdnis: unknown\n"
    b"agi_context: ivr-inbound\n"
    b"agi_extension: 0800123456\n"
    b"agi_priority: 2\n"
    b"agi_enhanced: 0.0\n"
    b"agi_accountcode: \n"
    b"agi_threadid: 140187365320384\n"
    b"agi_arg_1: fr\n"
    b"\n"
)


def events(connection: AgiConnection) -> list[Event]:
    """All events up to the next NeedData / ConnectionClosed / ProtocolError (bounded)."""
    found: list[Event] = []
    for _ in range(1000):
        event = connection.next_event()
        found.append(event)
        if isinstance(event, NeedData | ConnectionClosed | ProtocolError):
            return found
    raise AssertionError("next_event never asked for data")


def ready(*commands_sent: str) -> AgiConnection:
    connection = AgiConnection()
    connection.receive_data(FASTAGI_ENVIRONMENT)
    assert isinstance(connection.next_event(), Environment)
    for command in commands_sent:
        connection.send_command(command)
    return connection


def asterisk_parse_args(line: str) -> list[str]:
    """A faithful port of res_agi.c parse_args, to check that our quoting survives Asterisk's unquoting."""
    words: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and current is None:
                current = []
                words.append("")
            continue
        if char in " \t" and not quoted and not escaped:
            if current is not None:
                words[-1] = "".join(current)
            current = None
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
            words.append("")
        current.append(char)
        escaped = False
    if current is not None:
        words[-1] = "".join(current)
    return words


# --- environment -------------------------------------------------------------------------------------------


def test_environment_is_parsed_and_then_commands_flow() -> None:
    connection = AgiConnection()
    connection.receive_data(FASTAGI_ENVIRONMENT)
    event = connection.next_event()
    assert isinstance(event, Environment)
    assert event.get("agi_callerid") == "+212612345678"
    assert event.script == "inbound"
    assert event.arguments == ("fr",)
    assert event.get("agi_accountcode") == ""
    assert connection.next_event() == NeedData()


def test_environment_split_across_many_reads_byte_by_byte() -> None:
    connection = AgiConnection()
    for byte in FASTAGI_ENVIRONMENT[:-1]:
        connection.receive_data(bytes([byte]))
        assert connection.next_event() == NeedData()
    connection.receive_data(b"\n")
    assert isinstance(connection.next_event(), Environment)


def test_non_utf8_caller_name_is_replaced_and_control_characters_removed() -> None:
    connection = AgiConnection()
    connection.receive_data(b"agi_network_script: inbound\nagi_calleridname: Jos\xe9 \x1b[31mRed\x07\r\n\n")
    event = connection.next_event()
    assert isinstance(event, Environment)
    assert event.get("agi_calleridname") == "Jos\ufffd [31mRed"


def test_script_name_drops_query_and_slashes_and_falls_back_to_the_request_path() -> None:
    assert Environment({"agi_network_script": "/inbound?x=1"}).script == "inbound"
    assert Environment({"agi_request": "/usr/share/asterisk/agi-bin/call_end"}).script == "call_end"
    assert Environment({}).script == ""


def test_arguments_stop_at_the_first_gap() -> None:
    assert Environment({"agi_arg_1": "a", "agi_arg_2": "b", "agi_arg_4": "d"}).arguments == ("a", "b")


def test_environment_from_mapping_sanitises_like_the_wire() -> None:
    environment = environment_from_mapping({"agi_calleridname": " Ann\x00e ", "bad key": "x"})
    assert environment.variables == {"agi_calleridname": "Anne"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "malformed AGI environment line"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", "malformed AGI environment line"),
        (b"\n", "empty AGI environment"),
        (b"agi_x: " + b"a" * 9000 + b"\n\n", "line longer than 8192 bytes"),
        (b"agi_x: " + b"a" * 9000, "line longer than 8192 bytes"),
    ],
)
def test_garbage_and_oversized_environments_are_protocol_errors(data: bytes, reason: str) -> None:
    connection = AgiConnection()
    connection.receive_data(data)
    event = connection.next_event()
    assert isinstance(event, ProtocolError)
    assert event.reason.startswith(reason)
    assert connection.next_event() == event  # sticky
    with pytest.raises(AgiStateError):
        connection.send_command("ANSWER")


def test_too_many_environment_lines_is_a_protocol_error() -> None:
    connection = AgiConnection(max_environment_lines=5)
    connection.receive_data(b"".join(b"agi_arg_%d: x\n" % n for n in range(6)))
    event = connection.next_event()
    assert event == ProtocolError("AGI environment longer than 5 lines")


def test_oversized_line_never_grows_the_buffer_unbounded() -> None:
    connection = AgiConnection(max_line_bytes=64)
    connection.receive_data(b"agi_x: " + b"y" * 50)
    assert connection.next_event() == NeedData()
    connection.receive_data(b"y" * 10)
    assert isinstance(connection.next_event(), ProtocolError)
    assert connection._buffer == bytearray()  # released, not kept


def test_probe_that_connects_and_closes_is_a_clean_close() -> None:
    connection = AgiConnection()
    connection.receive_data(b"")
    assert connection.next_event() == ConnectionClosed()
    assert connection.next_event() == ConnectionClosed()
    with pytest.raises(AgiStateError):
        connection.receive_data(b"late")


@pytest.mark.parametrize("half", [b"agi_network: yes\n", b"agi_network: yes\nagi_netw"])
def test_half_environment_then_close_is_a_protocol_error(half: bytes) -> None:
    connection = AgiConnection()
    connection.receive_data(half)
    assert events(connection)[-1] == NeedData()
    connection.receive_data(b"")
    assert isinstance(connection.next_event(), ProtocolError)


# --- replies -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"200 result=0\n", Result("0")),
        (b"200 result=1\n", Result("1")),
        (b"200 result=0 endpos=24320\n", Result("0", None, {"endpos": "24320"})),
        (b"200 result=51 endpos=6080\n", Result("51", None, {"endpos": "6080"})),
        (b"200 result=-1 endpos=0\n", Result("-1", None, {"endpos": "0"})),
        (b"200 result=1234\n", Result("1234")),
        (b"200 result=12 (timeout)\n", Result("12", "timeout")),
        (b"200 result= (timeout)\n", Result("", "timeout")),
        (b"200 result=1 (fr)\n", Result("1", "fr")),
        (b"200 result=1 (Jean (Paris) Dupont)\n", Result("1", "Jean (Paris) Dupont")),
        (b"200 result=1 (x) endpos=5)\n", Result("1", "x) endpos=5")),
        (b"200 result=1 ()\n", Result("1", "")),
        (b"200 result=35 (dtmf) endpos=135297\n", Result("35", "dtmf", {"endpos": "135297"})),
        (b"200 result=-1 (hangup) endpos=34400\n", Result("-1", "hangup", {"endpos": "34400"})),
        (b"200 result=-1 (writefile)\n", Result("-1", "writefile")),
        (b"200 result=0\r\n", Result("0")),
        (b"510 Invalid or unknown command\n", InvalidCommand("Invalid or unknown command")),
        (
            b"511 Command Not Permitted on a dead channel or intercept routine\n",
            DeadChannel("Command Not Permitted on a dead channel or intercept routine"),
        ),
        (
            b"520 Invalid command syntax.  Proper usage not available.\n",
            UsageError("Invalid command syntax.  Proper usage not available."),
        ),
        (b"503 result=-2 Memory allocation failure\n", ErrorReply(503, "result=-2 Memory allocation failure")),
    ],
)
def test_single_line_replies(line: bytes, expected: Event) -> None:
    connection = ready("NOOP")
    connection.receive_data(line)
    assert connection.next_event() == expected
    assert connection.pending_replies == 0


def test_result_number() -> None:
    assert Result("49").number == 49
    assert Result("-1").number == -1
    assert Result("12#").number is None
    assert Result("").number is None


def test_multi_line_usage_reply_across_reads() -> None:
    connection = ready('STREAM FILE "x"')
    transcript = (
        b"520-Invalid command syntax.  Proper usage follows:\n"
        b" Usage: STREAM FILE <filename> <escape digits> [sample offset]\n"
        b"\tSend the given file, allowing playback to be interrupted by the given\n"
        b"520 End of proper usage.\n"
    )
    connection.receive_data(transcript[:70])
    assert connection.next_event() == NeedData()
    connection.receive_data(transcript[70:])
    event = connection.next_event()
    assert isinstance(event, UsageError)
    assert event.usage.splitlines() == [
        " Usage: STREAM FILE <filename> <escape digits> [sample offset]",
        "\tSend the given file, allowing playback to be interrupted by the given",
    ]
    assert connection.pending_replies == 0


def test_endless_usage_reply_is_bounded() -> None:
    connection = AgiConnection(max_usage_lines=3)
    connection.receive_data(FASTAGI_ENVIRONMENT)
    connection.next_event()
    connection.send_command("RECORD FILE")
    connection.receive_data(b"520-Invalid command syntax.\n" + b"usage\n" * 4)
    assert connection.next_event() == ProtocolError("usage reply longer than 3 lines")


def test_hangup_notice_before_and_after_the_reply_to_a_pending_command() -> None:
    # res_agi sends HANGUP when its loop notices the hangup: before a command it has not read yet, or after
    # the -1 reply of the command that was playing when the caller hung up.
    connection = ready('STREAM FILE "ivr/greeting" ""')
    connection.receive_data(b"HANGUP\n200 result=-1 endpos=1200\n")
    assert events(connection) == [HangupNotice(), Result("-1", None, {"endpos": "1200"}), NeedData()]
    connection.send_command('GET DATA "ivr/menu" 5000 1')
    connection.receive_data(b"200 result=-1\nHANGUP\n")
    assert events(connection) == [Result("-1"), HangupNotice(), NeedData()]


def test_dead_channel_transcript_variables_still_answer() -> None:
    connection = ready('GET VARIABLE "CHANNEL(linkedid)"', 'STREAM FILE "x" ""', 'SET VARIABLE "A" "1"')
    connection.receive_data(
        b"200 result=1 (1763860800.3)\n"
        b"511 Command Not Permitted on a dead channel or intercept routine\n"
        b"200 result=1\n"
    )
    assert events(connection) == [
        Result("1", "1763860800.3"),
        DeadChannel("Command Not Permitted on a dead channel or intercept routine"),
        Result("1"),
        NeedData(),
    ]


@pytest.mark.parametrize(
    "line",
    [b"200 result=0\n", b"hello\n"],
)
def test_reply_without_a_pending_command_is_a_protocol_error(line: bytes) -> None:
    connection = ready()
    connection.receive_data(line)
    assert isinstance(connection.next_event(), ProtocolError)


@pytest.mark.parametrize(
    "line",
    [b"200 ok\n", b"200 result=1 (unterminated\n", b"2000 result=0\n", b"OK\n", b"\xff\xfe\n"],
)
def test_malformed_replies_are_protocol_errors(line: bytes) -> None:
    connection = ready("NOOP")
    connection.receive_data(line)
    event = connection.next_event()
    assert isinstance(event, ProtocolError)
    assert connection.next_event() == event


def test_close_between_replies_and_in_the_middle_of_a_line() -> None:
    connection = ready("NOOP")
    connection.receive_data(b"")
    assert connection.next_event() == ConnectionClosed()
    assert connection.pending_replies == 1  # the adapter reads this as "Asterisk dropped the call"
    cut = ready("NOOP")
    cut.receive_data(b"200 res")
    cut.receive_data(b"")
    assert cut.next_event() == ProtocolError("stream ended in the middle of a line")


def test_parse_result_rejects_other_shapes() -> None:
    assert parse_result("foo=1") is None
    assert parse_result("result=1 (a) b") is None
    assert parse_result("result=1 (speech) endpos=0 results=1") == Result(
        "1", "speech", {"endpos": "0", "results": "1"}
    )


def test_process_mode_connection_starts_with_commands() -> None:
    connection = AgiConnection(environment_read=True)
    assert connection.send_command("ANSWER") == b"ANSWER\n"
    connection.receive_data(b"200 result=0\n")
    assert connection.next_event() == Result("0")


def test_commands_are_refused_before_the_environment() -> None:
    with pytest.raises(AgiStateError):
        AgiConnection().send_command("ANSWER")


# --- command builders ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "line"),
    [
        (commands.answer(), "ANSWER"),
        (commands.stream_file("ivr/greeting"), 'STREAM FILE "ivr/greeting" ""'),
        (commands.stream_file("fr/ivr/x", "123#", sample_offset=800), 'STREAM FILE "fr/ivr/x" "123#" 800'),
        (commands.get_data("ivr/menu", timeout_s=5, max_digits=1), 'GET DATA "ivr/menu" 5000 1'),
        (commands.wait_for_digit(2.5), "WAIT FOR DIGIT 2500"),
        (commands.wait_for_digit(-1), "WAIT FOR DIGIT -1"),
        (commands.say_number(42, "#"), 'SAY NUMBER 42 "#"'),
        (commands.say_number(1, gender="f"), 'SAY NUMBER 1 "" "f"'),
        (commands.say_digits("0612*"), 'SAY DIGITS 0612* ""'),
        (
            commands.record_file("/var/spool/vm/1", "wav", escape_digits="#", max_seconds=120, silence_seconds=5),
            'RECORD FILE "/var/spool/vm/1" wav "#" 120000 BEEP s=5',
        ),
        (
            commands.record_file("/tmp/r", "gsm", escape_digits="", max_seconds=10, beep=False),
            'RECORD FILE "/tmp/r" gsm "" 10000',
        ),
        (commands.set_variable("IVR_ROUTE", "queue"), 'SET VARIABLE "IVR_ROUTE" "queue"'),
        (
            commands.set_variables({"IVR_ROUTE": "queue", "IVR_QUEUE": "q-fr"}),
            'EXEC MSet "IVR_ROUTE=queue,IVR_QUEUE=q-fr"',
        ),
        (commands.get_variable("CHANNEL(linkedid)"), 'GET VARIABLE "CHANNEL(linkedid)"'),
        (commands.get_full_variable("${CALLERID(num)}"), 'GET FULL VARIABLE "${CALLERID(num)}"'),
        (commands.get_full_variable("${X}", "PJSIP/a-1"), 'GET FULL VARIABLE "${X}" "PJSIP/a-1"'),
        (commands.exec_application("Playback", "a&b,noanswer"), 'EXEC Playback "a&b,noanswer"'),
        (commands.verbose('say "hi"\nnow', 9), 'VERBOSE "say \\"hi\\" now" 4'),
        (commands.hangup(), "HANGUP"),
        (commands.hangup("PJSIP/x"), 'HANGUP "PJSIP/x"'),
    ],
)
def test_command_lines(command: str, line: str) -> None:
    assert command == line


@pytest.mark.parametrize(
    "values",
    [{}, {"A": "x,y"}, {"A": "x=y"}, {"A": '"q"'}, {"A": "two words"}, {"A": ""}, {"9A": "x"}, {"A": "x|y"}],
)
def test_mset_refuses_what_its_parser_would_split(values: dict[str, str]) -> None:
    with pytest.raises(commands.AgiArgumentError):
        commands.set_variables({"B": "fine", **values} if values else values)


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("", '""'),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("C:\\path\\", '"C:\\\\path\\\\"'),
        ("tab\there", '"tab\there"'),
    ],
)
def test_quote_survives_asterisk_unquoting(value: str, quoted: str) -> None:
    assert commands.quote(value) == quoted
    assert asterisk_parse_args(f"SET VARIABLE X {quoted}") == ["SET", "VARIABLE", "X", value]


@given(st.text(alphabet=st.characters(blacklist_characters="\r\n\x00"), max_size=200))
def test_any_value_round_trips_through_asterisk_parse_args(value: str) -> None:
    line = commands.set_variable("NAME WITH SPACE", value)
    assert asterisk_parse_args(line) == ["SET", "VARIABLE", "NAME WITH SPACE", value]


@pytest.mark.parametrize("value", ["a\nHANGUP", "a\rb", "nul\x00"])
def test_newlines_cannot_inject_a_second_command(value: str) -> None:
    with pytest.raises(AgiArgumentError):
        commands.set_variable("X", value)
    with pytest.raises(AgiArgumentError):
        commands.encode_command(f"VERBOSE {value}")


def test_too_long_or_empty_command_lines_are_refused() -> None:
    assert commands.encode_command("x" * 2047) == b"x" * 2047 + b"\n"
    with pytest.raises(AgiArgumentError):
        commands.encode_command("x" * 2048)
    with pytest.raises(AgiArgumentError):
        commands.encode_command("")
    assert len(commands.verbose("v" * 5000).encode()) < 2047  # a long log line is cut, not refused


@pytest.mark.parametrize(
    "build",
    [
        lambda: commands.stream_file("x", "12x"),
        lambda: commands.get_data("x", timeout_s=1, max_digits=0),
        lambda: commands.say_digits("*12"),
        lambda: commands.say_digits(""),
        lambda: commands.say_digits("12a"),
        lambda: commands.record_file("x", "wav;rm", escape_digits="#", max_seconds=1),
        lambda: commands.exec_application("Play back", ""),
    ],
)
def test_invalid_arguments_are_refused(build: object) -> None:
    assert callable(build)
    with pytest.raises(AgiArgumentError):
        build()

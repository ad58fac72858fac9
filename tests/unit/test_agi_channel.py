"""AgiChannel: the Channel protocol over AGI replies, fed byte transcripts through the real AgiConnection."""

from __future__ import annotations

import pytest

from ivr import registry
from ivr.adapters import agi_demo
from ivr.adapters.agi_channel import AgiChannel
from ivr.adapters.agi_session import Exchange, call_info, run_flow
from ivr.agi import AgiConnection, Environment, HangupNotice, NeedData, Reply
from ivr.agi.operations import MEDIA_SLACK_S
from ivr.channel import CallInfo, Channel, ChannelError, ChannelHungUp, RecordOutcome, RecordStatus
from ivr.settings import Settings


class TranscriptExecutor:
    """Answers each command with the next chunk of bytes, parsed by a real AgiConnection."""

    def __init__(self, *replies: bytes) -> None:
        self.connection = AgiConnection(environment_read=True)
        self.replies = list(replies)
        self.sent: list[str] = []
        self.timeouts: list[float] = []

    async def __call__(self, command: str, timeout_s: float) -> Exchange:
        self.sent.append(command)
        self.timeouts.append(timeout_s)
        self.connection.send_command(command)
        self.connection.receive_data(self.replies.pop(0))
        hung_up = False
        for _ in range(10):
            event = self.connection.next_event()
            if isinstance(event, HangupNotice):
                hung_up = True
                continue
            assert not isinstance(event, NeedData), "the transcript has no reply for " + command
            assert isinstance(event, Reply), event
            return Exchange(event, hung_up)
        raise AssertionError("no reply")


def channel_with(*replies: bytes) -> tuple[AgiChannel, TranscriptExecutor]:
    executor = TranscriptExecutor(*replies)
    return AgiChannel(executor, CallInfo(script="test")), executor


async def test_answer_and_play_to_the_end() -> None:
    channel, executor = channel_with(b"200 result=0\n", b"200 result=0 endpos=24320\n")
    await channel.answer()
    assert await channel.play("ivr/greeting") == ""
    assert executor.sent == ["ANSWER", 'STREAM FILE "ivr/greeting" ""']


async def test_play_returns_the_escape_digit_from_its_ascii_code() -> None:
    channel, executor = channel_with(b"200 result=51 endpos=6080\n", b"200 result=35 endpos=100\n")
    assert await channel.play("ivr/menu", escape_digits="123") == "3"
    assert await channel.play("ivr/menu", escape_digits="#") == "#"
    assert executor.sent[0] == 'STREAM FILE "ivr/menu" "123"'


@pytest.mark.parametrize(
    ("reply", "digits"),
    [
        (b"200 result=123\n", "123"),
        (b"200 result=12 (timeout)\n", "12"),
        (b"200 result= (timeout)\n", ""),
        (b"200 result=12345678\n", "1234"),
        (b"200 result=1*#9\n", "1*#9"),
    ],
)
async def test_ask_digits(reply: bytes, digits: str) -> None:
    channel, executor = channel_with(reply)
    assert await channel.ask_digits("ivr/ref", max_digits=4, timeout_s=5) == digits
    assert executor.sent == ['GET DATA "ivr/ref" 5000 4']
    assert executor.timeouts[0] >= 5 + MEDIA_SLACK_S


async def test_wait_digit_and_say() -> None:
    channel, executor = channel_with(
        b"200 result=0\n", b"200 result=50\n", b"200 result=0\n", b"200 result=42\n"
    )
    assert await channel.wait_digit(3) == ""
    assert await channel.wait_digit(3) == "2"
    assert await channel.say_number(12) == ""
    assert await channel.say_digits("0612", escape_digits="*") == "*"
    assert executor.sent == ["WAIT FOR DIGIT 3000", "WAIT FOR DIGIT 3000", 'SAY NUMBER 12 ""', 'SAY DIGITS 0612 "*"']


async def test_caller_hangs_up_mid_prompt_then_media_stops_but_variables_work() -> None:
    # Asterisk: the STREAM FILE reply is -1, then HANGUP; the CHANNEL STATUS probe gets 511.
    channel, executor = channel_with(
        b"200 result=-1 endpos=1200\nHANGUP\n",
        b"511 Command Not Permitted on a dead channel or intercept routine\n",
        b"200 result=1\n",
        b"200 result=1 (1763860800.3)\n",
    )
    with pytest.raises(ChannelHungUp):
        await channel.play("ivr/greeting")
    with pytest.raises(ChannelHungUp):
        await channel.ask_digits("ivr/menu", max_digits=1, timeout_s=5)
    with pytest.raises(ChannelHungUp):
        await channel.record("/tmp/x", max_seconds=5)
    await channel.set_variable("IVR_STAGE", "greeting")
    assert await channel.get_variable("CHANNEL(linkedid)") == "1763860800.3"
    assert executor.sent == [
        'STREAM FILE "ivr/greeting" ""',
        "CHANNEL STATUS",
        'SET VARIABLE "IVR_STAGE" "greeting"',
        'GET VARIABLE "CHANNEL(linkedid)"',
    ]


async def test_hangup_notice_before_a_successful_reply_stops_the_next_media_command() -> None:
    channel, executor = channel_with(b"HANGUP\n200 result=49 endpos=10\n", b"200 result=1\n")
    assert await channel.play("ivr/menu", escape_digits="1") == "1"
    assert channel.hung_up
    with pytest.raises(ChannelHungUp):
        await channel.wait_digit(1)
    await channel.verbose("still logging")
    assert len(executor.sent) == 2


async def test_dead_channel_reply_is_a_hangup() -> None:
    channel, _ = channel_with(b"511 Command Not Permitted on a dead channel or intercept routine\n")
    with pytest.raises(ChannelHungUp):
        await channel.answer()
    assert channel.hung_up


async def test_invalid_and_usage_replies_are_channel_errors() -> None:
    channel, _ = channel_with(
        b"510 Invalid or unknown command\n",
        b"520-Invalid command syntax.  Proper usage follows:\n Usage: SAY DIGITS <number> <escape digits>\n"
        b"520 End of proper usage.\n",
        b"503 result=-2 Memory allocation failure\n",
    )
    with pytest.raises(ChannelError, match="Invalid or unknown"):
        await channel.answer()
    with pytest.raises(ChannelError, match="Usage: SAY DIGITS"):
        await channel.say_digits("12")
    with pytest.raises(ChannelError, match="503"):
        await channel.verbose("x")
    assert not channel.hung_up


async def test_arguments_that_cannot_travel_are_channel_errors_and_nothing_is_sent() -> None:
    channel, executor = channel_with()
    with pytest.raises(ChannelError):
        await channel.set_variable("X", "two\nlines")
    with pytest.raises(ChannelError):
        await channel.set_variable("X", "v" * 3000)
    with pytest.raises(ChannelError):
        await channel.set_language("fr;rm")
    assert executor.sent == ["SET VARIABLE \"X\" \"" + "v" * 3000 + "\""]  # refused by the encoder


async def test_get_and_set_variables_and_language() -> None:
    channel, executor = channel_with(
        b"200 result=1 (Jean (Paris) Dupont)\n", b"200 result=0\n", b"200 result=1\n", b"200 result=1 ()\n"
    )
    assert await channel.get_variable("CALLERID(name)") == "Jean (Paris) Dupont"
    assert await channel.get_variable("UNSET") is None
    await channel.set_language("fr")
    assert await channel.get_variable("EMPTY") == ""
    assert executor.sent[2] == 'SET VARIABLE "CHANNEL(language)" "fr"'


@pytest.mark.parametrize(
    ("reply", "silence", "outcome"),
    [
        (b"200 result=35 (dtmf) endpos=135297\n", 0, RecordOutcome(RecordStatus.DTMF, "#")),
        (b"200 result=0 (timeout) endpos=960000\n", 0, RecordOutcome(RecordStatus.TIMEOUT)),
        (b"200 result=12 (timeout) endpos=960000\n", 3, RecordOutcome(RecordStatus.TIMEOUT)),
        (b"200 result=12 (timeout) endpos=40000\n", 3, RecordOutcome(RecordStatus.SILENCE)),
        (b"200 result=-1 (hangup) endpos=34400\n", 0, RecordOutcome(RecordStatus.HANGUP)),
        (b"200 result=-1 (waitfor) endpos=2111\n", 0, RecordOutcome(RecordStatus.HANGUP)),
        (b"200 result=-1 (randomerror) endpos=0\n", 0, RecordOutcome(RecordStatus.HANGUP)),
        (b"200 result=35 (randomerror) endpos=0\n", 0, RecordOutcome(RecordStatus.DTMF, "#")),
    ],
)
async def test_record_outcomes(reply: bytes, silence: int, outcome: RecordOutcome) -> None:
    channel, executor = channel_with(reply)
    got = await channel.record("/var/spool/asterisk/voicemail/x", max_seconds=120, silence_seconds=silence)
    assert got == outcome
    assert channel.hung_up == (outcome.status is RecordStatus.HANGUP)
    assert executor.sent[0].startswith('RECORD FILE "/var/spool/asterisk/voicemail/x" wav "#" 120000 BEEP')
    assert executor.timeouts[0] >= 120


@pytest.mark.parametrize("reply", [b"200 result=-1 (writefile)\n", b"200 result=-1\n"])
async def test_record_failures_are_channel_errors(reply: bytes) -> None:
    channel, _ = channel_with(reply)
    with pytest.raises(ChannelError, match="RECORD FILE"):
        await channel.record("/nonexistent/x", max_seconds=5, file_format="gsm")


async def test_hangup_marks_the_channel_and_is_harmless_on_a_dead_one() -> None:
    channel, executor = channel_with(b"200 result=1\n")
    await channel.hangup()
    assert channel.hung_up
    with pytest.raises(ChannelHungUp):
        await channel.play("x")
    await channel.hangup()
    assert executor.sent == ["HANGUP"]
    raced, _ = channel_with(b"511 Command Not Permitted on a dead channel or intercept routine\n")
    await raced.hangup()  # the caller hung up first: nothing to do
    assert raced.hung_up


def test_call_info_from_a_fastagi_environment() -> None:
    info = call_info(
        Environment(
            {
                "agi_network_script": "inbound",
                "agi_callerid": "unknown",
                "agi_calleridname": "UNKNOWN",
                "agi_dnid": "0800123456",
                "agi_uniqueid": "1763860800.3",
                "agi_channel": "PJSIP/sipp-00000003",
                "agi_context": "ivr-inbound",
                "agi_extension": "s",
                "agi_arg_1": "fr",
            }
        )
    )
    assert (info.script, info.caller_number, info.caller_name, info.dialed_number) == ("inbound", "", "", "0800123456")
    assert (info.unique_id, info.linked_id, info.language, info.arguments) == ("1763860800.3", "", "en", ("fr",))
    assert info.raw["agi_context"] == "ivr-inbound"


async def test_run_flow_reports_how_each_flow_ended(caplog: pytest.LogCaptureFixture) -> None:
    async def completes(channel: Channel, context: object) -> None:
        await channel.answer()

    async def value_error(channel: Channel, context: object) -> None:
        raise ValueError("bug in a flow")

    assert await run_flow(completes, channel_with(b"200 result=0\n")[0], None) == "completed"
    assert await run_flow(completes, channel_with(b"200 result=-1\n")[0], None) == "hung_up"
    assert await run_flow(completes, channel_with(b"510 Invalid or unknown command\n")[0], None) == "channel_error"
    assert await run_flow(value_error, channel_with()[0], None) == "crashed"
    assert "bug in a flow" in caplog.text


def test_the_registry_is_chosen_explicitly() -> None:
    import ivr.wiring

    assert registry.chosen(demo=True) is agi_demo.REGISTRY
    assert registry.chosen(demo=False) is ivr.wiring.REGISTRY
    demo = registry.chosen(demo=True)
    assert set(demo.flows) == {"echo", "hangup_handler", "crash"}
    assert demo.build_context(None, Settings()).clock().tzinfo is not None


async def test_a_missing_sound_is_skipped_not_taken_for_a_hangup() -> None:
    # res_agi answers STREAM FILE of a missing file with result=-1 endpos=0; CHANNEL STATUS says the call lives.
    channel, executor = channel_with(b"200 result=-1 endpos=0\n", b"200 result=6\n", b"200 result=0 endpos=800\n")
    assert await channel.play("ivr/not_there") == ""
    assert not channel.hung_up
    assert await channel.play("ivr/greeting") == ""
    assert executor.sent == ['STREAM FILE "ivr/not_there" ""', "CHANNEL STATUS", 'STREAM FILE "ivr/greeting" ""']


async def test_a_hangup_whose_notice_comes_late_is_still_a_hangup() -> None:
    channel, executor = channel_with(
        b"200 result=-1 endpos=1200\n",
        b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n",
    )
    with pytest.raises(ChannelHungUp):
        await channel.play("ivr/greeting")
    assert channel.hung_up
    assert executor.sent == ['STREAM FILE "ivr/greeting" ""', "CHANNEL STATUS"]


# --- menu: one Read of an '&' list, so no key falls between two commands ---------------------------------------


async def test_menu_is_one_read_of_every_part_then_the_key() -> None:
    channel, executor = channel_with(b"200 result=0\n", b"200 result=1 (OK,3)\n")
    key = await channel.menu(["fr/ivr/greeting", "fr/ivr/language_change_hint"], timeout_s=2)
    assert key == "3"
    assert executor.sent == [
        'EXEC Read "IVR_MENU_KEY,fr/ivr/greeting&fr/ivr/language_change_hint,1,t,1,2.00"',
        'GET FULL VARIABLE "${READSTATUS},${IVR_MENU_KEY}"',
    ]
    assert executor.timeouts[0] == 2 + 2 * MEDIA_SLACK_S


async def test_menu_silence_is_an_empty_key() -> None:
    channel, _ = channel_with(b"200 result=0\n", b"200 result=1 (TIMEOUT,)\n")
    assert await channel.menu(["ivr/request_type_menu"], timeout_s=3) == ""


async def test_menu_hangup_is_read_from_readstatus_since_read_returns_0() -> None:
    channel, executor = channel_with(b"200 result=0\n", b"200 result=1 (HANGUP,)\n")
    with pytest.raises(ChannelHungUp):
        await channel.menu(["ivr/request_type_menu"], timeout_s=3)
    with pytest.raises(ChannelHungUp):
        await channel.play("ivr/goodbye")
    assert len(executor.sent) == 2


async def test_menu_hangup_notice_while_reading_the_key_wins_over_the_key() -> None:
    channel, executor = channel_with(b"200 result=0\n", b"HANGUP\n200 result=1 (OK,3)\n")
    with pytest.raises(ChannelHungUp, match="during a menu"):
        await channel.menu(["ivr/request_type_menu"], timeout_s=3)
    assert channel.hung_up and len(executor.sent) == 2


async def test_menu_hangup_during_read() -> None:
    channel, executor = channel_with(b"200 result=-1\n")
    with pytest.raises(ChannelHungUp):
        await channel.menu(["ivr/request_type_menu"], timeout_s=3)
    with pytest.raises(ChannelHungUp):
        await channel.menu(["ivr/request_type_menu"], timeout_s=3)
    assert len(executor.sent) == 1


@pytest.mark.parametrize("name", ["ivr/a,b", "ivr/a&b", "ivr/a b", 'ivr/"x', "", "ivr/a|b"])
async def test_menu_refuses_names_that_would_break_reads_arguments(name: str) -> None:
    channel, executor = channel_with()
    with pytest.raises(ChannelError):
        await channel.menu([name], timeout_s=3)
    assert executor.sent == []


async def test_menu_refused_by_asterisk_is_a_channel_error() -> None:
    channel, _ = channel_with(b"200 result=-2\n")
    with pytest.raises(ChannelError):
        await channel.menu(["ivr/request_type_menu"], timeout_s=3)


async def test_menu_keeps_only_a_dtmf_key() -> None:
    channel, _ = channel_with(b"200 result=0\n", b"200 result=1 (OK,x#)\n")
    assert await channel.menu(["ivr/request_type_menu"], timeout_s=3) == "#"


async def test_set_variables_sends_plain_pairs_in_one_mset_and_the_others_one_by_one() -> None:
    channel, executor = channel_with(b"200 result=1\n", b"200 result=0\n", b"200 result=1\n")
    await channel.set_variables({"IVR_STAGE": "transfer", "IVR_NOTE": "a, b", "IVR_ROUTE": "queue"})
    await channel.set_variables({"IVR_LANG": "fr"})  # one pair: SET VARIABLE, no EXEC needed
    await channel.set_variables({})
    assert executor.sent == [
        'SET VARIABLE "IVR_NOTE" "a, b"',
        'EXEC MSet "IVR_STAGE=transfer,IVR_ROUTE=queue"',
        'SET VARIABLE "IVR_LANG" "fr"',
    ]

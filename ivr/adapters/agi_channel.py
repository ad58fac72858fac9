"""`Channel` over AGI, shared by the FastAGI server and process AGI, plus the flow registry both serve.

Rules:
- It talks to Asterisk only through an `Executor`: send one command line, get its reply and whether a HANGUP
  notice arrived meanwhile. The adapters own bytes, timeouts and the sans-I/O `AgiConnection`.
- Once the call is known to be hung up (a HANGUP notice or SIGHUP, result=-1 on a media command, a 511
  reply), media commands raise `ChannelHungUp` without reaching Asterisk. GET/SET VARIABLE, VERBOSE and HANGUP
  still go out: res_agi allows them on a dead channel, which is how call_end works from a hangup handler.
- 510 and 520 (and any other error code) raise `ChannelError` with Asterisk's text; so does an argument that
  cannot travel in one AGI line.
- Asterisk answers STREAM FILE on a missing sound file with result=-1 too, the same as a hangup (res_agi.c,
  handle_streamfile). So after a -1 from STREAM FILE the channel asks CHANNEL STATUS (not allowed on a dead
  channel: 511): a live channel means the prompt was missing, which is logged and skipped, never a lost call.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from ivr.agi import commands
from ivr.agi.commands import AgiArgumentError
from ivr.agi.events import DeadChannel, Environment, Reply, Result, UsageError
from ivr.channel import CallInfo, Channel, ChannelError, ChannelHungUp, RecordOutcome, RecordStatus
from ivr.settings import Settings

logger = logging.getLogger(__name__)

CONTROL_TIMEOUT_S = 30.0  # a variable read or write: Asterisk answers at once unless it is stuck
MEDIA_SLACK_S = 300.0  # added to what a media command may legitimately take (prompt length is unknown)
FLOWS_MODULE_ENV = "IVR_FLOWS_MODULE"  # module providing FLOWS and build_context; default ivr.flows
MENU_VARIABLE = "IVR_MENU_KEY"  # where Read leaves the key of the last menu
# Sound names travel inside Read's argument list: no ',' '&' '|' quotes or spaces (ours never have them).
_SOUND_NAME = re.compile(r"^[A-Za-z0-9_./-]{1,200}$")
_LANGUAGE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# RECORD FILE's endpos is in samples; formats whose rate is known let us tell silence from the time limit.
_SAMPLE_RATES = {"wav": 8000, "gsm": 8000, "ulaw": 8000, "alaw": 8000, "sln": 8000, "wav16": 16000}

Flow = Callable[[Channel, Any], Awaitable[None]]


@dataclass(frozen=True)
class Exchange:
    reply: Reply
    hung_up: bool = False  # a HANGUP notice (or SIGHUP) arrived while waiting for this reply


class Executor(Protocol):
    async def __call__(self, command: str, timeout_s: float) -> Exchange:
        """Send one command line; return its reply. Raise ChannelHungUp if the peer is gone, ChannelError on a
        timeout or a protocol error."""
        ...


def call_info(environment: Environment) -> CallInfo:
    """What a flow may know from the AGI environment. Asterisk writes "unknown" for absent caller ID / DNID;
    linkedid is not in the environment (read CHANNEL(linkedid))."""

    def known(key: str) -> str:
        value = environment.get(key)
        return "" if value.lower() == "unknown" else value

    return CallInfo(
        script=environment.script,
        caller_number=known("agi_callerid"),
        caller_name=known("agi_calleridname"),
        dialed_number=known("agi_dnid"),
        unique_id=environment.get("agi_uniqueid"),
        channel_name=environment.get("agi_channel"),
        language=environment.get("agi_language") or "en",
        context=environment.get("agi_context"),
        extension=environment.get("agi_extension"),
        arguments=environment.arguments,
        raw=dict(environment.variables),
    )


class AgiChannel:
    def __init__(
        self,
        execute: Executor,
        info: CallInfo,
        *,
        control_timeout_s: float = CONTROL_TIMEOUT_S,
        media_slack_s: float = MEDIA_SLACK_S,
    ) -> None:
        self._execute = execute
        self._info = info
        self._control_timeout_s = control_timeout_s
        self._media_slack_s = media_slack_s
        self.hung_up = False

    @property
    def info(self) -> CallInfo:
        return self._info

    async def _send(self, build: Callable[[], str], timeout_s: float) -> Result:
        try:
            command = build()
            exchange = await self._execute(command, timeout_s)
        except AgiArgumentError as error:
            raise ChannelError(str(error)) from error
        if exchange.hung_up:
            self.hung_up = True
        reply = exchange.reply
        if isinstance(reply, DeadChannel):
            self.hung_up = True
            raise ChannelHungUp(f"{command.split(' ', 2)[:2]}: {reply.text}")
        if isinstance(reply, UsageError):
            raise ChannelError(f"{command[:80]}: Asterisk usage: {reply.usage}")
        if not isinstance(reply, Result):
            raise ChannelError(f"{command[:80]}: {reply}")
        return reply

    async def _media(self, build: Callable[[], str], timeout_s: float) -> Result:
        """A command that needs a live channel: -1 means the caller hung up (res_agi usage texts)."""
        if self.hung_up:
            raise ChannelHungUp("the caller hung up")
        result = await self._send(build, timeout_s)
        if result.number == -1:
            self.hung_up = True
            raise ChannelHungUp("the caller hung up")
        return result

    async def _digit_result(self, build: Callable[[], str], timeout_s: float) -> str:
        """STREAM FILE, WAIT FOR DIGIT, SAY *: result is the ASCII code of the digit pressed, 0 for none."""
        code = (await self._media(build, timeout_s)).number
        return chr(code) if code is not None and 0 < code < 128 else ""

    async def answer(self) -> None:
        await self._media(commands.answer, self._control_timeout_s)

    async def play(self, sound: str, *, escape_digits: str = "") -> str:
        if self.hung_up:
            raise ChannelHungUp("the caller hung up")
        result = await self._send(partial(commands.stream_file, sound, escape_digits), self._media_slack_s)
        code = result.number
        if code == -1:
            if not self.hung_up and await self._still_up():
                logger.warning("sound %r is missing on the Asterisk host: skipped", sound)
                return ""
            self.hung_up = True
            raise ChannelHungUp("the caller hung up")
        return chr(code) if code is not None and 0 < code < 128 else ""

    async def _still_up(self) -> bool:
        """Tell a missing sound file from a hangup, both being result=-1 to STREAM FILE."""
        try:
            status = await self._send(commands.channel_status, self._control_timeout_s)
        except (ChannelHungUp, ChannelError):
            return False
        return not self.hung_up and status.number is not None and status.number >= 0

    async def menu(self, sounds: Sequence[str], *, timeout_s: float) -> str:
        # One EXEC Read per menu, never one STREAM FILE per part: res_agi reads and drops the channel's frames,
        # DTMF included, while it waits for our next command (res_agi.c, run_agi), so keys pressed between two
        # commands are lost. Read plays an '&' list through ast_app_getdata_terminator (main/app.c): each file
        # is interrupted by any key, and the 50 ms between files is spent reading keys, not dropping them. The
        # AGI command GET DATA plays a single file (ast_app_getdata_full), hence Read through EXEC. Option `t`
        # with no argument: no terminator, so '#' is a key like the others (an invalid choice, not silence).
        if self.hung_up:
            raise ChannelHungUp("the caller hung up")
        bad = [name for name in sounds if not _SOUND_NAME.match(name)]
        if bad or not sounds:
            raise ChannelError(f"not a menu of sound names: {bad[:1] or 'empty'}")
        playlist = "&".join(sounds)
        options = f"{MENU_VARIABLE},{playlist},1,t,1,{max(timeout_s, 0.05):.2f}"
        result = await self._send(
            partial(commands.exec_application, "Read", options), timeout_s + self._media_slack_s * len(sounds)
        )
        if result.number == -1:
            self.hung_up = True
            raise ChannelHungUp("the caller hung up")
        if result.number is None or result.number < 0:
            raise ChannelError(f"Read refused the menu: result={result.result}")
        # Read returns 0 even when the caller hung up (app_read.c): READSTATUS says HANGUP. One round trip reads
        # both; GET FULL VARIABLE works on a dead channel.
        outcome = await self._send(
            partial(commands.get_full_variable, f"${{READSTATUS}},${{{MENU_VARIABLE}}}"), self._control_timeout_s
        )
        status, _, key = (outcome.data or "").partition(",")
        if status == "HANGUP" or self.hung_up:
            self.hung_up = True
            raise ChannelHungUp("the caller hung up during a menu")
        return next((ch for ch in key if ch in commands.DTMF_DIGITS), "")

    async def ask_digits(self, sound: str, *, max_digits: int, timeout_s: float) -> str:
        # "200 result=<digits>", or "200 result=<digits so far> (timeout)" when the caller stopped typing.
        result = await self._media(
            partial(commands.get_data, sound, timeout_s=timeout_s, max_digits=max_digits),
            timeout_s * max(max_digits, 1) + self._media_slack_s,
        )
        return "".join(ch for ch in result.result if ch in commands.DTMF_DIGITS)[:max_digits]

    async def wait_digit(self, timeout_s: float) -> str:
        build = partial(commands.wait_for_digit, timeout_s)
        return await self._digit_result(build, timeout_s + self._media_slack_s)

    async def say_number(self, number: int, *, escape_digits: str = "") -> str:
        return await self._digit_result(partial(commands.say_number, number, escape_digits), self._media_slack_s)

    async def say_digits(self, digits: str, *, escape_digits: str = "") -> str:
        return await self._digit_result(partial(commands.say_digits, digits, escape_digits), self._media_slack_s)

    async def record(
        self,
        path: str,
        *,
        file_format: str = "wav",
        escape_digits: str = "#",
        max_seconds: int,
        silence_seconds: int = 0,
        beep: bool = True,
    ) -> RecordOutcome:
        if self.hung_up:
            raise ChannelHungUp("the caller hung up")

        build = partial(
            commands.record_file,
            path,
            file_format,
            escape_digits=escape_digits,
            max_seconds=max_seconds,
            beep=beep,
            silence_seconds=silence_seconds,
        )
        result = await self._send(build, max_seconds + self._media_slack_s)
        code = result.number
        # Replies (res_agi.c, handle_recordfile): "<digit> (dtmf)", "<n> (timeout)" (also when silence ended
        # it), "-1 (hangup)", "-1 (waitfor)", "<digit or -1> (randomerror)" while beeping, "-1 (writefile)".
        if result.data == "dtmf" and code is not None and 0 < code < 128:
            return RecordOutcome(RecordStatus.DTMF, chr(code))
        if result.data == "timeout":
            return RecordOutcome(self._timeout_or_silence(result, file_format, max_seconds, silence_seconds))
        if result.data in {"hangup", "waitfor"} or (result.data == "randomerror" and code == -1):
            self.hung_up = True
            return RecordOutcome(RecordStatus.HANGUP)
        if result.data == "randomerror" and code is not None and 0 < code < 128:
            return RecordOutcome(RecordStatus.DTMF, chr(code))  # a digit during the beep: nothing recorded
        raise ChannelError(f"RECORD FILE {path!r} failed: result={result.result} ({result.data})")

    @staticmethod
    def _timeout_or_silence(result: Result, file_format: str, max_seconds: int, silence_seconds: int) -> RecordStatus:
        rate = _SAMPLE_RATES.get(file_format)
        end = result.fields.get("endpos", "")
        if silence_seconds > 0 and rate is not None and end.isdigit() and int(end) < (max_seconds - 1) * rate:
            return RecordStatus.SILENCE
        return RecordStatus.TIMEOUT

    async def set_variable(self, name: str, value: str) -> None:
        await self._send(partial(commands.set_variable, name, value), self._control_timeout_s)

    async def get_variable(self, name: str) -> str | None:
        result = await self._send(partial(commands.get_variable, name), self._control_timeout_s)
        # "200 result=1 (value)" when set, "200 result=0" when not.
        return result.data if result.number == 1 and result.data is not None else None

    async def set_language(self, language: str) -> None:
        if not _LANGUAGE.match(language):
            raise ChannelError(f"not a language code: {language!r}")
        await self.set_variable("CHANNEL(language)", language)

    async def verbose(self, message: str, level: int = 1) -> None:
        await self._send(partial(commands.verbose, message, level), self._control_timeout_s)

    async def hangup(self) -> None:
        """Hang up; a no-op on a call that is already over (res_agi refuses HANGUP there with 511)."""
        if self.hung_up:
            return
        with contextlib.suppress(ChannelHungUp):
            await self._send(commands.hangup, self._control_timeout_s)
        self.hung_up = True


@dataclass(frozen=True)
class FlowRegistry:
    flows: Mapping[str, Flow]
    build_context: Callable[[datetime | None, Settings], Any]


def load_registry(module_name: str | None = None) -> FlowRegistry:
    """The flows to serve: `FLOWS` and `build_context` from ivr.flows, or from the module named in
    $IVR_FLOWS_MODULE (ivr.adapters.agi_demo smoke-tests the adapters without the real flows)."""
    module = importlib.import_module(module_name or os.environ.get(FLOWS_MODULE_ENV) or "ivr.flows")
    return FlowRegistry(flows=module.FLOWS, build_context=module.build_context)


async def run_flow(flow: Flow, channel: AgiChannel, context: Any) -> str:
    """Run one call's flow to its end; never raises. Returns how it ended, for the log and the tests."""
    name = channel.info.script
    try:
        await flow(channel, context)
    except ChannelHungUp:
        logger.info("flow %s: caller hung up (%s)", name, channel.info.unique_id)
        return "hung_up"
    except ChannelError as error:
        logger.warning("flow %s: channel error (%s): %s", name, channel.info.unique_id, error)
        return "channel_error"
    except Exception:
        logger.exception("flow %s crashed (%s)", name, channel.info.unique_id)
        return "crashed"
    return "completed"

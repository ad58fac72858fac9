"""`Channel` over AGI, shared by the FastAGI server and process AGI: build a command, send it, map the reply.

Rules:
- It talks to Asterisk only through an `Executor` (ivr/adapters/agi_session.py); what a reply means is decided
  by the sans-I/O core (ivr/agi/results.py).
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
import logging
import re
from collections.abc import Callable, Sequence
from functools import partial

from callcenter.logs import bind
from ivr.adapters.agi_session import Exchange, Executor, call_info, run_flow
from ivr.agi import commands, results
from ivr.agi.commands import AgiArgumentError
from ivr.agi.events import DeadChannel, Result, UsageError
from ivr.agi.results import RecordEnd
from ivr.channel import CallInfo, ChannelError, ChannelHungUp, RecordOutcome, RecordStatus
from ivr.variables import LINKEDID

__all__ = ["CONTROL_TIMEOUT_S", "MEDIA_SLACK_S", "AgiChannel", "Exchange", "Executor", "call_info", "run_flow"]

logger = logging.getLogger(__name__)

CONTROL_TIMEOUT_S = 30.0  # a variable read or write: Asterisk answers at once unless it is stuck
MEDIA_SLACK_S = 300.0  # added to what a media command may legitimately take (prompt length is unknown)
MENU_VARIABLE = "IVR_MENU_KEY"  # where Read leaves the key of the last menu
_LANGUAGE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


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
        if results.is_hangup(result):
            self.hung_up = True
            raise ChannelHungUp("the caller hung up")
        return result

    async def _digit_result(self, build: Callable[[], str], timeout_s: float) -> str:
        return results.digit_pressed(await self._media(build, timeout_s))

    async def answer(self) -> None:
        await self._media(commands.answer, self._control_timeout_s)

    async def play(self, sound: str, *, escape_digits: str = "") -> str:
        if self.hung_up:
            raise ChannelHungUp("the caller hung up")
        result = await self._send(partial(commands.stream_file, sound, escape_digits), self._media_slack_s)
        if results.is_hangup(result):
            if not self.hung_up and await self._still_up():
                logger.warning("sound %r is missing on the Asterisk host: skipped", sound)
                return ""
            self.hung_up = True
            raise ChannelHungUp("the caller hung up")
        return results.digit_pressed(result)

    async def _still_up(self) -> bool:
        """Tell a missing sound file from a hangup, both being result=-1 to STREAM FILE."""
        try:
            status = await self._send(commands.channel_status, self._control_timeout_s)
        except (ChannelHungUp, ChannelError):
            return False
        return not self.hung_up and results.channel_alive(status)

    async def menu(self, sounds: Sequence[str], *, timeout_s: float) -> str:
        # One EXEC Read per menu, never one STREAM FILE per part: why in commands.read_menu.
        if self.hung_up:
            raise ChannelHungUp("the caller hung up")
        build = partial(commands.read_menu, MENU_VARIABLE, tuple(sounds), timeout_s=timeout_s)
        result = await self._send(build, timeout_s + self._media_slack_s * len(sounds))
        if results.is_hangup(result):
            self.hung_up = True
            raise ChannelHungUp("the caller hung up")
        if result.number is None or result.number < 0:
            raise ChannelError(f"Read refused the menu: result={result.result}")
        # One round trip reads READSTATUS and the key; GET FULL VARIABLE works on a dead channel.
        status = await self._send(partial(commands.menu_status, MENU_VARIABLE), self._control_timeout_s)
        outcome = results.menu_key(status)
        if outcome.hung_up or self.hung_up:
            self.hung_up = True
            raise ChannelHungUp("the caller hung up during a menu")
        return outcome.key

    async def ask_digits(self, sound: str, *, max_digits: int, timeout_s: float) -> str:
        # "200 result=<digits>", or "200 result=<digits so far> (timeout)" when the caller stopped typing.
        result = await self._media(
            partial(commands.get_data, sound, timeout_s=timeout_s, max_digits=max_digits),
            timeout_s * max(max_digits, 1) + self._media_slack_s,
        )
        return results.digits_entered(result, max_digits)

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
        outcome = results.record_result(
            result, file_format=file_format, max_seconds=max_seconds, silence_seconds=silence_seconds
        )
        if outcome.end is RecordEnd.FAILED:
            raise ChannelError(f"RECORD FILE {path!r} failed: result={result.result} ({result.data})")
        if outcome.end is RecordEnd.HANGUP:
            self.hung_up = True
        return RecordOutcome(RecordStatus(outcome.end.value), outcome.digit)  # the same four names

    async def set_variable(self, name: str, value: str) -> None:
        await self._send(partial(commands.set_variable, name, value), self._control_timeout_s)

    async def get_variable(self, name: str) -> str | None:
        result = await self._send(partial(commands.get_variable, name), self._control_timeout_s)
        value = results.variable_value(result)
        if name == LINKEDID and value:
            bind(linkedid=value)  # from here on, this call's log lines carry it (ivr/observability.py)
        return value

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

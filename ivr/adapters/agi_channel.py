"""`Channel` over AGI, shared by the FastAGI server and process AGI: each method mapped onto an operation of the
sans-I/O core (ivr/agi/operations.py), sent through an `Executor` (ivr/adapters/agi_session.py).

Rules:
- What to send, how long to wait and what a reply means are the core's. This class keeps whether the call is
  over and turns the core's `HungUp` into `ChannelHungUp`, `Refused` (or an argument that cannot travel) into
  `ChannelError`. Once the call is over, live operations raise without reaching Asterisk; the others still go
  out (res_agi allows them on a dead channel: call_end).
- STREAM FILE's result=-1 is a hangup or a missing sound (res_agi.c, handle_streamfile): `play` then asks CHANNEL
  STATUS (511 on a dead channel); a live channel means a missing prompt, logged and skipped, never a lost call.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import TypeVar

from callcenter.logs import bind
from ivr.adapters.agi_session import Executor
from ivr.agi import operations
from ivr.agi.commands import AgiArgumentError, mset_safe
from ivr.agi.operations import CONTROL_TIMEOUT_S, MEDIA_SLACK_S, HungUp, Operation, Refused
from ivr.agi.results import RecordEnd
from ivr.channel import CallInfo, ChannelError, ChannelHungUp, RecordOutcome, RecordStatus
from ivr.variables import LINKEDID

logger = logging.getLogger(__name__)
T = TypeVar("T")


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

    async def _run(self, operation: Operation[T]) -> T:
        if operation.live and self.hung_up:
            raise ChannelHungUp("the caller hung up")
        try:
            line = operation.line()
            timeout_s = operation.timeout_s(control_s=self._control_timeout_s, slack_s=self._media_slack_s)
            exchange = await self._execute(line, timeout_s)
            self.hung_up = self.hung_up or exchange.hung_up
            return operation.read(line, exchange.reply)
        except HungUp as error:
            self.hung_up = True
            raise ChannelHungUp(str(error)) from error
        except (Refused, AgiArgumentError) as error:
            raise ChannelError(str(error)) from error

    async def answer(self) -> None:
        await self._run(operations.answer())

    async def play(self, sound: str, *, escape_digits: str = "") -> str:
        digit = await self._run(operations.play(sound, escape_digits))
        if digit is not None:
            return digit
        if not self.hung_up and await self._still_up():
            logger.warning("sound %r is missing on the Asterisk host: skipped", sound)
            return ""
        self.hung_up = True
        raise ChannelHungUp("the caller hung up")

    async def _still_up(self) -> bool:
        try:
            alive = await self._run(operations.channel_status())
        except (ChannelHungUp, ChannelError):
            return False
        return alive and not self.hung_up

    async def menu(self, sounds: Sequence[str], *, timeout_s: float) -> str:
        await self._run(operations.menu(sounds, timeout_s=timeout_s))
        key = await self._run(operations.menu_key())
        if self.hung_up:  # a HANGUP notice while reading the key
            raise ChannelHungUp("the caller hung up during a menu")
        return key

    async def ask_digits(self, sound: str, *, max_digits: int, timeout_s: float) -> str:
        return await self._run(operations.ask_digits(sound, max_digits=max_digits, timeout_s=timeout_s))

    async def wait_digit(self, timeout_s: float) -> str:
        return await self._run(operations.wait_digit(timeout_s))

    async def say_number(self, number: int, *, escape_digits: str = "") -> str:
        return await self._run(operations.say_number(number, escape_digits))

    async def say_digits(self, digits: str, *, escape_digits: str = "") -> str:
        return await self._run(operations.say_digits(digits, escape_digits))

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
        operation = operations.record(
            path,
            file_format=file_format,
            escape_digits=escape_digits,
            max_seconds=max_seconds,
            silence_seconds=silence_seconds,
            beep=beep,
        )
        outcome = await self._run(operation)
        if outcome.end is RecordEnd.HANGUP:
            self.hung_up = True
        return RecordOutcome(RecordStatus(outcome.end.value), outcome.digit)  # the same four names

    async def set_variable(self, name: str, value: str) -> None:
        await self._run(operations.set_variable(name, value))

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """The plain pairs in one EXEC MSet; a pair MSet could split (commas, quotes...) by SET VARIABLE."""
        plain = {name: value for name, value in values.items() if mset_safe(name, value)}
        for name, value in values.items():
            if name not in plain:
                await self.set_variable(name, value)
        if len(plain) == 1:
            [(name, value)] = plain.items()
            await self.set_variable(name, value)
        elif plain:
            await self._run(operations.set_variables(plain))

    async def get_variable(self, name: str) -> str | None:
        value: str | None = await self._run(operations.get_variable(name))
        if name == LINKEDID and value:
            bind(linkedid=value)  # from here on, this call's log lines carry it (ivr/observability.py)
        return value

    async def set_language(self, language: str) -> None:
        await self._run(operations.set_language(language))

    async def verbose(self, message: str, level: int = 1) -> None:
        await self._run(operations.verbose(message, level))

    async def hangup(self) -> None:
        """Hang up; a no-op on a call that is already over (res_agi refuses HANGUP there with 511)."""
        if self.hung_up:
            return
        with contextlib.suppress(ChannelHungUp):
            await self._run(operations.hangup())
        self.hung_up = True

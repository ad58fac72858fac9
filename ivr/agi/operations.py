"""Each `Channel` operation in AGI: the command line, how long Asterisk may take over it, what its reply means.

Rules (pure, no I/O; ivr/adapters/agi_channel.py sends the line and hands the reply back):
- An `Operation` holds its command line unbuilt: building it refuses an argument that cannot travel in one AGI
  line (`AgiArgumentError`, ivr/agi/commands.py), and a `live` operation on a call already over is refused
  before that (the caller's hangup wins over a bad argument).
- `live` operations need the channel up and are not sent once the call is known to be over. GET/SET VARIABLE,
  VERBOSE, HANGUP and CHANNEL STATUS are not live: res_agi allows them on a dead channel, which is how call_end
  works from a hangup handler.
- `Operation.read(line, reply)` returns the operation's value, or raises `HungUp` (a 511 dead-channel reply,
  result=-1 on a command that needs a live channel, a menu whose READSTATUS is HANGUP) or `Refused` (510, 520,
  any other error reply, a result Asterisk documents as a failure).
- Time: `wait_s` is what Asterisk may legitimately take (the caller's time to type, a recording's length);
  `slack` counts the media whose length is unknown here (a prompt, a beep), each given the adapter's slack
  (MEDIA_SLACK_S by default). An operation with no slack is a control command, answered at once (CONTROL_TIMEOUT_S).
- STREAM FILE answers result=-1 on a missing sound file as on a hangup (res_agi.c, handle_streamfile): `play`
  reads -1 as None ("ask CHANNEL STATUS"), and the adapter tells the two apart with `channel_status`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Generic, NamedTuple, TypeVar

from ivr.agi import commands, results
from ivr.agi.commands import AgiArgumentError
from ivr.agi.events import DeadChannel, Reply, Result, UsageError
from ivr.agi.results import RecordEnd, RecordResult

T = TypeVar("T")

CONTROL_TIMEOUT_S = 30.0  # a variable read or write: Asterisk answers at once unless it is stuck
MEDIA_SLACK_S = 300.0  # added to what a media command may legitimately take (prompt length is unknown)
MENU_VARIABLE = "IVR_MENU_KEY"  # where Read leaves the key of the last menu
_LANGUAGE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class HungUp(Exception):
    """The reply says the caller is gone."""


class Refused(Exception):
    """Asterisk refused the command, or answered with a failure."""


class Operation(NamedTuple, Generic[T]):  # a tuple: one is built for every command sent
    line: Callable[[], str]  # builds the command line; may raise AgiArgumentError
    meaning: Callable[[Result], T]  # what a `200 result=` reply means
    live: bool = True
    wait_s: float = 0.0
    slack: int = 0

    def timeout_s(self, *, control_s: float, slack_s: float) -> float:
        return control_s if self.slack == 0 else self.wait_s + slack_s * self.slack

    def read(self, line: str, reply: Reply) -> T:
        return self.meaning(result_of(line, reply))


def result_of(line: str, reply: Reply) -> Result:
    """The `200 result=` reply, or why there is none."""
    if isinstance(reply, Result):  # the usual case first
        return reply
    if isinstance(reply, DeadChannel):
        raise HungUp(f"{line.split(' ', 2)[:2]}: {reply.text}")
    if isinstance(reply, UsageError):
        raise Refused(f"{line[:80]}: Asterisk usage: {reply.usage}")
    raise Refused(f"{line[:80]}: {reply}")


def _up(meaning: Callable[[Result], T]) -> Callable[[Result], T]:
    """A media command's meaning: result=-1 is the caller hanging up."""

    def checked(result: Result) -> T:
        if results.is_hangup(result):
            raise HungUp("the caller hung up")
        return meaning(result)

    return checked


def _nothing(result: Result) -> None:
    return None


def _digit_unless_minus_one(result: Result) -> str | None:
    return None if results.is_hangup(result) else results.digit_pressed(result)


def _read_started(result: Result) -> None:
    if result.number is None or result.number < 0:
        raise Refused(f"Read refused the menu: result={result.result}")


def _menu_key(result: Result) -> str:
    outcome = results.menu_key(result)
    if outcome.hung_up:
        raise HungUp("the caller hung up during a menu")
    return outcome.key


def _recorded(path: str, file_format: str, max_seconds: int, silence_seconds: int, result: Result) -> RecordResult:
    outcome = results.record_result(
        result, file_format=file_format, max_seconds=max_seconds, silence_seconds=silence_seconds
    )
    if outcome.end is RecordEnd.FAILED:
        raise Refused(f"RECORD FILE {path!r} failed: result={result.result} ({result.data})")
    return outcome


# The meanings shared by several operations, built once (an operation is made for every command sent).
_ANSWERED = _up(_nothing)
_DIGIT = _up(results.digit_pressed)
_MENU_STARTED = _up(_read_started)


def _language_line(language: str) -> str:
    if not _LANGUAGE.match(language):
        raise AgiArgumentError(f"not a language code: {language!r}")
    return commands.set_variable("CHANNEL(language)", language)


def answer() -> Operation[None]:
    return Operation(commands.answer, _ANSWERED)


def play(sound: str, escape_digits: str = "") -> Operation[str | None]:
    """The digit pressed ("" for none), or None for result=-1: a hangup or a missing sound file."""
    return Operation(partial(commands.stream_file, sound, escape_digits), _digit_unless_minus_one, slack=1)


def channel_status() -> Operation[bool]:
    """Whether the channel still lives (after STREAM FILE's ambiguous -1)."""
    return Operation(commands.channel_status, results.channel_alive, live=False)


def menu(sounds: Sequence[str], *, timeout_s: float) -> Operation[None]:
    """One EXEC Read per menu, never one STREAM FILE per part: why in commands.read_menu. Then `menu_key`."""
    line = partial(commands.read_menu, MENU_VARIABLE, tuple(sounds), timeout_s=timeout_s)
    return Operation(line, _MENU_STARTED, wait_s=timeout_s, slack=len(sounds))


def menu_key() -> Operation[str]:
    """One round trip reads READSTATUS and the key; GET FULL VARIABLE works on a dead channel."""
    return Operation(partial(commands.menu_status, MENU_VARIABLE), _menu_key, live=False)


def ask_digits(sound: str, *, max_digits: int, timeout_s: float) -> Operation[str]:
    """`200 result=<digits>`, or `200 result=<digits so far> (timeout)` when the caller stopped typing."""
    line = partial(commands.get_data, sound, timeout_s=timeout_s, max_digits=max_digits)
    meaning = _up(partial(_first_digits, max_digits))
    return Operation(line, meaning, wait_s=timeout_s * max(max_digits, 1), slack=1)


def _first_digits(max_digits: int, result: Result) -> str:
    return results.digits_entered(result, max_digits)


def wait_digit(timeout_s: float) -> Operation[str]:
    return Operation(partial(commands.wait_for_digit, timeout_s), _DIGIT, wait_s=timeout_s, slack=1)


def say_number(number: int, escape_digits: str = "") -> Operation[str]:
    return Operation(partial(commands.say_number, number, escape_digits), _DIGIT, slack=1)


def say_digits(digits: str, escape_digits: str = "") -> Operation[str]:
    return Operation(partial(commands.say_digits, digits, escape_digits), _DIGIT, slack=1)


def record(
    path: str, *, file_format: str, escape_digits: str, max_seconds: int, silence_seconds: int, beep: bool
) -> Operation[RecordResult]:
    """How the recording ended; a hangup is an outcome here (Asterisk keeps the file), not an exception."""
    line = partial(
        commands.record_file,
        path,
        file_format,
        escape_digits=escape_digits,
        max_seconds=max_seconds,
        beep=beep,
        silence_seconds=silence_seconds,
    )
    meaning = partial(_recorded, path, file_format, max_seconds, silence_seconds)
    return Operation(line, meaning, wait_s=max_seconds, slack=1)


def set_variable(name: str, value: str) -> Operation[None]:
    return Operation(partial(commands.set_variable, name, value), _nothing, live=False)


def set_variables(values: dict[str, str]) -> Operation[None]:
    """EXEC MSet: res_agi runs it on a dead channel too (handle_exec is dead-capable), like SET VARIABLE."""
    return Operation(partial(commands.set_variables, values), _nothing, live=False)


def get_variable(name: str) -> Operation[str | None]:
    return Operation(partial(commands.get_variable, name), results.variable_value, live=False)


def set_language(language: str) -> Operation[None]:
    """CHANNEL(language), so Asterisk picks prompts and Say* digits in it; only a plain language code travels."""
    return Operation(partial(_language_line, language), _nothing, live=False)


def verbose(message: str, level: int = 1) -> Operation[None]:
    return Operation(partial(commands.verbose, message, level), _nothing, live=False)


def hangup() -> Operation[None]:
    return Operation(commands.hangup, _nothing, live=False)

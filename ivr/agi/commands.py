"""AGI command builders: each returns one command line (without the newline) that Asterisk parses as intended.

How Asterisk splits a command (res_agi.c, parse_args): words are separated by spaces or tabs; a double quote
toggles quoting (spaces inside quotes do not split) and a backslash makes the next character literal, inside
or outside quotes. So every free-text argument is sent as `"..."` with backslashes and double quotes
escaped; `""` is an empty argument (STREAM FILE with no escape digits). Nothing can escape a newline:
the line protocol ends the command there, so CR, LF and NUL in an argument are refused. res_agi reads commands
into a 2048-byte buffer (AGI_BUF_LEN) and would split a longer line in two, so longer lines are refused too.
"""

from __future__ import annotations

import functools
import re

MAX_COMMAND_BYTES = 2047  # plus the newline: AGI_BUF_LEN in res_agi.c
DTMF_DIGITS = frozenset("0123456789*#ABCD")

_FORBIDDEN = re.compile(r"[\r\n\x00]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORMAT = re.compile(r"^[A-Za-z0-9_]{1,16}$")
_APPLICATION = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# Sound names travel inside Read's argument list: no ',' '&' '|' quotes or spaces (ours never have them).
_SOUND_NAME = re.compile(r"^[A-Za-z0-9_./-]{1,200}$")


class AgiArgumentError(ValueError):
    """An argument that cannot travel in one AGI command line."""


@functools.lru_cache(maxsize=4096)
def quote(value: str) -> str:
    """`value` as one quoted AGI argument (kept once made: the same names and values recur call after call)."""
    if _FORBIDDEN.search(value):
        raise AgiArgumentError(f"AGI arguments cannot contain CR, LF or NUL: {value[:40]!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@functools.lru_cache(maxsize=4096)
def encode_command(command: str) -> bytes:
    """The bytes for one command line, newline included (checked once per distinct line: most lines repeat from
    call to call, so they are kept precompiled)."""
    if _FORBIDDEN.search(command):
        raise AgiArgumentError(f"an AGI command is one line: {command[:40]!r}")
    data = command.encode("utf-8")
    if not data or len(data) > MAX_COMMAND_BYTES:
        raise AgiArgumentError(f"an AGI command must be 1..{MAX_COMMAND_BYTES} bytes, got {len(data)}")
    return data + b"\n"


def _digits(escape_digits: str) -> str:
    unknown = set(escape_digits) - DTMF_DIGITS
    if unknown:
        raise AgiArgumentError(f"not DTMF digits: {''.join(sorted(unknown))!r}")
    return quote(escape_digits)


def _milliseconds(seconds: float) -> int:
    """AGI timeouts are integer milliseconds; a negative value means "wait forever" to Asterisk."""
    return -1 if seconds < 0 else round(seconds * 1000)


def answer() -> str:
    return "ANSWER"


def stream_file(sound: str, escape_digits: str = "", *, sample_offset: int | None = None) -> str:
    command = f"STREAM FILE {quote(sound)} {_digits(escape_digits)}"
    return command if sample_offset is None else f"{command} {int(sample_offset)}"


def get_data(sound: str, *, timeout_s: float, max_digits: int) -> str:
    if max_digits < 1:
        raise AgiArgumentError("GET DATA needs max_digits >= 1")
    return f"GET DATA {quote(sound)} {_milliseconds(timeout_s)} {int(max_digits)}"


def wait_for_digit(timeout_s: float) -> str:
    return f"WAIT FOR DIGIT {_milliseconds(timeout_s)}"


def say_number(number: int, escape_digits: str = "", *, gender: str | None = None) -> str:
    command = f"SAY NUMBER {int(number)} {_digits(escape_digits)}"
    return command if gender is None else f"{command} {quote(gender)}"


def say_digits(digits: str, escape_digits: str = "") -> str:
    # Asterisk checks the argument with sscanf("%d") before saying it character by character.
    if not digits or not digits[0].isdigit() or set(digits) - DTMF_DIGITS:
        raise AgiArgumentError(f"SAY DIGITS needs a digit string, got {digits[:40]!r}")
    return f"SAY DIGITS {digits} {_digits(escape_digits)}"


def record_file(
    path: str,
    file_format: str,
    *,
    escape_digits: str,
    max_seconds: float,
    beep: bool = True,
    silence_seconds: int = 0,
) -> str:
    """RECORD FILE: res_agi beeps when the 6th argument is neither a number nor contains "=", and reads
    silence from an `s=<seconds>` argument."""
    if not _FORMAT.match(file_format):
        raise AgiArgumentError(f"bad recording format {file_format!r}")
    command = f"RECORD FILE {quote(path)} {file_format} {_digits(escape_digits)} {_milliseconds(max_seconds)}"
    if beep:
        command += " BEEP"
    if silence_seconds > 0:
        command += f" s={int(silence_seconds)}"
    return command


def set_variable(name: str, value: str) -> str:
    return f"SET VARIABLE {quote(name)} {quote(value)}"


_MSET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MSET_VALUE = re.compile(r"^[A-Za-z0-9_.+:@/-]{1,200}$")  # nothing MSet's parser splits on (',' '=' quotes '|')


def mset_safe(name: str, value: str) -> bool:
    """Whether one name=value pair can travel inside MSet's argument list untouched."""
    return bool(_MSET_NAME.match(name) and _MSET_VALUE.match(value))


def set_variables(values: dict[str, str]) -> str:
    """Several channel variables in one round trip: EXEC MSet(name=value,...) (pbx_builtin_setvar_multiple splits
    on ',' then on the first '='). Only pairs that `mset_safe` accepts; the caller sends the others one by one."""
    unsafe = [name for name, value in values.items() if not mset_safe(name, value)]
    if unsafe or not values:
        raise AgiArgumentError(f"not plain MSet pairs: {unsafe[:1] or 'none'}")
    return exec_application("MSet", ",".join(f"{name}={value}" for name, value in values.items()))


def get_variable(name: str) -> str:
    """GET VARIABLE also reads dialplan functions when the name ends in ")" (CHANNEL(linkedid))."""
    return f"GET VARIABLE {quote(name)}"


def get_full_variable(expression: str, channel: str | None = None) -> str:
    """GET FULL VARIABLE substitutes `${...}` expressions, optionally on another channel."""
    command = f"GET FULL VARIABLE {quote(expression)}"
    return command if channel is None else f"{command} {quote(channel)}"


def exec_application(application: str, options: str = "") -> str:
    """EXEC runs a dialplan application. `options` reaches the application's own argument parser, which splits
    on commas and unquotes again: pass it as the dialplan would write it."""
    if not _APPLICATION.match(application):
        raise AgiArgumentError(f"bad application name {application!r}")
    return f"EXEC {application} {quote(options)}"


def read_menu(variable: str, sounds: list[str] | tuple[str, ...], *, timeout_s: float) -> str:
    """EXEC Read of one key into `variable` while an '&' list of sounds plays: one per menu, never one STREAM FILE
    per part. res_agi reads and drops the channel's frames, DTMF included, while it waits for the next command
    (res_agi.c, run_agi), so keys pressed between two commands are lost. Read plays an '&' list through
    ast_app_getdata_terminator (main/app.c): each file is interrupted by any key, and the 50 ms between files is
    spent reading keys, not dropping them. The AGI command GET DATA plays a single file (ast_app_getdata_full),
    hence Read through EXEC. Option `t` with no argument: no terminator, so '#' is a key like the others (an
    invalid choice, not silence); one attempt; at least 50 ms to press a key."""
    bad = [name for name in sounds if not _SOUND_NAME.match(name)]
    if bad or not sounds:
        raise AgiArgumentError(f"not a menu of sound names: {bad[:1] or 'empty'}")
    playlist = "&".join(sounds)
    return exec_application("Read", f"{variable},{playlist},1,t,1,{max(timeout_s, 0.05):.2f}")


def menu_status(variable: str) -> str:
    """After `read_menu`: READSTATUS and the key in one round trip (Read returns 0 even on a hangup)."""
    return get_full_variable(f"${{READSTATUS}},${{{variable}}}")


def verbose(message: str, level: int = 1) -> str:
    """VERBOSE is a log line, so control characters become spaces and a long message is cut, not refused."""
    return f"VERBOSE {quote(_CONTROL.sub(' ', message[:1000]))} {min(max(int(level), 1), 4)}"


def hangup(channel: str | None = None) -> str:
    return "HANGUP" if channel is None else f"HANGUP {quote(channel)}"


def channel_status() -> str:
    """CHANNEL STATUS of the current channel: `200 result=<state>` while it lives, 511 once it is dead."""
    return "CHANNEL STATUS"

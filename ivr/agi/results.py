"""What a `200 result=...` reply means, command by command: pure functions over `Result`, no I/O.

Rules (res_agi.c, Asterisk 22):
- Media commands (ANSWER, STREAM FILE, WAIT FOR DIGIT, SAY *, GET DATA, EXEC) answer result=-1 when the channel
  hung up. STREAM FILE also answers -1 for a missing sound file (handle_streamfile): telling the two apart needs
  CHANNEL STATUS, which the adapter asks.
- STREAM FILE, WAIT FOR DIGIT and SAY * answer the ASCII code of the digit pressed, 0 for none.
- GET DATA answers the digits themselves: `result=<digits>`, `result=<digits so far> (timeout)`.
- GET VARIABLE answers `result=1 (value)` when the variable is set, `result=0` when it is not.
- RECORD FILE (handle_recordfile) answers `<digit> (dtmf)`, `<n> (timeout)` (also when silence ended it),
  `-1 (hangup)`, `-1 (waitfor)`, `<digit or -1> (randomerror)` while beeping, `-1 (writefile)`; `endpos=` is in
  samples, so with a known sample rate it tells silence from the time limit.
- The menu is one `EXEC Read` then one `GET FULL VARIABLE ${READSTATUS},${key}`: Read returns 0 even when the
  caller hung up (app_read.c), READSTATUS says HANGUP.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ivr.agi.commands import DTMF_DIGITS
from ivr.agi.events import Result

# RECORD FILE's endpos is in samples; formats whose rate is known let us tell silence from the time limit.
SAMPLE_RATES = {"wav": 8000, "gsm": 8000, "ulaw": 8000, "alaw": 8000, "sln": 8000, "wav16": 16000}


def is_hangup(result: Result) -> bool:
    """result=-1 on a command that needs a live channel."""
    return result.number == -1


def digit_pressed(result: Result) -> str:
    """STREAM FILE, WAIT FOR DIGIT, SAY *: the ASCII code of the digit pressed, 0 (or nothing) for none."""
    code = result.number
    return chr(code) if code is not None and 0 < code < 128 else ""


def digits_entered(result: Result, max_digits: int) -> str:
    """GET DATA: the DTMF digits in the result text, at most `max_digits` of them."""
    return "".join(ch for ch in result.result if ch in DTMF_DIGITS)[:max_digits]


def variable_value(result: Result) -> str | None:
    """GET VARIABLE: the value when set, None when not."""
    return result.data if result.number == 1 and result.data is not None else None


def channel_alive(result: Result) -> bool:
    """CHANNEL STATUS: a state number >= 0 means the channel exists."""
    return result.number is not None and result.number >= 0


@dataclass(frozen=True)
class MenuKey:
    """The menu's `${READSTATUS},${key}` pair: the key pressed ("" for none), or the caller hung up."""

    key: str
    hung_up: bool = False


def menu_key(result: Result) -> MenuKey:
    status, _, key = (result.data or "").partition(",")
    if status == "HANGUP":
        return MenuKey("", hung_up=True)
    return MenuKey(next((ch for ch in key if ch in DTMF_DIGITS), ""))


class RecordEnd(enum.StrEnum):
    DTMF = "dtmf"
    TIMEOUT = "timeout"
    SILENCE = "silence"
    HANGUP = "hangup"
    FAILED = "failed"  # writefile, or a reply res_agi does not document


@dataclass(frozen=True)
class RecordResult:
    end: RecordEnd
    digit: str = ""


def record_result(result: Result, *, file_format: str, max_seconds: int, silence_seconds: int) -> RecordResult:
    """RECORD FILE: how the recording ended."""
    code, why = result.number, result.data
    digit = digit_pressed(result)
    if why == "dtmf" and digit:
        return RecordResult(RecordEnd.DTMF, digit)
    if why == "timeout":
        rate = SAMPLE_RATES.get(file_format)
        end = result.fields.get("endpos", "")
        if silence_seconds > 0 and rate is not None and end.isdigit() and int(end) < (max_seconds - 1) * rate:
            return RecordResult(RecordEnd.SILENCE)
        return RecordResult(RecordEnd.TIMEOUT)
    if why in {"hangup", "waitfor"} or (why == "randomerror" and code == -1):
        return RecordResult(RecordEnd.HANGUP)
    if why == "randomerror" and digit:
        return RecordResult(RecordEnd.DTMF, digit)  # a digit during the beep: nothing recorded
    return RecordResult(RecordEnd.FAILED)

"""The Channel protocol: everything a flow may do to a call, and nothing about how it travels.

Rules:
- A flow only talks to a `Channel`; the AGI adapters (FastAGI, process AGI) and `ivr.testing.FakeChannel`
  implement it. Flows never see AGI syntax.
- When the caller hangs up, any media operation raises `ChannelHungUp`. Flows let it unwind and record the call
  in a `finally`. Reading and writing channel variables keeps working on a dead channel (Asterisk allows
  GET/SET VARIABLE in hangup handlers), so `call_end` can still run.
- Sound names are Asterisk sound names without extension (`ivr/greeting`, or an absolute path); Asterisk picks
  the file for the channel language.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class ChannelHungUp(Exception):
    """The caller hung up, or Asterisk ended the AGI session."""


class ChannelError(Exception):
    """Asterisk refused a command (510/511/520) or the session broke in a way that is not a hangup."""


@dataclass(frozen=True)
class CallInfo:
    """What Asterisk told us about the call when the AGI session started (agi_* environment), sanitised."""

    script: str = ""
    caller_number: str = ""
    caller_name: str = ""
    dialed_number: str = ""
    unique_id: str = ""
    linked_id: str = ""
    channel_name: str = ""
    language: str = "en"
    context: str = ""
    extension: str = ""
    arguments: tuple[str, ...] = ()
    raw: dict[str, str] = field(default_factory=dict)


class RecordStatus(enum.StrEnum):
    """How RECORD FILE ended."""

    DTMF = "dtmf"  # caller pressed an escape digit
    TIMEOUT = "timeout"  # maximum length reached
    SILENCE = "silence"  # silence detected
    HANGUP = "hangup"  # caller hung up while recording (the file is kept by Asterisk)


@dataclass(frozen=True)
class RecordOutcome:
    status: RecordStatus
    digit: str = ""


class Channel(Protocol):
    """One call, as seen by a flow."""

    @property
    def info(self) -> CallInfo: ...

    async def answer(self) -> None: ...

    async def play(self, sound: str, *, escape_digits: str = "") -> str:
        """Play a sound; return the escape digit the caller pressed, or "" if it played to the end."""
        ...

    async def menu(self, sounds: Sequence[str], *, timeout_s: float) -> str:
        """Play `sounds` one after the other as ONE menu: a key pressed at any moment, from the first syllable of
        the first sound to `timeout_s` after the last, ends it and is returned; "" after silence. Any key counts
        (the flow decides whether it is valid), so a caller who types ahead is never ignored."""
        ...

    async def ask_digits(self, sound: str, *, max_digits: int, timeout_s: float) -> str:
        """Play a prompt and collect up to `max_digits` DTMF digits (GET DATA); "" on timeout."""
        ...

    async def wait_digit(self, timeout_s: float) -> str:
        """Wait for one DTMF digit; "" on timeout."""
        ...

    async def say_number(self, number: int, *, escape_digits: str = "") -> str: ...

    async def say_digits(self, digits: str, *, escape_digits: str = "") -> str: ...

    async def record(
        self,
        path: str,
        *,
        file_format: str = "wav",
        escape_digits: str = "#",
        max_seconds: int,
        silence_seconds: int = 0,
        beep: bool = True,
    ) -> RecordOutcome: ...

    async def set_variable(self, name: str, value: str) -> None: ...

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Several variables at once: one round trip where the values allow it (no order among them)."""
        ...

    async def get_variable(self, name: str) -> str | None:
        """The value of a channel variable or function (`CHANNEL(language)`); None if unset."""
        ...

    async def set_language(self, language: str) -> None:
        """Set the channel language so Asterisk picks prompts and Say* digits in it."""
        ...

    async def verbose(self, message: str, level: int = 1) -> None: ...

    async def hangup(self) -> None: ...

"""FakeChannel: a scripted caller for flow tests and benchmarks (a fake, not a mock).

`FakeChannel(digits=["3", "", "1"])`: each input point (`wait_digit`, `ask_digits`) takes the next scripted entry;
"" is silence (a timeout); `HANGUP` hangs up there. `play` returns "" unless a barge-in digit is scripted with
`barge_in`. Everything the caller heard is in `played`, every variable the flow set in `variables`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ivr.channel import CallInfo, ChannelError, ChannelHungUp, RecordOutcome, RecordStatus

HANGUP = "HANGUP"


class FakeChannel:
    def __init__(
        self,
        digits: Iterable[str] = (),
        *,
        info: CallInfo | None = None,
        variables: dict[str, str] | None = None,
        barge_in: dict[int, str] | None = None,
        record_outcome: RecordOutcome | None = None,
        hang_up_after_plays: int | None = None,
        fail_on: str | None = None,
    ) -> None:
        self._digits = deque(digits)
        self._info = info or CallInfo(script="inbound", caller_number="+33612345678", unique_id="1700000000.1")
        self.variables: dict[str, str] = dict(variables or {})
        self.played: list[str] = []
        self.prompted: list[str] = []
        self.recordings: list[str] = []
        self.language = self._info.language
        self.answered = False
        self.hung_up = False
        self._barge_in = dict(barge_in or {})
        self._record_outcome = record_outcome or RecordOutcome(RecordStatus.DTMF, "#")
        self._hang_up_after_plays = hang_up_after_plays
        self._fail_on = fail_on

    @property
    def info(self) -> CallInfo:
        return self._info

    def _media(self, operation: str) -> None:
        if self.hung_up:
            raise ChannelHungUp(operation)
        if self._fail_on == operation:
            raise ChannelError(f"520 {operation} refused")

    def _next_input(self) -> str:
        entry = self._digits.popleft() if self._digits else ""
        if entry == HANGUP:
            self.hung_up = True
            raise ChannelHungUp("caller hung up")
        return entry

    async def answer(self) -> None:
        self._media("answer")
        self.answered = True

    async def play(self, sound: str, *, escape_digits: str = "") -> str:
        self._media("play")
        if self._hang_up_after_plays is not None and len(self.played) >= self._hang_up_after_plays:
            self.hung_up = True
            raise ChannelHungUp("caller hung up while listening")
        self.played.append(sound)
        pressed = self._barge_in.pop(len(self.played) - 1, "")
        return pressed if pressed and pressed in escape_digits else ""

    async def ask_digits(self, sound: str, *, max_digits: int, timeout_s: float) -> str:
        self._media("ask_digits")
        self.prompted.append(sound)
        self.played.append(sound)
        return self._next_input()[:max_digits]

    async def wait_digit(self, timeout_s: float) -> str:
        self._media("wait_digit")
        return self._next_input()[:1]

    async def say_number(self, number: int, *, escape_digits: str = "") -> str:
        self._media("say_number")
        self.played.append(f"number:{number}")
        return ""

    async def say_digits(self, digits: str, *, escape_digits: str = "") -> str:
        self._media("say_digits")
        self.played.append(f"digits:{digits}")
        return ""

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
        self._media("record")
        self.recordings.append(f"{path}.{file_format}")
        if self._record_outcome.status is RecordStatus.HANGUP:
            self.hung_up = True
        return self._record_outcome

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    async def set_language(self, language: str) -> None:
        self._media("set_language")
        self.language = language
        self.variables["CHANNEL(language)"] = language

    async def verbose(self, message: str, level: int = 1) -> None:
        return None

    async def hangup(self) -> None:
        self.hung_up = True

"""FakeChannel: a caller for flow tests and benchmarks (a fake, not a mock), scripted or on a clock.

Scripted: `FakeChannel(digits=["3", "", "1"])`: each input point (`menu`, `wait_digit`, `ask_digits`) takes the
next scripted entry; "" is silence (a timeout); `HANGUP` hangs up there. `play` returns "" unless a barge-in digit
is scripted with `barge_in`.

On a clock: `FakeChannel(presses=[(2.5, "3"), (4.0, "1")], duration_of=...)`: the caller presses keys at instants
(seconds after answer) and every sound lasts what `duration_of(name)` says (names resolved to `<lang>/ivr/...`).
`now` is the call's virtual time. The rules are Asterisk's (res_agi.c, main/app.c, main/file.c):
- a menu (Read with an '&' list) takes the first key pressed from its first sound to its timeout;
- `play` (STREAM FILE) stops on an escape digit; other keys pressed meanwhile are read and ignored;
- a key pressed while no media command runs (between two AGI commands) is dropped by res_agi: it lands in `lost`;
- `hangup_at` ends the call at that instant, whatever command runs then.
Everything the caller heard is in `played` (and `timeline`, with start times); every variable in `variables`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence

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
        presses: Iterable[tuple[float, str]] | None = None,
        duration_of: Callable[[str], float] | None = None,
        hangup_at: float | None = None,
        command_s: float = 0.0,
    ) -> None:
        self._digits = deque(digits)
        self.clocked = presses is not None
        self._presses = deque(sorted(presses or ()))
        self._duration_of = duration_of or (lambda _name: 1.0)
        self._hangup_at = hangup_at
        self._command_s = command_s  # one AGI round trip: keys pressed meanwhile are dropped by res_agi
        self.now = 0.0
        self.timeline: list[tuple[float, str]] = []
        self.lost: list[tuple[float, str]] = []  # keys dropped between commands
        self.ignored: list[tuple[float, str]] = []  # keys pressed during a prompt that did not listen for them
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

    def _tick(self) -> None:
        if self.clocked and not self.hung_up:
            self.now += self._command_s
            self._drop_keys_before(self.now)

    def _media(self, operation: str) -> None:
        self._tick()
        if self.hung_up:
            raise ChannelHungUp(operation)
        if self._fail_on == operation:
            raise ChannelError(f"520 {operation} refused")

    # --- the clock -------------------------------------------------------------------------------------------

    def _resolve(self, sound: str) -> str:
        return sound if sound.count("/") >= 2 or sound.startswith("/") else f"{self.language}/{sound}"

    def _drop_keys_before(self, instant: float) -> None:
        while self._presses and self._presses[0][0] < instant:
            self.lost.append(self._presses.popleft())

    def _key_until(self, end: float) -> tuple[float, str] | None:
        """The first key pressed between now and `end` (consumed), or None; a hangup before it ends the call."""
        self._drop_keys_before(self.now)
        press = self._presses[0] if self._presses and self._presses[0][0] <= end else None
        if self._hangup_at is not None and self._hangup_at <= (press[0] if press else end):
            self.now = max(self.now, self._hangup_at)
            self.hung_up = True
            raise ChannelHungUp("caller hung up")
        if press is None:
            return None
        self._presses.popleft()
        return press

    def _sound_until_key(self, sound: str, accept: str | None) -> str:
        """Play one sound from now; stop on a key in `accept` (None: any key). Returns the key or ""."""
        name = self._resolve(sound)
        self.timeline.append((self.now, name))
        end = self.now + self._duration_of(name)
        while True:
            press = self._key_until(end)
            if press is None:
                self.now = end
                return ""
            self.now = press[0]
            if accept is None or press[1] in accept:
                return press[1]
            self.ignored.append(press)

    def _wait_key(self, timeout_s: float) -> str:
        press = self._key_until(self.now + timeout_s)
        if press is None:
            self.now += timeout_s
            return ""
        self.now = press[0]
        return press[1]

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
        if self.clocked:
            return self._sound_until_key(sound, escape_digits)
        pressed = self._barge_in.pop(len(self.played) - 1, "")
        return pressed if pressed and pressed in escape_digits else ""

    async def menu(self, sounds: Sequence[str], *, timeout_s: float) -> str:
        self._media("menu")
        self.prompted.append("&".join(sounds))
        if not self.clocked:
            for sound in sounds:
                if self._hang_up_after_plays is not None and len(self.played) >= self._hang_up_after_plays:
                    self.hung_up = True
                    raise ChannelHungUp("caller hung up while listening")
                self.played.append(sound)
            return self._next_input()[:1]
        for sound in sounds:
            self.played.append(sound)
            key = self._sound_until_key(sound, None)
            if key:
                return key
        return self._wait_key(timeout_s)

    async def ask_digits(self, sound: str, *, max_digits: int, timeout_s: float) -> str:
        self._media("ask_digits")
        self.prompted.append(sound)
        self.played.append(sound)
        if not self.clocked:
            return self._next_input()[:max_digits]
        # GET DATA: the prompt stops on any key; then each key must come within timeout_s of the previous one.
        typed = self._sound_until_key(sound, None) or self._wait_key(timeout_s)
        while typed and not typed.endswith("#") and len(typed) < max_digits:
            key = self._wait_key(timeout_s)
            if not key:
                break
            typed += key
        return typed.rstrip("#")[:max_digits]

    async def wait_digit(self, timeout_s: float) -> str:
        self._media("wait_digit")
        if self.clocked:
            return self._wait_key(timeout_s)
        return self._next_input()[:1]

    async def say_number(self, number: int, *, escape_digits: str = "") -> str:
        self._media("say_number")
        self.played.append(f"number:{number}")
        return self._sound_until_key(f"digits/{number}", escape_digits) if self.clocked else ""

    async def say_digits(self, digits: str, *, escape_digits: str = "") -> str:
        self._media("say_digits")
        self.played.append(f"digits:{digits}")
        for digit in digits if self.clocked else "":
            key = self._sound_until_key(f"digits/{digit}", escape_digits)
            if key:
                return key
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
        if self.clocked:  # the caller speaks until an escape key, the time limit or (scripted) the given outcome
            started = self.now
            while self.now < started + max_seconds:
                press = self._key_until(started + max_seconds)
                if press is None:
                    break
                self.now = press[0]
                if press[1] in escape_digits:
                    return RecordOutcome(RecordStatus.DTMF, press[1])
            self.now = max(self.now, started + max_seconds)
            return RecordOutcome(RecordStatus.TIMEOUT)
        if self._record_outcome.status is RecordStatus.HANGUP:
            self.hung_up = True
        return self._record_outcome

    async def set_variable(self, name: str, value: str) -> None:
        self._tick()
        self.variables[name] = value

    async def set_variables(self, values: Mapping[str, str]) -> None:
        self._tick()
        self.variables.update(values)

    async def get_variable(self, name: str) -> str | None:
        self._tick()
        return self.variables.get(name)

    async def set_language(self, language: str) -> None:
        self._media("set_language")
        self.language = language
        self.variables["CHANNEL(language)"] = language

    async def verbose(self, message: str, level: int = 1) -> None:
        return None

    async def hangup(self) -> None:
        self.hung_up = True

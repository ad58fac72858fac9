"""Sans-I/O AGI connection: bytes from Asterisk in, events out; commands in, bytes for Asterisk out.

Rules:
- No sockets, no asyncio, no clock. The caller reads bytes, hands them to `receive_data` (b"" means end of
  stream), and calls `next_event` until it returns `NeedData`.
- States: ENVIRONMENT (agi_* lines up to a blank line) -> COMMANDS -> CLOSED, or ERROR from anywhere.
  ERROR and CLOSED are sticky: `next_event` keeps returning the same `ProtocolError` / `ConnectionClosed`.
- Memory is bounded: a line longer than `max_line_bytes`, an environment longer than `max_environment_lines`
  or a usage reply longer than `max_usage_lines` is a `ProtocolError`, never a growing buffer. The buffer
  holds at most one partial line plus whatever the last `receive_data` handed in.
- A reply is only accepted while a command sent with `send_command` is waiting for one; `HANGUP` may come at
  any time after the environment (res_agi sends it when it notices the hangup, which can be just before or
  just after the reply to the command in flight).
- Text is decoded as UTF-8 with errors="replace" (caller names come from the network in any encoding);
  environment values lose their control characters.
"""

from __future__ import annotations

import enum
import re

from ivr.agi.commands import encode_command
from ivr.agi.events import (
    ConnectionClosed,
    DeadChannel,
    Environment,
    ErrorReply,
    Event,
    HangupNotice,
    InvalidCommand,
    NeedData,
    ProtocolError,
    Result,
    UsageError,
)

MAX_LINE_BYTES = 8192
MAX_ENVIRONMENT_LINES = 256  # Asterisk 22 sends about 20 agi_* lines plus one per AGI() argument
MAX_USAGE_LINES = 256

_ENV_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_STATUS = re.compile(r"^(\d{3})(?:([ -])(.*))?$")
_KEY_VALUE = re.compile(r"([A-Za-z0-9_]+)=(\S*)")
_DATA_THEN_FIELDS = re.compile(r"^\((.*)\)((?:\s+[A-Za-z0-9_]+=\S*)*)\s*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


_NEED_DATA = NeedData()  # events without fields are shared: one is handed out per read on the hot path
_SHORT_RESULTS: dict[str, Result] = {}  # `result=<n>` replies without data, parsed once (immutable)
_SHORT_RESULTS_MAX = 256


class AgiStateError(RuntimeError):
    """The local side misused the connection (a command before the environment, data after end of stream)."""


class State(enum.Enum):
    ENVIRONMENT = "environment"
    COMMANDS = "commands"
    CLOSED = "closed"
    ERROR = "error"


def sanitize(text: str) -> str:
    """Drop control characters (NUL, CR, ESC, C1 ...) and surrounding blanks from a value off the wire."""
    return text.strip() if text.isprintable() else _CONTROL.sub("", text).strip()  # printable: no control chars


def environment_from_mapping(variables: dict[str, str]) -> Environment:
    """An `Environment` from an already-split mapping (pyst2's `AGI.env`), sanitised like the wire."""
    return Environment({key: sanitize(value) for key, value in variables.items() if _ENV_KEY.match(key)})


def parse_result(text: str) -> Result | None:
    """Parse the part after `200 `: `result=<n> [(<data>)] [key=value ...]`. None if it is not that shape."""
    if not text.startswith("result="):
        return None
    if " " not in text:  # the usual short reply, `result=<n>`: nothing else to parse
        result = _SHORT_RESULTS.get(text)
        if result is None:
            result = Result(result=text[7:])
            if len(_SHORT_RESULTS) < _SHORT_RESULTS_MAX:
                _SHORT_RESULTS[text] = result
        return result
    value, _, rest = text[len("result=") :].partition(" ")
    rest = rest.strip()
    data: str | None = None
    if rest.startswith("("):
        # Greedy: GET VARIABLE values may themselves contain parentheses; only key=value pairs may follow.
        match = _DATA_THEN_FIELDS.match(rest)
        if match is None:
            return None
        data, rest = match.group(1), match.group(2)
    fields = dict(_KEY_VALUE.findall(rest))
    return Result(result=value, data=data, fields=fields)


class AgiConnection:
    def __init__(
        self,
        *,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_environment_lines: int = MAX_ENVIRONMENT_LINES,
        max_usage_lines: int = MAX_USAGE_LINES,
        environment_read: bool = False,
    ) -> None:
        """`environment_read=True` starts in COMMANDS: in process AGI, pyst2 reads the environment."""
        self._max_line = max_line_bytes
        self._max_env_lines = max_environment_lines
        self._max_usage_lines = max_usage_lines
        self._buffer = bytearray()
        self._eof = False
        self.state = State.COMMANDS if environment_read else State.ENVIRONMENT
        self._environment: dict[str, str] = {}
        self._environment_lines = 0
        self._usage: list[str] | None = None  # inside a 520- usage reply
        self._pending = 0  # commands sent and not answered yet
        self._error: ProtocolError | None = None

    @property
    def pending_replies(self) -> int:
        return self._pending

    def receive_data(self, data: bytes) -> None:
        """Hand over bytes read from Asterisk; b"" means the stream ended."""
        if self._eof and data:
            raise AgiStateError("data received after end of stream")
        if data:
            self._buffer += data
        else:
            self._eof = True

    def send_command(self, command: str) -> bytes:
        """The bytes to write for `command` (one line from ivr.agi.commands); a reply is now expected."""
        if self.state is not State.COMMANDS:
            raise AgiStateError(f"cannot send a command in state {self.state.value}")
        data = encode_command(command)
        self._pending += 1
        return data

    def next_event(self) -> Event:
        if self._error is not None:
            return self._error
        if self.state is State.CLOSED:
            return ConnectionClosed()
        if self.state is State.ENVIRONMENT and not self._environment_lines:
            environment = self._whole_environment()
            if environment is not None:
                return environment
        while True:
            line = self._next_line()
            if line.__class__ is not str:  # ProtocolError, NeedData, ConnectionClosed
                return line  # type: ignore[return-value]
            event = self._handle_line(line)
            if event is not None:
                return event

    def _whole_environment(self) -> Environment | None:
        """Fast path: the whole environment already in the buffer, every line well-formed and within the limits,
        taken in one pass. None for anything else, which the line-by-line path then reads (and judges)."""
        end = self._buffer.find(b"\n\n")
        if end <= 0 or end > self._max_line * self._max_env_lines:
            return None
        lines = self._buffer[:end].decode("utf-8", errors="replace").split("\n")
        if len(lines) > self._max_env_lines:
            return None
        variables: dict[str, str] = {}
        for line in lines:
            key, colon, value = line.partition(":")
            if not colon or not _ENV_KEY.match(key) or len(line) > self._max_line // 4:  # (4: UTF-8's widest)
                return None
            variables[key] = sanitize(value)
        del self._buffer[: end + 2]
        self._environment_lines = len(lines)
        self.state = State.COMMANDS
        return Environment(variables)

    def _fail(self, reason: str) -> ProtocolError:
        self.state = State.ERROR
        self._error = ProtocolError(reason)
        self._buffer.clear()
        return self._error

    def _next_line(self) -> str | ProtocolError | NeedData | ConnectionClosed:
        end = self._buffer.find(b"\n", 0, self._max_line + 1)
        if end < 0:
            if len(self._buffer) > self._max_line:
                return self._fail(f"line longer than {self._max_line} bytes")
            if not self._eof:
                return _NEED_DATA
            if self._buffer or self._usage is not None:
                return self._fail("stream ended in the middle of a line")
            if self.state is State.ENVIRONMENT and self._environment_lines:
                return self._fail("stream ended before the end of the AGI environment")
            # A close with a command in flight is how a session ends when Asterisk drops the channel;
            # the adapter can tell from `pending_replies`.
            self.state = State.CLOSED
            return ConnectionClosed()
        line = self._buffer[:end].decode("utf-8", errors="replace")
        del self._buffer[: end + 1]
        return line.removesuffix("\r")

    def _handle_line(self, line: str) -> Event | None:
        if self.state is State.ENVIRONMENT:
            return self._environment_line(line)
        if self._usage is not None:
            return self._usage_line(line)
        if line == "HANGUP":
            return HangupNotice()
        if self._pending == 0:
            return self._fail(f"unexpected line with no command pending: {line[:80]!r}")
        if line.startswith("200 result="):  # the usual reply: no status regex needed
            self._pending -= 1
            result = parse_result(line[4:])
            return result if result is not None else self._fail(f"malformed 200 reply: {line[:80]!r}")
        match = _STATUS.match(line)
        if match is None:
            return self._fail(f"malformed reply: {line[:80]!r}")
        code, separator, text = int(match.group(1)), match.group(2), match.group(3) or ""
        if code == 520 and separator == "-":
            self._usage = []
            return None
        self._pending -= 1
        if code == 200:
            result = parse_result(text)
            return result if result is not None else self._fail(f"malformed 200 reply: {line[:80]!r}")
        if code == 510:
            return InvalidCommand(text)
        if code == 511:
            return DeadChannel(text)
        if code == 520:
            return UsageError(text)
        return ErrorReply(code, text)

    def _environment_line(self, line: str) -> Event | None:
        if line == "":
            if not self._environment:
                return self._fail("empty AGI environment")
            self.state = State.COMMANDS
            return Environment(dict(self._environment))
        self._environment_lines += 1
        if self._environment_lines > self._max_env_lines:
            return self._fail(f"AGI environment longer than {self._max_env_lines} lines")
        key, colon, value = line.partition(":")
        if not colon or not _ENV_KEY.match(key):
            return self._fail(f"malformed AGI environment line: {line[:80]!r}")
        self._environment[key] = sanitize(value)
        return None

    def _usage_line(self, line: str) -> Event | None:
        assert self._usage is not None
        if line.startswith("520 "):
            usage = "\n".join(self._usage)
            self._usage = None
            self._pending -= 1
            return UsageError(usage)
        self._usage.append(line)
        if len(self._usage) > self._max_usage_lines:
            return self._fail(f"usage reply longer than {self._max_usage_lines} lines")
        return None

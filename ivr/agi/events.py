"""Events the AGI connection produces from Asterisk's bytes (see `AgiConnection.next_event`).

Reply formats follow res_agi.c (Asterisk 22): `200 result=<n> [(<data>)] [key=value ...]`,
`510 Invalid or unknown command`, `511 Command Not Permitted on a dead channel or intercept routine`, and the
multi-line usage reply `520-Invalid command syntax.  Proper usage follows:` ... `520 End of proper usage.`.
`HANGUP` is not a reply: a FastAGI server receives it on its own line when the channel hangs up (run_agi,
unless AGISIGHUP=no).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Environment:
    """The `agi_*: value` lines Asterisk sends first, up to the blank line. Values are sanitised text."""

    variables: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.variables.get(key, default)

    @property
    def arguments(self) -> tuple[str, ...]:
        """agi_arg_1, agi_arg_2, ... in order (the AGI() application arguments after the script)."""
        found: list[str] = []
        while f"agi_arg_{len(found) + 1}" in self.variables:
            found.append(self.variables[f"agi_arg_{len(found) + 1}"])
        return tuple(found)

    @property
    def script(self) -> str:
        """The flow name: NAME from agi://host:port/NAME[?query], or the script file name in process AGI."""
        location = self.get("agi_network_script") or self.get("agi_request").rsplit("/", 1)[-1]
        return location.split("?", 1)[0].strip("/")


@dataclass(frozen=True)
class Result:
    """A `200 result=...` reply. `result` is the raw text (digits for GET DATA, a number otherwise)."""

    result: str
    data: str | None = None  # the text in parentheses, e.g. the value of GET VARIABLE or "timeout"
    fields: dict[str, str] = field(default_factory=dict)  # trailing key=value pairs, e.g. endpos

    @property
    def number(self) -> int | None:
        """`result` as an integer, or None when it is not one (GET DATA digits such as "12#" or "")."""
        try:
            return int(self.result)
        except ValueError:
            return None


@dataclass(frozen=True)
class UsageError:
    """520: Asterisk rejected the command's arguments; `usage` is the usage text it sent back."""

    usage: str


@dataclass(frozen=True)
class InvalidCommand:
    """510: Asterisk does not know the command."""

    text: str


@dataclass(frozen=True)
class DeadChannel:
    """511: the command is not allowed on a dead channel (media after hangup)."""

    text: str


@dataclass(frozen=True)
class ErrorReply:
    """Any other status code (e.g. `503 result=-2 Memory allocation failure`)."""

    code: int
    text: str


@dataclass(frozen=True)
class HangupNotice:
    """The bare `HANGUP` line: the channel hung up. Not a reply; the pending command's reply still follows."""


@dataclass(frozen=True)
class NeedData:
    """Nothing complete in the buffer: read more bytes and call `receive_data`."""


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the stream at a clean point (between replies, or before sending anything)."""


@dataclass(frozen=True)
class ProtocolError:
    """The peer broke the protocol (oversized line, garbage, cut environment): the connection is unusable."""

    reason: str


Reply = Result | UsageError | InvalidCommand | DeadChannel | ErrorReply
Event = Environment | Reply | HangupNotice | NeedData | ConnectionClosed | ProtocolError

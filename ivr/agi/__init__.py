"""Sans-I/O AGI: a connection state machine (bytes in, events out) and command builders. No sockets here."""

from ivr.agi.connection import AgiConnection, AgiStateError, environment_from_mapping, parse_result, sanitize
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
    Reply,
    Result,
    UsageError,
)

__all__ = [
    "AgiConnection",
    "AgiStateError",
    "ConnectionClosed",
    "DeadChannel",
    "Environment",
    "ErrorReply",
    "Event",
    "HangupNotice",
    "InvalidCommand",
    "NeedData",
    "ProtocolError",
    "Reply",
    "Result",
    "UsageError",
    "environment_from_mapping",
    "parse_result",
    "sanitize",
]

"""The call record: what the agi side reports about every call, and what the API stores.

This model is the wire contract between `ivr` (which writes it to its durable outbox) and `api` (which stores it
in PostgreSQL). One record per call, keyed by Asterisk's linkedid, so posting the same call twice is harmless.
"""

from __future__ import annotations

import enum
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# The range every instant must fall in. PostgreSQL and Python disagree at the edges (year 1 with a positive offset
# overflows asyncpg; a year-1 UTC value is stored as -infinity, which no date arithmetic survives), and no call of
# this system happened before 2000 or will after 2100: anything outside is a broken clock, refused at the door.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# The longest duration a call can report (a week): a larger one is a broken clock and would swamp every average.
MAX_SECONDS = 7 * 86400.0


def bounded_instant(value: datetime) -> datetime:
    """An aware instant within [EARLIEST, LATEST), returned in UTC; ValueError otherwise."""
    if value.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2026-01-01T09:00:00Z")
    if not EARLIEST <= value < LATEST:  # compared before converting: converting year 1 or 9999 may overflow
        raise ValueError(f"must be from {EARLIEST.date()} up to {LATEST.date()}")
    return value.astimezone(UTC)


def is_instant(value: datetime | None) -> bool:
    """True when `value` would pass as an Instant."""
    return value is not None and value.utcoffset() is not None and EARLIEST <= value < LATEST


def clamp_instant(value: datetime) -> datetime:
    """The nearest instant the record accepts, in UTC (a naive value is taken as UTC): for the call plane, which
    must build a record whatever its clock says."""
    aware = value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
    if aware < EARLIEST:
        return EARLIEST
    if aware >= LATEST:
        return LATEST - timedelta(seconds=1)
    return aware.astimezone(UTC)


MAX_VERSION = 2**63 - 1  # a PostgreSQL bigint


def version_at(now: datetime) -> int:
    """The version of a record built at `now`: microseconds since the epoch (monotonic with the building clock)."""
    aware = now if now.utcoffset() is not None else now.replace(tzinfo=UTC)
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return min(max(0, delta // timedelta(microseconds=1)), MAX_VERSION)


def clamp_seconds(value: float | None) -> float | None:
    """A duration made storable: None when not a finite number, else within [0, MAX_SECONDS]."""
    if value is None or not math.isfinite(value):
        return None
    return min(max(value, 0.0), MAX_SECONDS)


Instant = Annotated[datetime, AfterValidator(bounded_instant)]
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]


class Outcome(enum.StrEnum):
    ANSWERED = "answered"
    ABANDONED_IVR = "abandoned_ivr"
    ABANDONED_QUEUE = "abandoned_queue"
    VOICEMAIL = "voicemail"
    AFTER_HOURS = "after_hours"
    CALLBACK = "callback"
    FAILED = "failed"


class Route(enum.StrEnum):
    """What the inbound flow told the dialplan to do (IVR_ROUTE)."""

    QUEUE = "queue"
    VOICEMAIL = "voicemail"
    HANGUP = "hangup"
    CALLBACK = "callback"  # the caller left the queue for a callback (queue_wait flow)


class CallRecord(BaseModel):
    """One call, whatever happened to it."""

    model_config = ConfigDict(extra="forbid", str_max_length=512)

    linkedid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    caller_number: str = Field(default="", max_length=64)
    caller_name: str = Field(default="", max_length=256)
    dialed_number: str = Field(default="", max_length=64)
    started_at: Instant
    answered_at: Instant | None = None
    ended_at: Instant | None = None
    language: str | None = Field(default=None, max_length=16)
    route: Route | None = None
    request_type: int | None = Field(default=None, ge=1, le=99)
    reference: str | None = Field(default=None, max_length=32)
    queue: str | None = Field(default=None, max_length=64)
    wait_seconds: Seconds | None = None
    agent: str | None = Field(default=None, max_length=128)
    talk_seconds: Seconds | None = None
    outcome: Outcome
    hangup_cause: str | None = Field(default=None, max_length=64)
    voicemail_path: str | None = Field(default=None, max_length=512)
    survey_rating: int | None = Field(default=None, ge=1, le=5)  # post-call survey (flows/survey.py)
    # Where the caller was in the IVR when it handed over or hung up (inbound's IVR_STAGE: language_menu,
    # after_hours, message_subject, request_type_menu, reference_entry, request_status, transfer).
    stage: str | None = Field(default=None, max_length=32, pattern=r"^[a-z_]+$")
    version: int = Field(default=0, ge=0, le=MAX_VERSION)  # see "Versions" above; the API keeps the newest

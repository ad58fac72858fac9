"""Request and response bodies. The write schema is the agi side's wire model, `ivr.records.CallRecord`."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator

from ivr.records import CallRecord


class CallCreate(CallRecord):
    """A call record as posted by the agi side (one object or a list of them)."""

    # Infinity or NaN seconds would poison every average in the reports.
    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL; refuse it here with a 422 naming the field instead of a 500 later.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        # A wall-clock time without offset is ambiguous (whose clock?); the agi side always sends UTC offsets.
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise ValueError("needs a UTC offset, e.g. 2026-01-01T09:00:00Z")
        return value


class CallPublic(CallRecord):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int
    received_at: datetime
    updated_at: datetime
    deliveries: int


class StoredCall(BaseModel):
    id: int
    linkedid: str


class CallsStored(BaseModel):
    count: int
    items: list[StoredCall]


class CallPage(BaseModel):
    items: list[CallPublic]
    next_cursor: str | None  # pass back as ?cursor= for the next page; None on the last page


class CallerLanguagePublic(BaseModel):
    caller_number: str
    language: str
    call_started_at: datetime


class GroupBy(enum.StrEnum):
    NONE = "none"
    LANGUAGE = "language"
    QUEUE = "queue"
    HOUR = "hour"
    DAY = "day"


class SummaryRow(BaseModel):
    key: str  # the group: a language, a queue, a local hour (YYYY-MM-DDTHH:00), a local day, or "all"
    offered: int  # every call in the period
    answered: int
    abandoned: int  # abandoned_ivr + abandoned_queue
    abandoned_ivr: int
    abandoned_queue: int
    offered_to_queue: int  # answered + abandoned_queue: the denominator of the service level
    answered_within_threshold: int
    asa_seconds: float | None  # average speed of answer: mean wait of answered calls
    aht_seconds: float | None  # average handle time: mean talk time of answered calls
    service_level_percent: float | None  # answered within threshold / offered to queue * 100


class Summary(BaseModel):
    group_by: GroupBy
    timezone: str
    threshold_seconds: float
    period_from: datetime | None
    period_to: datetime | None
    rows: list[SummaryRow]


class Health(BaseModel):
    status: str
    database: str

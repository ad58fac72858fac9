"""Call records and remembered languages. The write schema is the agi side's wire model, `ivr.records.CallRecord`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator

from callcenter.records import CallRecord


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
    stale: bool = False  # a newer version of this call was already stored: this post changed nothing


class CallsStored(BaseModel):
    count: int
    items: list[StoredCall]


class CallPage(BaseModel):
    items: list[CallPublic]
    next_cursor: str | None  # pass back as ?cursor= for the next page; None on the last page


class CallerLanguagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    caller_number: str
    language: str
    call_started_at: datetime

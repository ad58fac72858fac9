"""The waiting experience: a queue's estimated wait, and callbacks that keep a caller's place."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callcenter.records import Instant

QUEUE_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class QueueEstimate(BaseModel):
    queue: str
    position: int
    estimated_wait_s: float | None  # None: no answered call in the last hour to estimate from
    agents_available: int


class CallbackCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "+212600000001",
                    "queue": "q-fr",  # one of the call-center file's queues
                    "language": "fr",
                    "linkedid": "1795400000.1",
                    "uniqueid": "1795400000.1",
                    "joined_at": "2026-11-10T09:00:00Z",
                }
            ]
        }
    )

    number: str = Field(pattern=r"^\+?[0-9]{3,20}$")
    queue: str = Field(pattern=QUEUE_PATTERN)
    language: str = Field(default="", pattern=r"^([a-z]{2,3})?$")
    linkedid: str = Field(default="", max_length=64)
    uniqueid: str = Field(default="", max_length=64)  # the waiting channel's, to match its queue events

    @field_validator("linkedid", "uniqueid")
    @classmethod
    def _storable(cls, value: str) -> str:
        if "\x00" in value:  # PostgreSQL text cannot hold NUL: a 422 naming the field, not a 500 later
            raise ValueError("must not contain NUL characters")
        return value
    joined_at: Instant  # when the caller first joined the queue: the callback keeps that place


class CallbackPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    queue: str
    language: str
    linkedid: str
    joined_at: datetime
    requested_at: datetime
    status: str
    attempts: int
    agent: str

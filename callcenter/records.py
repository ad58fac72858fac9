"""The call record: what the agi side reports about every call, and what the API stores.

This model is the wire contract between `ivr` (which writes it to its durable outbox) and `api` (which stores it
in PostgreSQL). One record per call, keyed by Asterisk's linkedid, so posting the same call twice is harmless.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    language: str | None = Field(default=None, max_length=16)
    route: Route | None = None
    request_type: int | None = Field(default=None, ge=1, le=99)
    reference: str | None = Field(default=None, max_length=32)
    queue: str | None = Field(default=None, max_length=64)
    wait_seconds: float | None = Field(default=None, ge=0)
    agent: str | None = Field(default=None, max_length=128)
    talk_seconds: float | None = Field(default=None, ge=0)
    outcome: Outcome
    hangup_cause: str | None = Field(default=None, max_length=64)
    voicemail_path: str | None = Field(default=None, max_length=512)
    survey_rating: int | None = Field(default=None, ge=1, le=5)  # post-call survey (flows/survey.py)
    # Where the caller was in the IVR when it handed over or hung up (inbound's IVR_STAGE: language_menu,
    # after_hours, message_subject, request_type_menu, reference_entry, request_status, transfer).
    stage: str | None = Field(default=None, max_length=32, pattern=r"^[a-z_]+$")

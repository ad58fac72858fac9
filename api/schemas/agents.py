"""Agents and supervisors: logging a seat into the language queues, pausing it, its state during a call, and
listening in on it."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

SEAT_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"  # a PJSIP endpoint name


class Skill(enum.StrEnum):
    NATIVE = "native"
    FLUENT = "fluent"
    BASIC = "basic"


class AgentLogin(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"skills": {"fr": "native", "en": "fluent"}}]})

    skills: dict[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")], Skill] = Field(min_length=1, max_length=16)


class AgentPause(BaseModel):
    # one line of printable text: it reaches Asterisk's queue log and the stored queue events (no NUL, no controls)
    reason: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")


class AgentQueue(BaseModel):
    queue: str
    state: str
    penalty: int
    paused_reason: str


class PreviousCall(BaseModel):
    started_at: str
    language: str | None
    request_type: int | None
    reference: str | None
    outcome: str


class PreviousRequest(BaseModel):
    reference: str
    type_key: str
    status: str
    created_at: str
    due_at: str


class CurrentCaller(BaseModel):
    number: str
    language: str
    request_type: str
    reference: str
    previous_calls: list[PreviousCall]
    ringing: bool = False  # not answered yet (AgentCalled)
    uniqueid: str = ""  # the call, for the disposition
    linkedid: str = ""
    reference_status: str | None = None  # the status of the request whose reference the caller keyed
    previous_requests: list[PreviousRequest] = []


class AgentPublic(BaseModel):
    seat: str
    queues: list[AgentQueue]
    caller: CurrentCaller | None


class SpyMode(enum.StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


class SpyCreate(BaseModel):
    agent: str = Field(pattern=SEAT_PATTERN, description="the seat to listen to")
    supervisor_seat: str = Field(pattern=SEAT_PATTERN, description="the supervisor's own phone, rung first")
    mode: SpyMode = SpyMode.LISTEN


class SpyStarted(BaseModel):
    agent: str
    supervisor_seat: str
    mode: SpyMode
    channel: str


class BoardQueue(BaseModel):
    queue: str
    language: str
    name: str  # the language's own name (العربية, Français): the queue card's title
    english_name: str


class BoardPublic(BaseModel):
    """What the wallboard needs besides the live state: thresholds, queue titles, and the viewer's own seat."""

    service_level_s: float
    service_level_target_percent: float
    longest_wait_limit_s: int
    abandon_rate_limit_percent: float
    paused_limit_s: int
    sound_alert: bool
    queues: list[BoardQueue]
    seat: str | None  # the supervisor's own phone, rung first for listen/whisper/barge

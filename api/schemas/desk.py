"""The agent's page: the day view (state, queues with skills, today's figures and calls), the desk's
configuration (request types, outcomes, languages), dispositions (Create and Public), and calling a request's
citizen back."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.agents import SEAT_PATTERN
from api.schemas.requests import RequestCreated

LINKEDID_PATTERN = r"^[A-Za-z0-9._-]+$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class DayQueue(BaseModel):
    queue: str
    language: str | None  # the language this queue serves (None: not a language queue)
    skill: str  # from the penalty the seat logged in with: native, fluent, basic
    state: str
    since: datetime | None
    paused_reason: str


class DayFiguresPublic(BaseModel):
    calls_answered: int
    talk_seconds: float
    after_call_seconds: float
    average_handle_seconds: float | None


class DayCall(BaseModel):
    linkedid: str
    started_at: datetime
    caller_number: str
    language: str | None
    request_type: int | None
    talk_seconds: float | None
    outcome: str
    disposition: str | None  # the outcome the seat closed it with, None while not disposed


class LastCall(BaseModel):
    """The seat's latest queue call today (AgentComplete), for the disposition form."""

    linkedid: str
    uniqueid: str
    number: str
    language: str
    ended_at: datetime
    disposed: bool


class AgentDay(BaseModel):
    seat: str
    day: date
    state: str
    since: datetime | None
    time_in_state_s: float | None
    paused_reason: str
    queues: list[DayQueue]
    figures: DayFiguresPublic
    calls: list[DayCall]
    last_call: LastCall | None


class NamedChoice(BaseModel):
    key: str
    names: dict[str, str]


class RequestTypeChoice(NamedChoice):
    digit: str
    deadline_hours: float


class OutcomeChoice(NamedChoice):
    proposes_request: bool


class LanguageChoice(BaseModel):
    code: str
    name: str
    queue: str


class DeskConfig(BaseModel):
    languages: list[LanguageChoice]
    request_types: list[RequestTypeChoice]
    outcomes: list[OutcomeChoice]
    due_soon_hours: float


class FollowUpCreate(_Body):
    """The request a disposition opens: its deadline is counted from now by the type's rules."""

    request_type: int = Field(ge=1, le=99)
    description: str = Field(min_length=1, max_length=4000)


class CallDispositionCreate(_Body):
    """How the agent closed a call: a configured outcome, a note, and optionally a new request."""

    linkedid: str = Field(min_length=1, max_length=64, pattern=LINKEDID_PATTERN)
    uniqueid: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9._-]*$")
    outcome: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=4000)
    caller_number: str = Field(default="", max_length=64)
    language: str | None = Field(default=None, max_length=16)
    request: FollowUpCreate | None = None


class CallDispositionPublic(BaseModel):
    linkedid: str
    uniqueid: str
    seat: str
    outcome: str
    note: str
    caller_number: str
    language: str | None
    created_by: str
    created_at: datetime
    request: RequestCreated | None


class CallBackCreate(_Body):
    seat: str = Field(pattern=SEAT_PATTERN, description="the agent's seat, rung first; then the citizen")


class CallBackStarted(BaseModel):
    reference: str
    seat: str
    number: str

"""Requests: the bodies that open or change one (Create), and what the API shows of them (Public)."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callcenter.records import Instant
from callcenter.requests import RequestStatus


def _no_nul(value: object) -> object:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2026-01-01T09:00:00Z")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000, allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        return _no_nul(value)


class VoicemailRequestCreate(_Body):
    """The voicemail flow asking for the reference of the message it just recorded."""

    linkedid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    caller_number: str = Field(default="", max_length=64)
    dialed_number: str = Field(default="", max_length=64)
    language: str | None = Field(default=None, max_length=16)
    request_type: int | None = Field(default=None, ge=1, le=99)
    voicemail_path: str = Field(min_length=1, max_length=512)
    route: str | None = Field(default=None, max_length=16)
    at: Instant


class DispositionCreate(_Body):
    """An agent closing a call with a disposition that needs follow-up."""

    linkedid: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    request_type: int = Field(ge=1, le=99)
    description: str = Field(min_length=1, max_length=4000)
    caller_number: str = Field(default="", max_length=64)
    language: str | None = Field(default=None, max_length=16)
    service: str = Field(default="", max_length=64)
    category: str | None = Field(default=None, max_length=40, description="a [complaints] category key")
    district: str = Field(default="", max_length=64)


class PortalRequestCreate(_Body):
    """The web portal's form."""

    request_type: int = Field(ge=1, le=99)
    description: str = Field(min_length=1, max_length=4000)
    contact: str = Field(min_length=3, max_length=256)  # e-mail or phone number to answer to
    language: str | None = Field(default=None, max_length=16)
    service: str = Field(default="", max_length=64)
    category: str | None = Field(default=None, max_length=40, description="a [complaints] category key")
    district: str = Field(default="", max_length=64)


class CorrectionCreate(_Body):
    description: str = Field(min_length=1, max_length=4000)


class StatusChange(_Body):
    status: RequestStatus
    note: str = Field(default="", max_length=4000)


class NoteCreate(_Body):
    note: str = Field(min_length=1, max_length=4000)


class RequestCreate(BaseModel):
    """What opening a request stores, whatever opened it (api.crud.requests builds it from the bodies above, or
    from a call record that left a message)."""

    source: str  # voicemail | disposition | portal | correction
    request_type: int | None  # None: a message left without choosing one; it gets the first configured type
    created_at: datetime
    created_by: str
    origin_key: str | None = None  # what made it, once: "voicemail:<linkedid>"; a replay finds the same request
    language: str | None = None
    service: str = ""
    caller_number: str = ""
    contact: str = ""
    description: str = ""
    linkedid: str | None = None
    voicemail_path: str | None = None
    corrects_id: int | None = None
    channel: str = ""  # issue 17 B: phone | web | email | chat | paper | pwa ("": from `source`)
    location_text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    category: str | None = None  # the complaint workflow's category (callcenter.departments), when known
    district: str = ""


class RequestCreated(BaseModel):
    reference: str
    due_at: datetime


class RequestStatusPublic(BaseModel):
    """What the IVR may tell a caller who keys a reference: nothing personal."""

    reference: str
    status: RequestStatus


class RequestEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str


class RequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reference: str
    source: str
    request_type: int
    type_key: str
    language: str | None
    service: str
    caller_number: str
    contact: str
    description: str
    linkedid: str | None
    has_recording: bool = False
    status: RequestStatus
    archived: bool
    corrects: str | None = None
    created_by: str
    created_at: datetime
    due_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    overdue: bool = False
    channel: str = ""  # issue 17 B
    location_text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    stage: str | None = None  # the complaint workflow's stage; set: the status moves on /complaints only


class CitizenNotificationPublic(BaseModel):
    """What the citizen was told or is still to be told (api.channels.notify, shown by api.channels.notify_desk);
    never the text; the address only to roles that see the citizen's contact."""

    model_config = ConfigDict(from_attributes=True)

    id: int  # for POST /requests/{reference}/notifications/{id}/retry
    kind: str  # received | the new status
    channel: str  # email | sms
    recipient: str | None = None  # None: not shown to this role
    outcome: str  # pending | sent | failed (tried again at next_try_at) | given_up
    attempts: int  # tries so far (since it was asked again, if it was)
    at: datetime  # when it was first queued
    sent_at: datetime | None
    next_try_at: datetime | None
    error: str  # the last failed try's, as the worker wrote it ("" to roles that do not see the contact)
    reason: str = ""  # the error in a word: unreachable, recipient_refused, ..., other (notify_desk.reason_of)
    requeued_at: datetime | None = None  # a given-up notification asked again by staff: when, and by whom
    requeued_by: str = ""
    can_retry: bool = False  # given up, and yours to ask again


class RequestDetail(RequestPublic):
    history: list[RequestEventPublic]
    # set: the request moves on POST /complaints/{this}/transitions only (itself, or the complaint it corrects)
    workflow_reference: str | None = None
    notifications: list[CitizenNotificationPublic] = []  # oldest first


class DueFilter(enum.StrEnum):
    ALL = "all"
    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class RequestPage(BaseModel):
    items: list[RequestPublic]

"""The channels' bodies (issue 17 B): the web form with photos and a place, a paper letter entered at the desk,
the satisfaction answer; and what staff see of a request's files."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from api.schemas.requests import _Body


class FormChannel(enum.StrEnum):
    WEB = "web"
    PWA = "pwa"  # the installed portal (a form kept offline and sent on reconnection)


class _Placed(_Body):
    # multipart forms: the files travel beside the fields (FastAPI hands the model every part)
    model_config = ConfigDict(extra="ignore")

    location_text: str = Field(default="", max_length=300)  # an address, a landmark
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value  # a form's empty choice ("I don't know"): the type's default category


# a [complaints] category key (GET /portal/config lists those offered per request type; api.routes.channels checks)
CategoryChoice = Annotated[
    str | None, BeforeValidator(_blank_is_none), Field(default=None, max_length=40, description="a category key")
]


class PortalFormCreate(_Placed):
    """The portal's form (multipart, with its photos beside it)."""

    request_type: int = Field(ge=1, le=99)
    description: str = Field(min_length=1, max_length=4000)
    contact: str = Field(min_length=3, max_length=256)  # e-mail or phone number to answer to
    language: str | None = Field(default=None, max_length=16)
    service: str = Field(default="", max_length=64)
    channel: FormChannel = FormChannel.WEB
    category: CategoryChoice = None


class PaperRequestCreate(_Placed):
    """A letter received at the desk, typed in by desk staff (its scan beside it)."""

    request_type: int = Field(ge=1, le=99)
    description: str = Field(min_length=1, max_length=4000)
    contact: str = Field(default="", max_length=256)  # the sender's postal address, e-mail or phone
    language: str | None = Field(default=None, max_length=16)
    service: str = Field(default="", max_length=64)
    category: CategoryChoice = None


class PortalTracking(BaseModel):
    """What the portal tells anyone holding a reference: no name, contact, description, place or staff name."""

    reference: str
    request_type: int
    type_key: str
    status: str  # callcenter.requests.RequestStatus: new | in_progress | answered | closed
    stage: str | None  # callcenter.workflow.Stage for a request in the complaint workflow, else null
    received_at: datetime
    due_at: datetime  # the answer deadline (the workflow's, once a category set it)
    answered_at: datetime | None
    closed_at: datetime | None
    answer: str | None  # the approved answer, once approved or closed (workflow requests only)


class SatisfactionAnswer(_Body):
    token: str = Field(min_length=16, max_length=64)
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    origin: str
    filename: str
    media_type: str
    size: int
    created_by: str
    created_at: datetime


class AttachmentPage(BaseModel):
    items: list[AttachmentPublic]


class PortalRequestType(BaseModel):
    number: int
    key: str
    names: dict[str, str]


class PortalCategory(BaseModel):
    """A category a citizen may choose (api.complaints.offered_categories): no department, no deadline."""

    key: str
    names: dict[str, str]
    request_types: list[int]  # the numbers of the request types it may be chosen with


class PortalConfig(BaseModel):
    """What the portal's form offers: the request types (with their names per language), the languages, and the
    categories of the complaint workflow (none without one)."""

    request_types: list[PortalRequestType]
    languages: list[str]
    categories: list[PortalCategory] = []

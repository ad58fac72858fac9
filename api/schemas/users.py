"""Staff accounts and sign-in: creating a user, resetting a password, the sign-in body, and who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from api.security.passwords import MAX_LENGTH, MIN_LENGTH
from api.security.tokens import Role
from api.security.users import USERNAME_PATTERN, normalise_username

SEAT_FIELD = r"^[A-Za-z0-9_.-]{1,64}$"
UiLanguage = Literal["fr", "ar", "en"]


class UserCreate(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="lowercase; what the person types to sign in")
    display_name: str = Field(min_length=1, max_length=128, pattern=r"^[^\r\n\x00]+$")
    role: Literal[Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.DESK, Role.OFFICER, Role.OFFICIAL]
    seat: str | None = Field(default=None, pattern=SEAT_FIELD, description="an agent's PJSIP endpoint, e.g. agent1001")
    language: UiLanguage = "fr"
    password: str | None = Field(
        default=None, min_length=MIN_LENGTH, max_length=MAX_LENGTH, description="none: one is generated and returned"
    )

    @field_validator("username", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return normalise_username(value) if isinstance(value, str) else value


class UserPublic(BaseModel):
    username: str
    display_name: str
    role: Role
    seat: str | None
    language: str
    disabled: bool
    created_at: datetime
    updated_at: datetime


class UserCreated(BaseModel):
    user: UserPublic
    password: str | None = Field(description="the generated password, shown this once; null when one was given")


class PasswordReset(BaseModel):
    password: str | None = Field(
        default=None, min_length=MIN_LENGTH, max_length=MAX_LENGTH, description="none: one is generated and returned"
    )


class PasswordIssued(BaseModel):
    password: str | None = Field(description="the generated password, shown this once; null when one was given")


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00]+$")  # PostgreSQL text holds no NUL
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class Me(BaseModel):
    """Who is calling: a signed-in person (with the CSRF token the pages send back) or a bearer token."""

    username: str
    display_name: str
    role: Role
    seat: str | None
    language: str | None
    csrf_token: str | None = Field(description="send it as X-CSRF-Token on POST/PUT/PATCH/DELETE; null for a token")
    expires_at: datetime | None

"""API settings, read from the environment once at start-up and passed down (never read at import)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.security.sessions import LoginLimit, SessionPolicy
from api.security.users import DEFAULT_SEATS, parse_seats
from callcenter.config import TimeZoneName

MIB = 1024 * 1024


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IVR_API_", extra="ignore", populate_by_name=True)

    # None: start the embedded PostgreSQL under var_dir/pg (see api.db).
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "IVR_API_DATABASE_URL", "database_url")
    )
    # Demo/test mode: known tokens are created and printed. Outside it, those tokens are refused.
    demo: bool = Field(default=False, validation_alias=AliasChoices("IVR_DEMO", "demo"))
    var_dir: Path = Field(default=Path("var"), validation_alias=AliasChoices("IVR_VAR_DIR", "var_dir"))
    embedded_database: str = "ivr"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=MIB, ge=1024)
    max_batch: int = Field(default=500, ge=1, le=10_000)
    max_page_size: int = Field(default=500, ge=1)
    # Service level: % of calls offered to a queue that were answered within this many seconds.
    service_level_seconds: float = Field(default=20.0, gt=0)
    # Used for hour/day grouping when the call-center configuration (callcenter.config) does not say otherwise.
    timezone: TimeZoneName = "Africa/Casablanca"
    # Staff sign-in (api.security.sessions): session lifetime, the sign-in rate limit, the seats agents may have.
    session_idle_minutes: float = Field(default=30.0, gt=0)
    session_absolute_hours: float = Field(default=12.0, gt=0)
    cookie_secure: bool = True
    login_failures_per_user: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    seats: str = DEFAULT_SEATS
    # How often an open live socket re-checks its token or session (revoked, expired, signed out: closed).
    credential_recheck_seconds: float = Field(default=2.0, gt=0, le=60)

    @field_validator("seats")
    @classmethod
    def _seats_parse(cls, spec: str) -> str:
        parse_seats(spec)
        return spec

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(minutes=self.session_idle_minutes), absolute=timedelta(hours=self.session_absolute_hours)
        )

    @property
    def login_limit(self) -> LoginLimit:
        return LoginLimit(
            per_user=self.login_failures_per_user,
            per_address=self.login_failures_per_address,
            window=timedelta(minutes=self.login_window_minutes),
        )

    @property
    def seat_names(self) -> frozenset[str]:
        return parse_seats(self.seats)

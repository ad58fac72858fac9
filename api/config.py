"""API settings, read from the environment once at start-up and passed down (never read at import)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.schemas.softphone import IceServer
from api.security.sessions import LoginLimit, SessionPolicy
from api.security.users import DEFAULT_SEATS, parse_seats
from callcenter.config import TimeZoneName
from callcenter.logs import LogFormat, LogLevel

MIB = 1024 * 1024
YEAR_S = 365 * 86400


def _comma_separated(value: Any) -> Any:
    """An environment variable's list, written as "a, b" (a JSON list works too)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


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
    # Log lines: one JSON object each (production), or plain text for development (IVR_LOG_FORMAT=text).
    log_format: LogFormat = Field(default=LogFormat.JSON, validation_alias=AliasChoices("IVR_LOG_FORMAT", "log_format"))
    log_level: LogLevel = Field(default="INFO", validation_alias=AliasChoices("IVR_LOG_LEVEL", "log_level"))
    # /health and /metrics: how long PostgreSQL may take to answer before it counts as down.
    check_timeout_s: float = Field(default=2.0, gt=0, le=30)

    # Retention (api.retention): recordings and caller numbers of older calls and requests are removed or
    # pseudonymised by a daily job at `retention_hour` (in `timezone`); audit entries expire after their own period.
    retention_recordings_days: int = Field(default=90, ge=1, le=36_500)
    retention_numbers_days: int = Field(default=365, ge=1, le=36_500)
    retention_audit_days: int = Field(default=730, ge=1, le=36_500)
    retention_hour: int = Field(default=3, ge=0, le=23)
    retention_job: bool = True  # False when cron runs `ivr retention run` instead
    # Mail that made no request (refused or hostile: the quarantine; automatic; never processed) is deleted, raw and
    # all, after this many days (api.crud.retention_channels).
    retention_quarantine_days: int = Field(default=30, ge=1, le=36_500)
    # Keyed hash for pseudonyms (HMAC-SHA256), kept out of the database; unset: numbers become a fixed marker.
    pseudonym_key: SecretStr | None = None
    # The browser softphone (api.softphone): Asterisk's WSS address as browsers reach it, the seats' SIP domain
    # (default: the WSS host), STUN/TURN servers as JSON ([{"urls": ["turn:turn.example.org:3478"], "username":
    # "...", "credential": "..."}]), and the pjsip_secrets.conf holding the seats' passwords.
    softphone_wss_url: str | None = None
    softphone_sip_domain: str | None = None
    softphone_ice_servers: list[IceServer] = Field(default_factory=list)
    seat_secrets: Path | None = Field(default=None, validation_alias=AliasChoices("IVR_SEAT_SECRETS", "seat_secrets"))
    # Security (README "Security"). Proxies whose X-Forwarded-For/-Proto are believed (addresses or networks,
    # e.g. "10.0.0.5, 192.168.1.0/24"); none by default: the TCP peer is the client (api.net).
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = []
    # More connect-src for the pages' Content-Security-Policy: the agents' softphones reach Asterisk's WebRTC
    # WebSocket, e.g. "wss://pbx.example.org:8089" (api.security.headers).
    csp_connect_src: Annotated[list[str], NoDecode] = []
    # Strict-Transport-Security max-age, sent only on https requests; 0: never.
    hsts_seconds: int = Field(default=YEAR_S, ge=0)

    @field_validator("trusted_proxies", "csp_connect_src", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _comma_separated(value)

    @field_validator("csp_connect_src")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        for source in value:
            if not source or any(c.isspace() or c in ";,'\"" for c in source):
                raise ValueError(f"{source!r} is not one CSP source (e.g. wss://pbx.example.org:8089)")
        return value

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

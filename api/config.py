"""API settings, read from the environment once at start-up and passed down (never read at import)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from callcenter.config import TimeZoneName

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

"""The agi process's settings (environment, IVR_*): built once at start-up by `ivr agi` or process AGI and
passed down. The call center itself is callcenter.config's business."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from callcenter.loading import CALLCENTER_ENV
from callcenter.logs import LogFormat, LogLevel


class Settings(BaseSettings):
    """Process settings from the environment (IVR_AGI_PORT=4573 ...), built once at start-up."""

    model_config = SettingsConfigDict(env_prefix="IVR_", extra="ignore", populate_by_name=True)

    agi_host: str = "127.0.0.1"
    agi_port: int = Field(default=4573, ge=1, le=65535)
    api_url: str = "http://127.0.0.1:8000"
    api_token: str | None = Field(default=None, repr=False)
    spool_dir: Path = Path("var/outbox")
    callcenter_path: Path | None = Field(
        default=None, validation_alias=AliasChoices(CALLCENTER_ENV, "IVR_CALLCENTER_PATH", "callcenter_path")
    )
    voicemail_dir: Path = Path("/var/spool/asterisk/ivr-recordings")  # on the Asterisk host, written by Asterisk
    sounds_dir: Path = Path("var/sounds")
    # Recording prompts by phone (issue 18): the talents file (number, name, argon2 PIN hash) turns the
    # record_prompts flow on; `ivr prompts store` then keeps accepted takes in IVR_RECORDED_DIR (default
    # prompts/recorded) and rebuilds them into IVR_SOUNDS_DIR (sounds_dir), the Asterisk sounds folder.
    prompt_talents: Path | None = None
    # Log lines: one JSON object each (production), or plain text for development (IVR_LOG_FORMAT=text).
    log_format: LogFormat = LogFormat.JSON
    log_level: LogLevel = "INFO"
    # The agi process's Prometheus endpoint (ivr/observability.py): off unless a port is set (0: any free port).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # Calendar overrides entered by administrators (GET /config/overrides): polled every so many seconds, the last
    # known set kept in this file for a restart while the API is down (ivr/live_config.py).
    overrides_poll_s: float = Field(default=30.0, gt=0, le=3600)
    overrides_cache: Path = Path("var/calendar-overrides.json")

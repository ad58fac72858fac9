"""The agi process's settings (environment, IVR_*): built once at start-up by `ivr agi` or process AGI and
passed down. The call center itself is callcenter.config's business."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from callcenter.loading import CALLCENTER_ENV


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

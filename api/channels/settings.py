"""The channels' settings, from the environment, built once at start-up (`ivr mail serve`, create_app)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChannelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IVR_", extra="ignore")

    # The address citizens write to; our messages come from it too. Mail to any other address is refused.
    mail_address: str = "requests@localhost"
    mail_listen_host: str = "127.0.0.1"
    mail_listen_port: int = Field(default=2525, ge=1, le=65535)
    mail_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)  # the SMTP SIZE limit, whole message
    mail_request_type: int | None = Field(default=None, ge=1, le=99)  # None: the first configured type
    # Outbound mail (acknowledgements, status changes); no host: nothing is mailed (each try is recorded failed).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    # Where citizens open the portal (the satisfaction link in the closing message).
    portal_url: str = "http://127.0.0.1:8000"

    @property
    def mail_domain(self) -> str:
        return self.mail_address.rpartition("@")[2] or "localhost"

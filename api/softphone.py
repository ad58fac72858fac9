"""Browser softphones: a seat's SIP password from Asterisk's own secrets file, and the seat's softphone settings.

Rules:
- The seats' SIP passwords live in one place, the pjsip_secrets.conf that Asterisk includes (kept out of the
  repository; asterisk_conf/README.md). The API reads that file (IVR_SEAT_SECRETS) when a page asks, so a password
  changed there and reloaded in Asterisk is what the next page load gets; nothing is copied into the database.
- The file holds `[agentNNNN-auth](+)` (or a template) sections with `password = ...`; a seat's auth section is
  `<seat>-auth` (asterisk_conf/pjsip.conf). Anything else in it is ignored.
- Only the seat's own agent gets its password (api.routes.softphone); the reply is never cached.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_PASSWORD = re.compile(r"^\s*password\s*=>?\s*(.*?)\s*$")


class SoftphoneUnavailableError(Exception):
    """The softphone is not configured here, or the seat has no password: the message says which."""


def parse_seat_passwords(text: str) -> dict[str, str]:
    """Seat -> password from pjsip_secrets.conf text (`[agent1001-auth](+)` then `password = ...`)."""
    passwords: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].rstrip()  # Asterisk comments; a password cannot hold ';' unescaped
        header = _SECTION.match(line)
        if header:
            section = header.group(1).strip()
            continue
        found = _PASSWORD.match(line)
        if found and section.endswith("-auth") and found.group(1):
            passwords[section.removesuffix("-auth")] = found.group(1)
    return passwords


def seat_password(secrets_file: Path | None, seat: str) -> str:
    if secrets_file is None:
        raise SoftphoneUnavailableError("the browser softphone is not configured (IVR_SEAT_SECRETS is not set)")
    try:
        text = secrets_file.read_text()
    except OSError as error:
        raise SoftphoneUnavailableError(f"the seats' secrets file cannot be read: {error.strerror}") from error
    password = parse_seat_passwords(text).get(seat)
    if password is None:
        raise SoftphoneUnavailableError(f"seat {seat} has no SIP password in the seats' secrets file")
    return password


def sip_domain(wss_url: str, configured: str | None) -> str:
    """The domain of the seats' SIP URIs: the one configured, else the WSS address's host (Asterisk identifies
    agents by user name, so any domain reaches the same endpoint)."""
    if configured:
        return configured
    host = urlsplit(wss_url).hostname or ""
    return f"[{host}]" if ":" in host else host

"""Reading the call-center file: from a path, $IVR_CALLCENTER, or the packaged callcenter/callcenter.toml.

Rules:
- Load once per process, at start-up, and hand the `CallCenter` down; nothing reads the file at import time.
- A bad file must stop the process with a message an administrator can act on: `ConfigError` names the file
  and the key path (`callcenter.toml: languages[2].digit: ...`).
"""

from __future__ import annotations

import importlib.resources
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from callcenter.config import CallCenter

CALLCENTER_ENV = "IVR_CALLCENTER"
PACKAGED_NAME = "callcenter.toml"


class ConfigError(Exception):
    """The call-center file is missing, not TOML, or not a valid call center. The message says where."""


def _format_location(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def _describe_errors(source: str, error: ValidationError) -> str:
    lines = []
    for detail in error.errors(include_url=False):
        # Skip pydantic's internal tags (function-after[...]) so the path reads like the TOML keys.
        location = tuple(part for part in detail["loc"] if not (isinstance(part, str) and part.endswith("]")))
        if detail["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see the packaged callcenter.toml)"
        elif detail["type"] == "missing":
            message = "required key is missing"
        else:
            message = str(detail["msg"]).removeprefix("Value error, ")
        path = _format_location(location)
        for line in message.splitlines():
            lines.append(f"{source}: {path}: {line}" if path else f"{source}: {line}")
    return "\n".join(lines)


def parse_callcenter(text: str, source: str = PACKAGED_NAME) -> CallCenter:
    """Validate TOML text; `source` names the file in error messages."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    return callcenter_from_data(data, source)


def callcenter_from_data(data: dict[str, Any], source: str = PACKAGED_NAME) -> CallCenter:
    """Validate already-parsed TOML data; `source` names the file in error messages."""
    try:
        return CallCenter.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(source, exc)) from exc


def load_callcenter(path: Path | None = None) -> CallCenter:
    """Load the call center from `path`, else $IVR_CALLCENTER, else the packaged callcenter/callcenter.toml.

    Call it once per process, at start-up, and hand the result down."""
    if path is None and os.environ.get(CALLCENTER_ENV):
        path = Path(os.environ[CALLCENTER_ENV])
    if path is None:
        text = importlib.resources.files("callcenter").joinpath(PACKAGED_NAME).read_text(encoding="utf-8")
        return parse_callcenter(text, PACKAGED_NAME)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return parse_callcenter(text, str(path))

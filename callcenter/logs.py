"""One log line per event, the same in both processes: a JSON object (or plain text for development).

Rules:
- A line is one JSON object: `time` (UTC, ISO 8601, milliseconds), `level`, `logger`, `message`, then the fields
  of the context the line was logged in (`linkedid`, `uniqueid`, `flow` in the agi process while it handles a
  call; `request_id`, `method`, `path`, `status` in the API), then `exception` when there is one. A collector
  (journald, Loki, Elasticsearch) needs no parsing rule, and every line of one call is found by its linkedid.
- The context lives in a `ContextVar`: what a call's task binds is seen by every line that task (and the tasks
  it starts) logs, and by no other call's lines.
- Personal data: a caller's number is logged masked (`mask_number`), never in full at info level.
- Stdlib only (both planes import this module; the call plane has no web framework and few dependencies).
"""

from __future__ import annotations

import enum
import json
import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal, TextIO

_CONTEXT: ContextVar[Mapping[str, str]] = ContextVar("log_context", default=MappingProxyType({}))

# The fields of a LogRecord itself; anything else on a record came from `extra=` and is logged too.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_DROPPED = frozenset({"color_message"})  # uvicorn's message with terminal colour codes: not for a collector


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]  # for the settings: a typo stops the process, named


class LogFormat(enum.StrEnum):
    JSON = "json"
    TEXT = "text"


def log_context() -> Mapping[str, str]:
    """The fields bound in the current context."""
    return _CONTEXT.get()


def bind(**fields: str) -> None:
    """Add fields to the current context for the rest of this task (a call's linkedid once it is known)."""
    _CONTEXT.set({**_CONTEXT.get(), **fields})


class bound:  # noqa: N801  (used as `with bound(...)`; a class, not a generator: it runs once per call)
    """Fields bound for the duration of the block, then the context as it was."""

    __slots__ = ("_fields", "_token")

    def __init__(self, **fields: str) -> None:
        self._fields = fields

    def __enter__(self) -> None:
        self._token = _CONTEXT.set({**_CONTEXT.get(), **self._fields})

    def __exit__(self, *exc: object) -> None:
        _CONTEXT.reset(self._token)


def mask_number(number: str) -> str:
    """A caller's number with its middle digits hidden (+33612345678 -> +336******78): enough to tell two callers
    apart in a log, not enough to call them. Short or empty values (extensions, "anonymous") pass unchanged."""
    digits = [index for index, char in enumerate(number) if char.isdigit()]
    if len(digits) < 7:
        return number
    hidden = set(digits[3:-2])
    return "".join("*" if index in hidden else char for index, char in enumerate(number))


class JsonFormatter(logging.Formatter):
    """A LogRecord as one JSON object on one line (see the module rules)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_CONTEXT.get())
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in _DROPPED and not key.startswith("_"):
                line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format: time, level, logger, message, then the context as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = _CONTEXT.get()
        if not context:
            return text
        head, newline, tail = text.partition("\n")
        fields = " ".join(f"{key}={value}" for key, value in context.items())
        return f"{head} [{fields}]{newline}{tail}"


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format is LogFormat.JSON else TextFormatter()


def configure_logging(log_format: LogFormat, *, level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """Route the root logger (and uvicorn's, which keep their own handlers) to one stream in `log_format`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    # httpx logs every request's full URL at info, and the agi side asks for /callers/<number>/language.
    logging.getLogger("httpx").setLevel(logging.WARNING)

"""The caller's journey, read from Asterisk's own log (messages.log)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime

from sandbox.paths import SandboxPaths

# Asterisk's own log (logger.conf: messages.log with verbose(3), millisecond stamps) says when each channel was
# answered, each file started playing and the queue began: the caller's journey, measured where the media is.
_LOG_LINE = re.compile(r"^\[(?P<stamp>[\d-]+ [\d:.]+)\].*?(?P<channel>PJSIP/[\w.-]+-[0-9a-f]{8})(?P<rest>.*)$")
_PLAYING = re.compile(r"> Playing '(?P<file>[^']+?)(?:\.\w+)?' \((?:language|escape_digits)")


@dataclass(frozen=True)
class Journey:
    """One channel's path through the IVR, in seconds after its answer."""

    channel: str
    answered: float  # epoch seconds (Asterisk host clock)
    heard: tuple[tuple[float, str], ...] = ()  # (offset, sound file)
    queue_at: float | None = None

    def first(self, sound: str) -> float | None:
        return next((at for at, name in self.heard if name.endswith(sound)), None)


def journeys_from_log(log_text: str) -> dict[str, Journey]:
    """Every answered channel's journey, keyed by the caller number of the dialplan's `Inbound call from` line."""
    callers: dict[str, str] = {}
    answered: dict[str, float] = {}
    heard: dict[str, list[tuple[float, str]]] = {}
    queued: dict[str, float] = {}
    for line in log_text.splitlines():
        match = _LOG_LINE.match(line)
        if match is None:
            continue
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(match["stamp"]).timestamp()
            channel, rest = match["channel"], match["rest"]
            if "Inbound call from " in rest:
                callers.setdefault(rest.split("Inbound call from ", 1)[1].split('"', 1)[0], channel)
            if "Answer(" in line:
                answered.setdefault(channel, when)
            elif (playing := _PLAYING.search(rest)) is not None:
                heard.setdefault(channel, []).append((when, playing["file"]))
            elif "Queue(" in line:
                queued.setdefault(channel, when)
    journeys = {}
    for caller, channel in callers.items():
        start = answered.get(channel)
        if start is None:
            continue
        journeys[caller] = Journey(
            channel=channel,
            answered=start,
            heard=tuple((round(at - start, 2), name) for at, name in heard.get(channel, [])),
            queue_at=round(queued[channel] - start, 2) if channel in queued else None,
        )
    return journeys


def log_size(paths: SandboxPaths) -> int:
    log = paths.log_dir / "messages.log"
    return log.stat().st_size if log.exists() else 0


def read_log_from(paths: SandboxPaths, offset: int) -> str:
    log = paths.log_dir / "messages.log"
    if not log.exists():
        return ""
    with log.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")


def describe_journey(journey: Journey) -> list[str]:
    lines = [f"[{at:6.2f}s] heard {name}" for at, name in journey.heard]
    closed = journey.first("ivr/after_hours")
    if closed is not None:
        lines.append(f"journey: the after-hours message started {closed:.2f} s after the answer")
    if journey.queue_at is not None:
        lines.append(f"journey: in the queue {journey.queue_at:.2f} s after the answer")
    return lines

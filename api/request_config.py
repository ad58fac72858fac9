"""What the request routes share: the call center (request types, calendar), the recordings directory and the
portal's rate limit (counted in PostgreSQL: api.crud.rate_limits). Built once per application, on first use
(api.deps), from the call center create_app holds and the same recordings directory the agi side writes to
(IVR_VOICEMAIL_DIR).

Deadlines count the closures and holiday dates of the call-center file and those entered on /ui/closures.html:
`with_overrides` is this configuration with the latter merged in (callcenter.overrides.merged), pure; api.deps
reads the overrides in force for each request. One merged copy is kept per set of overrides, so its calendars'
caches of days live on; a set the file refuses (it cannot happen through /admin/calendar, which checks first) is
logged and ignored rather than breaking every request route.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.complaints import TransitionHook, TransitionRecorder
from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter
from callcenter.loading import ConfigError, load_callcenter
from callcenter.overrides import CalendarOverrides, merged
from callcenter.workflow import DepartmentCalendars

log = logging.getLogger(__name__)
MERGED_KEPT = 8  # merged copies kept per configuration (a set of overrides changes a few times a year)

# Asterisk's file extension for each RECORD FILE format of callcenter.toml [voicemail].format.
RECORDING_EXTENSIONS = {"wav": "wav", "wav49": "WAV", "gsm": "gsm", "ulaw": "ulaw", "alaw": "alaw", "g722": "g722",
                        "sln16": "sln16"}  # fmt: skip


PORTAL_WINDOW = timedelta(minutes=10)


class RequestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IVR_", extra="ignore", populate_by_name=True)

    # Where Asterisk writes voicemail (the same directory the agi side records into, seen from this host).
    recordings_dir: Path = Field(
        default=Path("/var/spool/asterisk/ivr-recordings"),
        validation_alias=AliasChoices("IVR_VOICEMAIL_DIR", "IVR_RECORDINGS_DIR", "recordings_dir"),
    )
    portal_limit: int = Field(default=5, ge=1)  # portal requests per address per 10 minutes
    due_soon_hours: float = Field(default=8.0, gt=0)  # business hours left that count as "due soon"
    # Dialed number -> service tag (consular post) for reports, as JSON: IVR_SERVICE_LINES='{"0800100200": "paris"}'
    service_lines: dict[str, str] = {}


@dataclass
class RequestConfig:
    callcenter: CallCenter
    recordings_dir: Path
    due_soon_hours: float = 8.0
    portal_limit: int = 5  # portal requests per address per PORTAL_WINDOW
    service_lines: dict[str, str] = field(default_factory=dict)
    calendar: BusinessCalendar = field(init=False)
    # The complaint workflow (api.complaints): each department's calendar, the recorders run inside every
    # transition's transaction (the citizen's notifications plug in here) and the hooks run after its commit.
    department_calendars: DepartmentCalendars = field(init=False)
    on_transition: list[TransitionHook] = field(default_factory=list)
    record_transition: list[TransitionRecorder] = field(default_factory=list)
    _merged: dict[str, RequestConfig] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.calendar = BusinessCalendar(self.callcenter)
        self.department_calendars = DepartmentCalendars(self.callcenter)
        self._merged = {}

    def with_overrides(self, overrides: CalendarOverrides) -> RequestConfig:
        """This configuration with the closures and holiday dates entered at run time in its calendars (itself
        when there are none, or when the file refuses them); the hooks are the same list."""
        if not overrides.closures and not overrides.holiday_overrides:
            return self
        key = json.dumps({**overrides.to_json(), "generation": 0}, sort_keys=True)
        found = self._merged.get(key)
        if found is None:
            try:
                callcenter = merged(self.callcenter, overrides)
            except ConfigError as error:
                log.warning("calendar overrides left out of request deadlines: %s", error)
                return self
            if len(self._merged) >= MERGED_KEPT:
                self._merged.clear()
            found = self._merged[key] = dataclasses.replace(self, callcenter=callcenter)
        return found

    @classmethod
    def from_environment(cls, callcenter: CallCenter | None = None) -> RequestConfig:
        """IVR_* settings, and the call center given (read from IVR_CALLCENTER when None)."""
        settings = RequestSettings()
        return cls(
            callcenter=callcenter if callcenter is not None else load_callcenter(),
            recordings_dir=settings.recordings_dir,
            due_soon_hours=settings.due_soon_hours,
            portal_limit=settings.portal_limit,
            service_lines=settings.service_lines,
        )

    def service_for(self, dialed_number: str) -> str:
        """The service tag of the line a caller dialed ("" when the line has none)."""
        return self.service_lines.get(dialed_number, "")

    def recording_file(self, voicemail_path: str | None) -> Path | None:
        """The recording's file, only if it lies inside the recordings directory (a stored path is not trusted)."""
        if not voicemail_path:
            return None
        extension = RECORDING_EXTENSIONS[self.callcenter.voicemail.format]
        root = self.recordings_dir.resolve()
        candidate = Path(f"{voicemail_path}.{extension}").resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

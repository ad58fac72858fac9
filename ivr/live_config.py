"""The configuration the agi process serves calls with, changeable while it runs.

Rules:
- Each call takes `current()` once, when its AGI session starts, and keeps that `FlowContext` to its end: a change
  applies to the next call and never to one in progress (nothing in a running call re-reads the configuration).
- A change is validated in full before it replaces anything. A bad file (SIGHUP, or an administrator's reload
  seen through `generation`) or a set of overrides that does not fit is refused with the loader's message and the
  running configuration kept.
- The call-center file is the base; the calendar overrides entered in the administration page (closures, holiday
  dates, callcenter.overrides) are merged into it. The last set that applied is kept in a small JSON file, so a
  restart while the API is down still starts with it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter
from callcenter.loading import ConfigError
from callcenter.overrides import CalendarOverrides, merged
from ivr.flows.context import FlowContext

log = logging.getLogger(__name__)


class LiveContext:
    """Holds the `FlowContext` new calls get; `reload_file` and `apply_overrides` replace it, or refuse."""

    def __init__(
        self,
        base: FlowContext,
        *,
        load: Callable[[], CallCenter],
        cache_path: Path | None = None,
    ) -> None:
        self._load = load  # reads and validates the call-center file (callcenter.loading), raises ConfigError
        self._file = base.callcenter
        self._overrides = CalendarOverrides()
        self._cache_path = cache_path
        self._context = base
        self.reloads = 0  # configurations applied since start (file or overrides), for tests and the log
        if cache_path is not None:
            self._restore_cache(cache_path)

    def current(self) -> FlowContext:
        """The context a call starting now keeps for its whole duration."""
        return self._context

    @property
    def overrides(self) -> CalendarOverrides:
        return self._overrides

    def reload_file(self) -> None:
        """Re-read the call-center file; ConfigError (running configuration kept) when it is bad."""
        callcenter = self._load()
        self._install(callcenter, self._overrides)
        log.info("call-center file reloaded: new calls use it (calls in progress keep theirs)")

    def apply_overrides(self, overrides: CalendarOverrides) -> bool:
        """Merge a new set of calendar overrides; True when new calls see a change. ConfigError when refused."""
        if overrides.same_calendar(self._overrides):
            self._overrides = overrides
            return False
        self._install(self._file, overrides)
        self._save_cache(overrides)
        log.info(
            "calendar overrides applied: %d closures, %d holiday years",
            len(overrides.closures),
            len(overrides.holiday_overrides),
        )
        return True

    def _install(self, callcenter: CallCenter, overrides: CalendarOverrides) -> None:
        effective = merged(callcenter, overrides)  # validates everything before anything is replaced
        self._context = dataclasses.replace(self._context, callcenter=effective, calendar=BusinessCalendar(effective))
        self._file, self._overrides = callcenter, overrides
        self.reloads += 1

    def _restore_cache(self, path: Path) -> None:
        try:
            overrides = CalendarOverrides.from_json(json.loads(path.read_text(encoding="utf-8")))
            self._install(self._file, overrides)
        except FileNotFoundError:
            return
        except (OSError, ValueError, ConfigError) as error:
            log.warning("ignoring the cached calendar overrides in %s: %s", path, error)
            return
        log.info("started with the last known calendar overrides (%s)", path)

    def _save_cache(self, overrides: CalendarOverrides) -> None:
        if self._cache_path is None:
            return
        try:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._cache_path.with_suffix(".tmp")
            temporary.write_text(json.dumps(overrides.to_json()), encoding="utf-8")
            os.replace(temporary, self._cache_path)  # atomic: a crash never leaves half a file
        except OSError as error:
            log.warning("could not cache the calendar overrides in %s: %s", self._cache_path, error)

"""How the agi process learns of the calendar overrides administrators enter (GET /config/overrides): a poll.

Rules:
- A loop: ask, hand the answer to `LiveContext`, wait `interval_s`. Polling, not a push: the API may be down or
  restarting, and an agi process must keep answering calls through that with the last set it knew (the
  LiveContext keeps it, and its cache file carries it across a restart).
- An outage is logged once when it starts and once when it ends, not at every poll.
- The agi process polls once before it serves its first call (bounded: a down API only delays start-up by
  that bound), so a fresh process applies the overrides in force to its first call, and its periodic polls
  never start together with it.
- A change of `generation` means an administrator asked every process to re-read its call-center file: the agi
  re-reads its own (a bad file is refused there and logged; the running configuration stays).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx

from callcenter.loading import ConfigError
from callcenter.overrides import CalendarOverrides
from ivr.adapters.api_client import http_client
from ivr.live_config import LiveContext

log = logging.getLogger(__name__)
OVERRIDES_PATH = "/config/overrides"

Fetch = Callable[[], Awaitable[CalendarOverrides]]


def api_fetch(*, api_url: str, token: str | None, timeout_s: float = 5.0) -> tuple[Fetch, httpx.AsyncClient]:
    """A fetch function over one HTTP client (close the client when done)."""
    client = http_client(api_url=api_url, token=token, timeout_s=timeout_s)

    async def fetch() -> CalendarOverrides:
        response = await client.get(OVERRIDES_PATH)
        response.raise_for_status()
        return CalendarOverrides.from_json(response.json())

    return fetch, client


class OverridesFollower:
    """Polls the API and hands each answer to the LiveContext; remembers the generation and whether it is failing."""

    def __init__(self, live: LiveContext, fetch: Fetch) -> None:
        self.live, self.fetch = live, fetch
        self.generation: int | None = None  # the file was read at start: only a later change asks for a re-read
        self.failing = False

    async def poll_once(self) -> None:
        try:
            overrides = await self.fetch()
        except (httpx.HTTPError, ConfigError, ValueError) as error:
            if not self.failing:
                log.warning("cannot read the calendar overrides (%s); keeping the last known set", error)
            self.failing = True
            return
        if self.failing:
            log.info("calendar overrides readable again")
        self.failing = False
        if self.generation is not None and overrides.generation != self.generation:
            try:
                self.live.reload_file()
            except ConfigError as error:
                log.error("configuration reload refused, running configuration kept:\n%s", error)
        self.generation = overrides.generation
        try:
            self.live.apply_overrides(overrides)
        except ConfigError as error:
            log.error("calendar overrides refused, running configuration kept:\n%s", error)

    async def run(self, *, interval_s: float, stop: asyncio.Event, wait_first: bool = False) -> None:
        """Poll until `stop` is set; `wait_first`: the first poll was made already (before serving calls)."""
        while not stop.is_set():
            if not wait_first:
                await self.poll_once()
            wait_first = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)


async def follow_overrides(live: LiveContext, fetch: Fetch, *, interval_s: float, stop: asyncio.Event) -> None:
    """Poll until `stop` is set."""
    await OverridesFollower(live, fetch).run(interval_s=interval_s, stop=stop)

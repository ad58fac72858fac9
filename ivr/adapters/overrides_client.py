"""How the agi process learns of the calendar overrides administrators enter (GET /config/overrides): a poll.

Rules:
- A loop: ask, hand the answer to `LiveContext`, wait `interval_s`. Polling, not a push: the API may be down or
  restarting, and an agi process must keep answering calls through that with the last set it knew (the
  LiveContext keeps it, and its cache file carries it across a restart).
- An outage is logged once when it starts and once when it ends, not at every poll.
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


async def follow_overrides(live: LiveContext, fetch: Fetch, *, interval_s: float, stop: asyncio.Event) -> None:
    """Poll until `stop` is set."""
    generation: int | None = None  # the file was read at start: only a later change asks for a re-read
    failing = False
    while not stop.is_set():
        try:
            overrides = await fetch()
        except (httpx.HTTPError, ConfigError, ValueError) as error:
            if not failing:
                log.warning("cannot read the calendar overrides (%s); keeping the last known set", error)
            failing = True
        else:
            if failing:
                log.info("calendar overrides readable again")
            failing = False
            if generation is not None and overrides.generation != generation:
                try:
                    live.reload_file()
                except ConfigError as error:
                    log.error("configuration reload refused, running configuration kept:\n%s", error)
            generation = overrides.generation
            try:
                live.apply_overrides(overrides)
            except ConfigError as error:
                log.error("calendar overrides refused, running configuration kept:\n%s", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)

"""The live queue service of the API process: AMI link + reducer + event store + WebSocket subscribers.

Rules:
- Start-up: replay the stored events of the local day (counters of the day survive a restart), then connect;
  every (re)connection resyncs from QueueStatus + QueueSummary before any new event is folded in.
- Each event is folded into the state, stored (if it is a real queue event) and published. A database outage
  costs history, never the live view: the store error is logged and the state still moves.
- Subscribers (WebSocket clients) get the newest snapshot only: a slow browser skips states, it never makes
  the AMI consumer wait or the server's memory grow.
- The AMI is optional: without settings (no IVR_AMI_SECRET) the API runs; actions answer 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.ami import store
from api.ami.client import AmiLink, AmiMessage, AmiSettings, AmiUnavailableError
from api.ami.state import LiveState

log = logging.getLogger(__name__)

Snapshot = dict[str, object]
REFRESH_S = 5.0  # wrap-up ends and waits grow without any event: re-publish this often


class AmiEnvironment(BaseSettings):
    """IVR_AMI_* from the environment, read once by `ivr api`. No secret: no AMI (the API still serves)."""

    model_config = SettingsConfigDict(env_prefix="IVR_AMI_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "ivr-api"
    secret: str = ""
    wrapup_s: int = Field(default=15, ge=0)  # queues.conf wrapuptime (app_queue does not report it)

    def link_settings(self) -> AmiSettings | None:
        if not self.secret:
            return None
        return AmiSettings(host=self.host, port=self.port, username=self.username, secret=self.secret)


def language_queues() -> dict[str, str]:
    """Language code -> queue, from the call-center file (ivr.config), the one source of truth."""
    from ivr.config import load_callcenter

    return {language.code: language.queue for language in load_callcenter().languages}


@dataclass
class LiveService:
    state: LiveState
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    ami_settings: AmiSettings | None
    queues_by_language: dict[str, str]
    link: AmiLink | None = None
    _subscribers: set[asyncio.Queue[Snapshot]] = field(default_factory=set)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    # -- life cycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.rebuild_today()
        if self.ami_settings is not None:
            self.link = AmiLink(self.ami_settings, on_event=self.on_event, on_connected=self.resync)
            self._tasks.append(asyncio.create_task(self.link.run()))
        self._tasks.append(asyncio.create_task(self._refresh()))

    async def stop(self) -> None:
        if self.link is not None:
            await self.link.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def rebuild_today(self) -> None:
        now = self.clock()
        local = now.astimezone(self.state.zone)
        midnight = datetime.combine(local.date(), time(0), tzinfo=self.state.zone)
        try:
            async with self.sessions() as session:
                events = await store.events_since(session, since=midnight)
        except Exception:
            log.exception("could not read today's queue events; counters start from zero")
            return
        for event in events:
            self.state.apply(event, now)
        log.info("rebuilt live state from %d stored queue events", len(events))

    async def resync(self, link: AmiLink) -> None:
        """After a (re)connection: what Asterisk says now replaces what we believed (QueueStatus/Summary)."""
        status = await link.listing("QueueStatus")
        summary = await link.listing("QueueSummary")
        now = self.clock()
        self.state.begin_resync()
        for message in [*status, *summary]:
            self.state.apply(message, now)
        self.publish()

    async def on_event(self, event: AmiMessage) -> None:
        now = self.clock()
        if not self.state.apply(event, now):
            return
        if store.storable(event):
            try:
                async with self.sessions() as session:
                    await store.save_events(session, events=[event], received_at=now)
            except Exception:
                log.exception("could not store queue event %s", event.get("Event"))
        self.publish()

    # -- publishing -------------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        snapshot = self.state.snapshot(self.clock())
        snapshot["ami"] = self.ami_status()
        return snapshot

    def ami_status(self) -> dict[str, object]:
        if self.link is None:
            return {"configured": False, "status": "not configured", "error": ""}
        return {"configured": True, "status": self.link.status, "error": self.link.last_error}

    def subscribe(self) -> asyncio.Queue[Snapshot]:
        queue: asyncio.Queue[Snapshot] = asyncio.Queue(maxsize=1)
        queue.put_nowait(self.snapshot())
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Snapshot]) -> None:
        self._subscribers.discard(queue)

    async def wait_until(self, predicate: Callable[[], bool], *, timeout_s: float = 2.0) -> bool:
        """Wait (bounded) until the state satisfies `predicate`: an action's reply comes before its event."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    def publish(self) -> None:
        self._changed.set()
        if not self._subscribers:
            return
        snapshot = self.snapshot()
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()  # drop the state the client has not taken yet: only the newest matters
            queue.put_nowait(snapshot)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)  # a period, not a wait for something
            self.publish()

    # -- actions ----------------------------------------------------------------------------------------------

    def require_link(self) -> AmiLink:
        if self.link is None:
            raise AmiUnavailableError("AMI is not configured (set IVR_AMI_SECRET)")
        return self.link


async def start_live(
    sessions: async_sessionmaker[AsyncSession],
    *,
    timezone: str,
    service_level_s: float,
    clock: Callable[[], datetime],
    ami: AmiEnvironment | None,
) -> LiveService:
    """Build and start the live service (AMI only when `ami` carries a secret)."""
    try:
        queues_by_language = language_queues()
    except Exception:  # a broken call-center file is reported by `ivr config`; the wallboard still works
        log.exception("cannot load the call-center file; agents cannot log in by language")
        queues_by_language = {}
    environment = ami or AmiEnvironment(secret="")
    service = LiveService(
        state=LiveState(timezone=timezone, service_level_s=service_level_s, wrapup_s=environment.wrapup_s),
        sessions=sessions,
        clock=clock,
        ami_settings=environment.link_settings(),
        queues_by_language=queues_by_language,
    )
    await service.start()
    return service

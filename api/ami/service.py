"""The live queue service of the API process: AMI link + reducer + event store + WebSocket subscribers.

Rules:
- Start-up: replay the stored events of the local day (counters of the day survive a restart), then connect;
  every (re)connection resyncs from QueueStatus + QueueSummary before any new event is folded in.
- Each event is folded into the state, stored (if it is a real queue event) and published. A database outage
  costs history, never the live view: the store error is logged and the state still moves.
- Subscribers (WebSocket clients) get the newest snapshot only: a slow browser skips states, it never makes
  the AMI consumer wait or the server's memory grow.
- The AMI is optional: without settings (no IVR_AMI_SECRET) the API runs; actions answer 503.
- Callbacks keep the caller's place: a pending callback is dialed only when no caller still waiting in its queue
  joined before it did, and a member of that queue is available. The agent is rung first (Originate into
  [ivr-callback]); once they answer, the dialplan dials the caller and reports DIALSTATUS in a UserEvent.
  Claiming a callback is a conditional UPDATE, so two API processes never dial the same one. An unanswered
  attempt waits before the next (api.ami.callback_rules.retry_delay). A callback left "dialing" by a lost API,
  AMI link or Asterisk is found at start-up and every RECOVER_EVERY_S, and finished from the status Asterisk
  filed or re-queued, exactly once (api.ami.callback_rules).
- Agent state lives in PostgreSQL (skills, pauses): every (re)connection re-applies it to the box reached
  (api.ami.restore), so a standby box that takes over has the same agents, penalties and pauses. The live
  state's `ami.serving` says which box the link is on (with IVR_EDGE_RPC: the SIP edge's serving box, api.edge).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import edge
from api.ami import callback_rules, restore
from api.ami.client import AmiError, AmiLink, AmiMessage, AmiSettings, AmiUnavailableError, parse_addresses
from api.ami.state import CALLBACK_BOOKED, LiveState, Member, MemberState, QueueState
from api.crud import callbacks, queue_events
from callcenter.logs import mask_number

log = logging.getLogger(__name__)

Snapshot = dict[str, object]
REFRESH_S = 5.0  # wrap-up ends and waits grow without any event: re-publish this often
DIAL_EVERY_S = 2.0  # look for due callbacks at least this often (and on every state change)
DIAL_GUARD_S = 90.0  # an agent rung for a callback is not rung for another one for this long without news
MAX_CALLBACK_ATTEMPTS = 3
STOP_GRACE_S = 5.0
NO_ANSWER_PAUSE_S = 30.0  # an agent who let a callback ring out is not rung for another one this soon
CALLBACK_ACTION_PREFIX = "ivr-callback-"
RECOVER_EVERY_S = 10.0  # look for callbacks lost in flight this often (and at start-up)


class AmiEnvironment(BaseSettings):
    """IVR_AMI_* from the environment, read once by `ivr api`. No secret: no AMI (the API still serves)."""

    model_config = SettingsConfigDict(env_prefix="IVR_AMI_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "ivr-api"
    secret: str = ""
    standbys: str = ""  # the other boxes' AMI behind the SIP edge, "HOST:PORT,HOST:PORT" (tried after host:port)
    wrapup_s: int = Field(default=15, ge=0)  # queues.conf wrapuptime (app_queue does not report it)
    edge_rpc: str = Field(default="", validation_alias=AliasChoices("IVR_EDGE_RPC", "edge_rpc"))  # see api.edge
    edge_boxes: str = Field(default="", validation_alias=AliasChoices("IVR_EDGE_BOXES", "edge_boxes"))

    def link_settings(self) -> AmiSettings | None:
        if not self.secret:
            return None
        standbys = parse_addresses(self.standbys)
        settings = AmiSettings(self.host, self.port, self.username, self.secret, standbys=standbys)
        return edge.following(settings, rpc=self.edge_rpc, boxes=self.edge_boxes)


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
    _dial_wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False
    _refresher: asyncio.Task[None] | None = None
    _dialing: dict[int, tuple[str, datetime]] = field(default_factory=dict)  # callback id -> (interface, since)
    _no_answer: dict[str, datetime] = field(default_factory=dict)  # interface -> when it let a callback ring out
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _recovered_at: datetime | None = None

    # -- life cycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.rebuild_today()
        if self.ami_settings is not None:
            self.link = AmiLink(self.ami_settings, on_event=self.on_event, on_connected=self.resync)
            self._tasks.append(asyncio.create_task(self.link.run()))
            self._tasks.append(asyncio.create_task(self._dialer()))
        self._refresher = asyncio.create_task(self._refresh())

    async def stop(self) -> None:
        """Stop without cutting a database transaction in half: the link and the dialer finish what they are
        doing (bounded), then anything left is cancelled."""
        self._stopping = True
        self._dial_wake.set()
        if self._refresher is not None:
            self._refresher.cancel()  # only publishes: safe to cut anywhere
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self.link is not None:
            await self.link.close()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()

    async def rebuild_today(self) -> None:
        now = self.clock()
        local = now.astimezone(self.state.zone)
        midnight = datetime.combine(local.date(), time(0), tzinfo=self.state.zone)
        try:
            async with self.sessions() as session:
                events = await queue_events.events_since(session, since=midnight)
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
        # the box just reached gets PostgreSQL's agents (a failover's standby starts with empty queues)
        await restore.reapply(link, self.sessions, queues=self.state.queues, queues_by_language=self.queues_by_language)

    async def on_event(self, event: AmiMessage) -> None:
        now = self.clock()
        await self._callback_news(event)
        if not self.state.apply(event, now):
            return
        if queue_events.storable(event):
            try:
                async with self.sessions() as session:
                    await queue_events.save_events(session, events=[event], received_at=now)
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
        link = self.link
        return {"configured": True, "status": link.status, "error": link.last_error, "serving": link.serving}

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
        self._dial_wake.set()
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

    async def callback_booked(self, *, queue: str, uniqueid: str) -> None:
        """Fold and store the API's own CALLBACK_BOOKED event (see api.ami.state)."""
        now = self.clock()
        event = {"Event": CALLBACK_BOOKED, "Queue": queue, "Uniqueid": uniqueid, "Timestamp": f"{now.timestamp():.6f}"}
        await self.on_event(event)
        self.callbacks_changed()

    # -- callbacks ------------------------------------------------------------------------------------------

    def callbacks_changed(self) -> None:
        self._dial_wake.set()

    async def _dialer(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dial_wake.wait(), DIAL_EVERY_S)
            self._dial_wake.clear()
            if self._stopping:
                return
            try:
                await self.recover_callbacks()
                await self.dial_due_callbacks()
            except Exception:  # the dialer must outlive a database or AMI hiccup
                log.exception("callback dialer failed; retrying")

    def free_agent(self, queue: QueueState, now: datetime, busy: set[str]) -> Member | None:
        """The queue's available member app_queue would pick (lowest penalty, then least recent call)."""
        candidates = [
            member
            for member in queue.members.values()
            if member.interface not in busy and member.state(now, self.state.wrapup_s) is MemberState.AVAILABLE
        ]
        oldest = datetime.min.replace(tzinfo=now.tzinfo)
        candidates.sort(key=lambda member: (member.penalty, member.last_call_end or oldest))
        return candidates[0] if candidates else None

    async def dial_due_callbacks(self) -> list[int]:
        """Dial every callback whose turn has come; return their ids."""
        link = self.link
        if link is None or link.status != "connected":
            return []
        now = self.clock()
        for callback_id, (_, since) in list(self._dialing.items()):
            if (now - since).total_seconds() > DIAL_GUARD_S:
                del self._dialing[callback_id]
        async with self.sessions() as session:
            pending = await callbacks.due_callbacks(session, now=now)
        busy = {interface for interface, _ in self._dialing.values()} | {
            interface
            for interface, since in self._no_answer.items()
            if (now - since).total_seconds() < NO_ANSWER_PAUSE_S
        }
        dialed: list[int] = []
        for callback in pending:
            queue = self.state.queues.get(callback.queue)
            if queue is None or any(caller.joined_at < callback.joined_at for caller in queue.callers.values()):
                continue  # someone who joined before this caller is still waiting: their turn first
            agent = self.free_agent(queue, now, busy)
            if agent is None:
                continue
            async with self.sessions() as session:
                if not await callbacks.claim_callback(session, callback_id=callback.id, agent=agent.name, now=now):
                    continue
            self._dialing[callback.id] = (agent.interface, now)
            busy.add(agent.interface)
            attempt = callback.attempts + 1  # claim_callback counted it
            try:
                await link.action(
                    {
                        "Action": "Originate",
                        "ActionID": f"{CALLBACK_ACTION_PREFIX}{callback.id}-{attempt}",
                        "ChannelId": callback_rules.channel_id(callback.id, attempt, now),  # claimed at now
                        "Channel": agent.interface,
                        "Context": "ivr-callback",
                        "Exten": "s",
                        "Priority": "1",
                        "Timeout": "20000",
                        "CallerID": f'"{callback.number}" <{callback.number}>',
                        "Variable": [
                            f"IVR_CALLBACK_ID={callback.id}",
                            f"IVR_CALLBACK_NUMBER={callback.number}",
                            f"IVR_LANG={callback.language}",
                            f"IVR_QUEUE={callback.queue}",
                        ],
                        "Async": "true",
                    },
                    as_list=False,
                )
            except AmiError:
                log.exception("could not originate callback %d", callback.id)
                await self._settle(callback.id, answered=False, attempt=attempt)
                continue
            log.info("callback %d: ringing %s, then %s", callback.id, agent.interface, mask_number(callback.number))
            dialed.append(callback.id)
        return dialed

    async def _callback_news(self, event: AmiMessage) -> None:
        """How a dialed callback went: the agent did not answer (OriginateResponse), or DIALSTATUS (UserEvent)."""
        kind = event.get("Event")
        if kind == "OriginateResponse" and event.get("ActionID", "").startswith(CALLBACK_ACTION_PREFIX):
            callback_id, _, attempt = event["ActionID"].removeprefix(CALLBACK_ACTION_PREFIX).partition("-")
            if event.get("Response") != "Success" and callback_id.isdigit() and attempt.isdigit():
                await self._settle(int(callback_id), answered=False, agent_answered=False, attempt=int(attempt))
        elif kind == "UserEvent" and event.get("UserEvent") == "IvrCallback" and event.get("Id", "").isdigit():
            # Uniqueid is the channel id we gave the attempt (callback_rules.channel_id)
            made = callback_rules.attempt_of(event.get("Uniqueid", ""))
            await self._settle(int(event["Id"]), answered=callback_rules.answered_by_status(event.get("Status")),
                               attempt=made[1] if made else None)  # fmt: skip

    async def recover_callbacks(self) -> list[int]:
        """Settle the callbacks lost in flight (see callback_rules); return the ids this process settled."""
        link, now = self.link, self.clock()
        due = self._recovered_at is None or (now - self._recovered_at).total_seconds() >= RECOVER_EVERY_S
        if link is None or link.status != "connected" or not due:
            return []
        async with self.sessions() as session:
            dialing = await callbacks.dialing_callbacks(session)
        self._recovered_at = now
        if not dialing:
            return []
        channels = {message.get("Uniqueid", "") for message in await link.listing("CoreShowChannels")}
        lost = callback_rules.lost_in_flight(dialing, live_channels=channels, now=now)
        recovered: list[int] = []
        for item in lost:
            key = callback_rules.channel_id(item.callback_id, item.attempts, item.since)
            try:  # what the dialplan's h step filed, if the attempt got that far
                # as_list left to panoramisk: a missing key is a one-message Error (AmiError here), not a list
                found = await link.action({"Action": "DBGet", "Family": callback_rules.ASTDB_FAMILY, "Key": key})
                status = next((m["Val"] for m in found if m.get("Event") == "DBGetResponse" and "Val" in m), None)
            except AmiError:  # "Database entry not found"
                status = None
            log.warning("callback %d was lost in flight (attempt %d, filed status %s)", item.callback_id,
                        item.attempts, status)  # fmt: skip
            if await self._settle(item.callback_id, answered=callback_rules.answered_by_status(status),
                                  attempt=item.attempts):  # fmt: skip
                recovered.append(item.callback_id)
        return recovered

    async def _settle(
        self, callback_id: int, *, answered: bool, agent_answered: bool = True, attempt: int | None = None
    ) -> bool:
        dialing = self._dialing.pop(callback_id, None)
        if dialing is not None and not agent_answered:
            self._no_answer[dialing[0]] = self.clock()
        async with self.sessions() as session:
            status, changed = await callbacks.settle_callback(
                session,
                callback_id=callback_id,
                answered=answered,
                max_attempts=MAX_CALLBACK_ATTEMPTS,
                now=self.clock(),
                attempt=attempt,
            )
        log.info("callback %d: %s", callback_id, status)
        self._dial_wake.set()
        return changed

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
    queues_by_language: dict[str, str],
) -> LiveService:
    """Build and start the live service (AMI only when `ami` carries a secret)."""
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

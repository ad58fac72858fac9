"""The API's AMI connection, on panoramisk 1.4: an adapter loop, no queue logic.

Rules (panoramisk 1.4 pitfalls, verified on Asterisk 22: /work/shared/notes/asterisk-facts.md):
- panoramisk's own reconnect (a fixed delay, forever, even after a refused login) is switched off: `_Manager`
  reports a lost connection to us and `AmiLink.run` reconnects with exponential backoff (capped, reset after a
  connection that logged in).
- `Manager.connect()` returns before the login completes, and with a wrong secret nothing ever resolves: we
  open the socket ourselves, then wait for the Login reply with a timeout. A refused login raises
  `AmiLoginError` (kept in `status` for /ami/status and the wallboard), never a silent hang.
- Every action has a timeout. QueueAdd/QueueRemove/QueuePause are sent with as_list=False (otherwise
  panoramisk waits for a list that never comes after "Added interface to queue"); Originate always carries
  Async=true (panoramisk reads `action['async']` and raises KeyError without it) and returns the first reply.
- After every (re)connection `on_connected` runs before events are handed on, so the owner resyncs
  (QueueStatus + QueueSummary) and no event from the new connection is folded into a stale state.
- Events reach `on_event` in arrival order, one at a time, from a single consumer task.
- Several Asterisk boxes behind the SIP edge (issue 20): `AmiSettings.standbys` lists the other boxes. The link
  stays on the box it reached; when that box stops answering it tries the next one at once (backing off only
  after a whole round failed), so it follows the failover Kamailio makes, and `serving` says which box it is on.
- `AmiSettings.follow` (api.edge: the SIP edge's own view of the serving box) is asked before every connection
  and every `follow_every_s` while connected; the link goes to (or moves to) the box it names, and keeps its own
  view when it names none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol

log = logging.getLogger(__name__)

AmiMessage = dict[str, str]
EventHandler = Callable[[AmiMessage], Awaitable[None]]
ConnectedHandler = Callable[["AmiLink"], Awaitable[None]]


SHUTDOWN_GRACE_S = 5.0


class AmiError(Exception):
    """AMI refused an action, or did not answer in time."""


class AmiLoginError(AmiError):
    """Asterisk refused our username/secret (or never answered the login)."""


class AmiUnavailableError(AmiError):
    """No AMI connection right now."""


@dataclass(frozen=True)
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "ivr-api"
    secret: str = ""
    login_timeout_s: float = 5.0
    action_timeout_s: float = 5.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    standbys: tuple[tuple[str, int], ...] = ()  # other boxes' AMI (host, port), tried in order after this one
    # The SIP edge's view of the serving box (api.edge.EdgeView.serving): asked before every connection and every
    # `follow_every_s` while connected; the link moves to the box it names. None: the link's own view only.
    follow: Callable[[], Awaitable[tuple[str, int] | None]] | None = None
    follow_every_s: float = 5.0

    @property
    def targets(self) -> tuple[tuple[str, int], ...]:
        return ((self.host, self.port), *self.standbys)


def parse_addresses(text: str) -> tuple[tuple[str, int], ...]:
    """ "HOST:PORT,HOST:PORT" (IVR_AMI_STANDBYS) as (host, port) pairs; blanks are ignored."""
    pairs = (address.strip().rpartition(":") for address in text.split(",") if address.strip())
    return tuple((host, int(port)) for host, _, port in pairs)


def plain(message: Mapping[str, Any]) -> AmiMessage:
    """A panoramisk Message as a plain dict of strings (a repeated header keeps its values, comma-joined)."""
    return {
        str(key): ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        for key, value in message.items()
        if key != "content"
    }


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager, minus its built-in reconnect: a lost connection resolves `lost` instead."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: object) -> None:
        self._connected = False
        pinger = getattr(self, "pinger", None)
        if pinger is not None:
            pinger.cancel()
            self.pinger = None
        if not self.lost.done():
            self.lost.set_result(None)


class AmiLink:
    """One logical AMI connection that keeps itself up. Start `run()` as a task; stop with `close()`."""

    def __init__(
        self,
        settings: AmiSettings,
        *,
        on_event: EventHandler,
        on_connected: ConnectedHandler | None = None,
    ) -> None:
        self.settings = settings
        self._on_event = on_event
        self._on_connected = on_connected
        self._manager: _Manager | None = None
        self._events: asyncio.Queue[AmiMessage] = asyncio.Queue()
        self._ready = asyncio.Event()
        self._handling: asyncio.Future[None] | None = None
        self._closing = False
        self.status = "connecting"
        self.last_error = ""
        self.connections = 0
        self._target = 0  # index in settings.targets of the box tried next (sticky: the one that last worked)
        self.serving = ""  # "host:port" of the box this link is on, "" while on none

    # -- connection -------------------------------------------------------------------------------------------

    async def connect_once(self) -> _Manager:
        """Open the socket and log in, or raise (AmiLoginError for a refused secret, OSError/TimeoutError)."""
        loop = asyncio.get_running_loop()
        host, port = self.settings.targets[self._target]
        manager = _Manager(
            host=host,
            port=port,
            username=self.settings.username,
            secret=self.settings.secret,
            loop=loop,
            ping_delay=10,
            ping_interval=10,
        )
        manager.register_event("*", self._enqueue)
        connecting = loop.create_connection(AMIProtocol, host, port)
        transport, protocol = await asyncio.wait_for(connecting, self.settings.login_timeout_s)
        connected: asyncio.Future[tuple[Any, Any]] = loop.create_future()
        connected.set_result((transport, protocol))
        manager.connection_made(connected)  # sends Login; its reply resolves authenticated_future
        login = manager.authenticated_future
        try:
            reply = await asyncio.wait_for(asyncio.shield(login), self.settings.login_timeout_s)
        except TimeoutError as error:
            manager.close()
            raise AmiLoginError(f"no reply to the AMI login within {self.settings.login_timeout_s} s") from error
        if not reply.success:
            manager.close()
            raise AmiLoginError(f"AMI login refused for {self.settings.username!r}: {reply.get('Message', '')}")
        return manager

    async def run(self) -> None:
        """Stay connected until close(): connect, resync, pump events; on loss back off and reconnect."""
        delay = self.settings.backoff_initial_s
        failed = 0  # attempts failed in a row: back off after a whole round of boxes
        async with self._consuming():
            while not self._closing:
                await self._follow_edge()
                try:
                    manager = await self.connect_once()
                except (OSError, TimeoutError, AmiLoginError) as error:
                    self.status = "login refused" if isinstance(error, AmiLoginError) else "unreachable"
                    self.last_error = str(error) or type(error).__name__
                    self._target = (self._target + 1) % len(self.settings.targets)
                    failed += 1
                    if failed % len(self.settings.targets):
                        log.warning("AMI %s: %s; trying the next box", self.status, self.last_error)
                        continue  # another box may be serving: no backoff before a whole round failed
                    log.warning("AMI %s: %s; retrying in %.1f s", self.status, self.last_error, delay)
                    await asyncio.sleep(delay)  # backoff between attempts, not a wait for an event
                    delay = min(delay * 2, self.settings.backoff_max_s)
                    continue
                delay, failed = self.settings.backoff_initial_s, 0
                await self._attach(manager)
                await self._connected_until_lost(manager)
                self._detach()
                if not self._closing:
                    self.status = "reconnecting"
                    log.warning("AMI connection lost; reconnecting")

    async def _follow_edge(self) -> bool:
        """Point the next connection at the box the edge serves; True when that differs from the current one."""
        if self.settings.follow is None:
            return False
        try:
            serving = await self.settings.follow()
        except Exception:  # the edge's view is advice: never let it stop the link
            log.exception("asking the SIP edge which box serves failed")
            return False
        if serving is None or serving not in self.settings.targets:
            return False
        index = self.settings.targets.index(serving)
        moved = index != self._target
        self._target = index
        return moved

    async def _connected_until_lost(self, manager: _Manager) -> None:
        """Wait for the connection to drop; with an edge to follow, also ask it every `follow_every_s` and leave
        a box the edge no longer serves (the next connection goes to the one it does)."""
        if self.settings.follow is None:
            await manager.lost
            return
        while not manager.lost.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(manager.lost), self.settings.follow_every_s)
            if not manager.lost.done() and not self._closing and await self._follow_edge():
                log.warning("the SIP edge serves another box: moving the AMI link there")
                manager.close()
                manager.connection_lost(None)
        await manager.lost

    @contextlib.asynccontextmanager
    async def once(self) -> AsyncIterator[AmiLink]:
        """One connection and no reconnect, for tools and tests (the sandbox's AMI client): log in (raising as
        `connect_once` does), resync, hand events on until the block ends."""
        manager = await self.connect_once()
        async with self._consuming():
            await self._attach(manager)
            try:
                yield self
            finally:
                await self.close()
                self._detach()

    async def _attach(self, manager: _Manager) -> None:
        """A logged-in connection becomes the link's: resync first, then its events are handed on."""
        self._manager = manager
        self.connections += 1
        host, port = self.settings.targets[self._target]
        self.serving = f"{host}:{port}"
        self.status, self.last_error = "connected", ""
        try:
            if self._on_connected is not None:
                await self._on_connected(self)
        except AmiError as error:
            log.warning("AMI resync failed: %s", error)
            manager.close()
            manager.connection_lost(error)
        self._ready.set()

    def _detach(self) -> None:
        self._ready.clear()
        self._manager = None
        self.serving = ""

    @contextlib.asynccontextmanager
    async def _consuming(self) -> AsyncIterator[None]:
        consumer = asyncio.create_task(self._consume())
        try:
            yield
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            # an event being handled finishes (its database session closes cleanly), bounded
            if self._handling is not None and not self._handling.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._handling, SHUTDOWN_GRACE_S)

    async def close(self) -> None:
        self._closing = True
        manager = self._manager
        if manager is not None:
            manager.close()
            manager.connection_lost(None)

    def _enqueue(self, _manager: object, event: Mapping[str, Any]) -> None:
        self._events.put_nowait(plain(event))

    async def _consume(self) -> None:
        while True:
            event = await self._events.get()
            await self._ready.wait()  # events of a new connection wait for its resync
            # shielded: stopping the link never cuts a handler (and its database transaction) in half
            self._handling = asyncio.ensure_future(self._on_event(event))
            try:
                await asyncio.shield(self._handling)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad event must not stop live state
                log.exception("AMI event handler failed on %s", event.get("Event"))

    # -- actions ----------------------------------------------------------------------------------------------

    async def action(self, fields: Mapping[str, str | list[str]], *, as_list: bool | None = None) -> list[AmiMessage]:
        """Send an action; return its reply messages (one, or the list of a multi-event reply)."""
        manager = self._manager
        if manager is None or manager.lost.done():
            raise AmiUnavailableError(f"AMI is not connected ({self.status}: {self.last_error})")
        fields = dict(fields)
        if str(fields.get("Action", "")).lower() == "originate":
            fields.setdefault("Async", "true")
            as_list = False
        future = manager.send_action(fields, as_list=as_list)
        try:
            reply = await asyncio.wait_for(future, self.settings.action_timeout_s)
        except TimeoutError as error:
            raise AmiError(f"AMI {fields.get('Action')}: no reply within {self.settings.action_timeout_s} s") from error
        messages = [plain(message) for message in (reply if isinstance(reply, list) else [reply])]
        first = messages[0] if messages else {}
        if first.get("Response") == "Error":
            raise AmiError(f"AMI {fields.get('Action')}: {first.get('Message', 'error')}")
        return messages

    async def simple(self, action: str, **fields: str) -> AmiMessage:
        """An action with a one-message reply (QueueAdd, QueueRemove, QueuePause, Originate)."""
        return (await self.action({"Action": action, **fields}, as_list=False))[0]

    async def listing(self, action: str, **fields: str) -> list[AmiMessage]:
        """An action whose reply is an event list (QueueStatus, QueueSummary)."""
        return await self.action({"Action": action, **fields}, as_list=True)

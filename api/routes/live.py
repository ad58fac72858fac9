"""Live queue state: a JSON snapshot, and a WebSocket that pushes every change (wallboard, agent page).

Browsers cannot set an Authorization header on a WebSocket, so the socket takes a token as its first message
({"token": "..."}) instead of in the URL, where it would end up in access logs; a signed-in page sends `{}` and
its session cookie (sent by the browser with the handshake, accepted from our own origin only) is used. Same
rules as HTTP: unknown, revoked, expired or (outside demo mode) demo tokens and dead sessions are refused; the
agi role sees nothing; agents see caller numbers masked (api.security.access). Every `credential_recheck_seconds`
the tokens and sessions of all open sockets are looked up again (api.credential_watch): once revoked, expired
or signed out the socket is closed with 4401 within that time (1013 if the database cannot say).
The protocol is JSON in text frames: a binary frame closes the socket with 1003 (RFC 6455 7.4.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.ami.view import FragmentEncoder
from api.credential_watch import TRY_AGAIN_LATER
from api.deps import STAFF_ROLES, CredentialsUncheckableError, LiveDep, StaffDep, credential_watch, socket_principal
from api.problems import documented
from api.security.access import masked_snapshot, sees_everything
from api.security.sessions import SESSION_COOKIE
from api.web import WEB_DIR

router = APIRouter(tags=["live"])
AUTH_TIMEOUT_S = 10.0
UNSUPPORTED_DATA = 1003  # RFC 6455 7.4.1: a binary frame where only text is understood


@router.get("/live/state", responses=documented(503))
async def live_state(live: LiveDep, principal: StaffDep) -> dict[str, Any]:
    """Every queue now: waiting callers, members and their states, today's counters, AMI status."""
    return live.snapshot() if sees_everything(principal) else masked_snapshot(live.snapshot())


@router.websocket("/live/ws")
async def live_socket(websocket: WebSocket) -> None:
    """Pushes the live snapshot on every change, once the first message gives a staff token."""
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT_S)
    except TimeoutError:
        await websocket.close(code=4401)
        return
    if first["type"] == "websocket.disconnect":
        return
    if first.get("text") is None:
        await websocket.close(code=UNSUPPORTED_DATA)
        return
    try:
        hello = json.loads(first["text"])
    except ValueError:
        await websocket.close(code=4401)
        return
    secret = hello.get("token") if isinstance(hello, dict) else None
    secret = secret if isinstance(secret, str) and secret else None
    try:
        principal = await socket_principal(websocket, secret)
    except CredentialsUncheckableError:
        await websocket.close(code=TRY_AGAIN_LATER)
        return
    live = getattr(websocket.app.state, "live", None)
    if principal is None or principal.role not in STAFF_ROLES:
        await websocket.close(code=4403 if principal else 4401)
        return
    if live is None:
        await websocket.close(code=1013)
        return
    updates = live.subscribe()
    encode = _encode if sees_everything(principal) else _encode_masked
    closed = asyncio.create_task(_until_closed(websocket))
    watch = credential_watch(websocket)
    watched = watch.watch(token=secret, cookie=websocket.cookies.get(SESSION_COOKIE))
    lapsed = watched.lapsed
    try:
        greeting = {"name": principal.name, "role": principal.role.value, "seat": principal.seat}
        await websocket.send_json({"hello": greeting})
        while not closed.done():
            next_update = asyncio.create_task(updates.get())
            done, _ = await asyncio.wait({next_update, closed, lapsed}, return_when=asyncio.FIRST_COMPLETED)
            if next_update not in done:
                next_update.cancel()
                if lapsed in done:
                    await websocket.close(code=lapsed.result())
                break
            await websocket.send_text(encode(next_update.result()))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        live.unsubscribe(updates)
        await watch.unwatch(watched)
        closed.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await closed


class _EncodeOnce:
    """Every subscribed page gets the same snapshot object for a change (LiveService.publish): encode it once,
    not once per page (43 pages x 32 KB of JSON was a third of the wallboard's latency, benchmarks/wallboard.py).
    The output is what send_json would send. `view` turns the snapshot into what this audience may see (once
    per change too)."""

    def __init__(
        self, view: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None, *, fragments: bool = True
    ) -> None:
        self._last: tuple[object, str] | None = None  # holding the object keeps its identity unique
        self._view = view
        self._fragments = FragmentEncoder() if fragments else None  # unchanged queues and rows keep their text

    def __call__(self, snapshot: Mapping[str, Any]) -> str:
        if self._last is None or self._last[0] is not snapshot:
            shown = snapshot if self._view is None else self._view(snapshot)
            if self._fragments is not None:
                self._last = (snapshot, self._fragments(shown))
            else:
                self._last = (snapshot, json.dumps(shown, ensure_ascii=False, separators=(",", ":")))
        return self._last[1]


class _MaskKeepingIdentity:
    """masked_snapshot, but an unchanged queue or agent row gives the same masked object as last time, so the
    FragmentEncoder reuses its text for agents' pages too (40 of them at 1,000 agents would otherwise pay a full
    encoding per change)."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, Any]] = {}

    def __call__(self, snapshot: Mapping[str, Any]) -> Mapping[str, Any]:
        masked = masked_snapshot(snapshot)
        memo: dict[int, tuple[object, Any]] = {}
        for key in ("queues", "agents"):
            kept = []
            for source, fresh in zip(snapshot.get(key, []), masked.get(key, []), strict=True):
                known = self._memo.get(id(source))
                item = known[1] if known is not None and known[0] is source else fresh
                memo[id(source)] = (source, item)
                kept.append(item)
            if key in masked:
                masked[key] = kept
        self._memo = memo
        return masked


_encode = _EncodeOnce()
_encode_masked = _EncodeOnce(_MaskKeepingIdentity(), fragments=True)  # agents: caller numbers masked


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) client text messages until the socket closes: that is how a disconnect is noticed. A
    binary frame closes it (1003)."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is None:
                await websocket.close(code=UNSUPPORTED_DATA)
                return


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    """The start page (what each role may open)."""
    return RedirectResponse("/ui/index.html")


def mount_web(app: Any) -> None:
    """Serve api/web/ (static HTML/JS/CSS, no build step) under /ui."""
    app.mount("/ui", StaticFiles(directory=WEB_DIR), name="ui")

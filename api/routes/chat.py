"""The chat's two WebSockets: /portal/chat/ws for citizens (no sign-in), /chat/ws for staff on chat.html.

Rules:
- JSON text frames only (a binary frame closes with 1003). Staff authenticate as on /live/ws: the first message
  carries a token, or is {} and the session cookie (our own origin) is used; agi tokens are refused (4403).
- A citizen's first message is {"type": "start", "language", "contact", "text"}; a few conversations per
  address and 10 minutes (the portal's limit, in PostgreSQL). Then {"type": "message", "text"} and
  {"type": "end"}; the socket closing ends the conversation too.
- Staff send {"type": "ready", "languages": [...]} (only languages the call center has), then
  {"type": "message", "conversation", "text"} and {"type": "end", "conversation"}.
- A hub that lost its LISTEN connection (api.channels.chat) closes its sockets with 1012; the next one opens a
  new hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.channels.chat import AgentSeat, ChatHub, Conversation
from api.crud import rate_limits
from api.deps import STAFF_ROLES, CredentialsUncheckableError, socket_principal
from api.net import limit_key
from api.request_config import PORTAL_WINDOW, RequestConfig

router = APIRouter(tags=["chat"])
HELLO_TIMEOUT_S = 30.0
UNSUPPORTED_DATA = 1003
SERVICE_RESTART = 1012


async def hub_of(websocket: WebSocket) -> ChatHub:
    """This process's hub, opened (its LISTEN connection) on first use; closed at shutdown (api.main)."""
    state = websocket.app.state
    lock: asyncio.Lock | None = getattr(state, "chat_hub_lock", None)
    if lock is None:
        lock = state.chat_hub_lock = asyncio.Lock()
    async with lock:
        hub: ChatHub | None = getattr(state, "chat_hub", None)
        if hub is not None and hub.lost.is_set():  # its LISTEN connection dropped: a new one (see _pump)
            await hub.close()
            hub = None
        if hub is None:
            url = state.sessions.kw["bind"].url.set(drivername="postgresql").render_as_string(hide_password=False)
            hub = ChatHub(lambda: state.sessions, lambda: _config(websocket), state.clock, url)
            await hub.open()
            state.chat_hub = hub
    return hub


async def close_hub(state: Any) -> None:
    """At shutdown: the hub's LISTEN connection closed (nothing when the chat was never used)."""
    hub: ChatHub | None = getattr(state, "chat_hub", None)
    if hub is not None:
        state.chat_hub = None
        await hub.close()


def _config(websocket: WebSocket) -> RequestConfig:
    """The same configuration the HTTP routes use (api.deps.get_request_config), built once."""
    state = websocket.app.state
    config: RequestConfig | None = getattr(state, "request_config", None)
    if config is None:
        config = state.request_config = RequestConfig.from_environment(state.callcenter)
    return config


async def _receive(websocket: WebSocket, timeout_s: float | None = None) -> dict[str, Any] | None:
    """The next JSON object; None when the socket closed or sent something else (then it is closed)."""
    try:
        message = await asyncio.wait_for(websocket.receive(), timeout_s)
    except TimeoutError:
        await websocket.close(code=1008)
        return None
    if message["type"] == "websocket.disconnect":
        return None
    if message.get("text") is None:
        await websocket.close(code=UNSUPPORTED_DATA)
        return None
    try:
        value = json.loads(message["text"])
    except ValueError:
        value = None
    if not isinstance(value, dict):
        await websocket.close(code=1007)
        return None
    return value


async def _pump(websocket: WebSocket, queue: asyncio.Queue[dict[str, Any]]) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            event = await queue.get()
            await websocket.send_json(event)
            if event.get("lost"):  # the hub hears nothing more: the page connects again, to a new hub
                await websocket.close(code=SERVICE_RESTART)
                return


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@router.websocket("/portal/chat/ws")
async def citizen_chat(websocket: WebSocket) -> None:
    """A citizen's conversation from the portal's chat widget."""
    await websocket.accept()
    hub = await hub_of(websocket)
    start = await _receive(websocket, HELLO_TIMEOUT_S)
    if start is None:
        return
    config = _config(websocket)
    language, text = _text(start.get("language")), _text(start.get("text")).strip()
    if start.get("type") != "start" or not text or not config.callcenter.has_language(language):
        await websocket.send_json({"type": "error", "detail": "start with a message and a configured language"})
        await websocket.close(code=1008)
        return
    address = limit_key(websocket.client.host if websocket.client else "unknown")
    async with websocket.app.state.sessions() as session:
        wait_s = await rate_limits.hit(session, key=f"portal:{address}", limit=config.portal_limit,
                                       window=PORTAL_WINDOW, now=websocket.app.state.clock())  # fmt: skip
    if wait_s is not None:
        await websocket.send_json({"type": "error", "detail": "too many conversations; try again later"})
        await websocket.close(code=1013)
        return
    conversation = await hub.start(language=language, contact=_text(start.get("contact"))[:256], text=text,
                                   request_type=None)  # fmt: skip
    pump = asyncio.create_task(_pump(websocket, conversation.citizen))
    try:
        await _citizen_loop(websocket, hub, conversation)
    finally:
        await hub.end(conversation, by="citizen")
        await asyncio.sleep(0)  # let the pump send "ended" if the socket is still open
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        hub.forget(conversation)


async def _citizen_loop(websocket: WebSocket, hub: ChatHub, conversation: Conversation) -> None:
    while not conversation.ended:
        message = await _receive(websocket)
        if message is None or message.get("type") == "end":
            return
        if message.get("type") == "message":
            await hub.from_citizen(conversation, _text(message.get("text")))


@router.websocket("/chat/ws")
async def agent_chat(websocket: WebSocket) -> None:
    """A staff member's chat page: conversations routed to them by language."""
    await websocket.accept()
    hello = await _receive(websocket, HELLO_TIMEOUT_S)
    if hello is None:
        return
    secret = hello.get("token") if isinstance(hello.get("token"), str) and hello.get("token") else None
    try:
        principal = await socket_principal(websocket, secret)
    except CredentialsUncheckableError:
        await websocket.close(code=1013)
        return
    if principal is None or principal.role not in STAFF_ROLES:
        await websocket.close(code=4403 if principal else 4401)
        return
    ready = await _receive(websocket, HELLO_TIMEOUT_S)
    if ready is None:
        return
    config = _config(websocket)
    wanted = ready.get("languages")
    wanted = wanted if isinstance(wanted, list) else []
    languages = [code for code in wanted if isinstance(code, str) and config.callcenter.has_language(code)]
    hub = await hub_of(websocket)
    agent = await hub.ready(name=principal.name, languages=languages)
    pump = asyncio.create_task(_pump(websocket, agent.outbox))
    try:
        await _agent_loop(websocket, hub, agent)
    finally:
        await hub.leave(agent)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


async def _agent_loop(websocket: WebSocket, hub: ChatHub, agent: AgentSeat) -> None:
    while True:
        message = await _receive(websocket)
        if message is None:
            return
        conversation_id = message.get("conversation")
        if not isinstance(conversation_id, int):
            continue
        if message.get("type") == "message":
            await hub.from_agent(agent, conversation_id, _text(message.get("text")))
        elif message.get("type") == "end":
            await hub.end_by_agent(agent, conversation_id)

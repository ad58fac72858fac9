"""Chat between a citizen on the portal and signed-in staff: who gets a conversation, and the conversations
in flight (one hub per API process).

Rules:
- A conversation opens a request at its first message (source and channel "chat"), so the citizen gets a
  reference at once; every message is appended to the request's history as it passes (action "chat"): the
  transcript is on the request even if the process stops mid-conversation.
- Routing by language: a conversation goes to the ready agent who takes its language and has the fewest
  conversations (ties: the one ready longest); with nobody ready it waits and goes to the first agent who
  becomes ready for its language. `choose_agent` is the pure rule.
- Any number of API processes: who is ready and which conversation is whose live in PostgreSQL (api.crud.chat,
  migration 0020), and every change and message is told to every process by NOTIFY on one channel, heard on a
  LISTEN connection of each process's hub (asyncpg `add_listener`). A process delivers what concerns the sockets
  it holds (a citizen's, an agent's), in the order PostgreSQL delivers: a citizen on one process and the agent
  on another talk as if on one. A message's text is read from the request's history, the NOTIFY carries ids.
- A hub whose LISTEN connection drops closes its sockets (1012) and the next socket gets a new hub; the pages
  connect again. A process that dies takes its sockets with it: its rows are dropped at the next routing change
  (their LISTEN connection is gone from pg_stat_activity). Its citizens' conversations end with their sockets;
  its agents' conversations are not rerouted (the citizens see no reply and can start again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crud import calendar_overrides
from api.crud import chat as shared
from api.crud.requests import open_request
from api.request_config import RequestConfig
from api.schemas.requests import RequestCreate

log = logging.getLogger(__name__)
Event = dict[str, Any]
MAX_CHAT_TEXT = 2000
LOST: Event = {"type": "error", "detail": "the chat service restarted; connect again", "lost": True}


@dataclass
class AgentSeat:
    """A staff member's chat page."""

    id: int
    name: str
    languages: frozenset[str]
    ready_since: int  # order in which agents became ready (a counter, not a clock)
    outbox: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    conversations: set[int] = field(default_factory=set)


@dataclass
class Conversation:
    id: int
    request_id: int
    reference: str
    language: str
    contact: str
    citizen: asyncio.Queue[Event]
    agent_id: int | None = None
    messages: list[Event] = field(default_factory=list)
    ended: bool = False


def choose_agent(agents: Iterable[AgentSeat], language: str) -> AgentSeat | None:
    """The ready agent for a conversation in `language`: fewest conversations, then longest ready."""
    able = [agent for agent in agents if language in agent.languages]
    return min(able, key=lambda agent: (len(agent.conversations), agent.ready_since), default=None)


class ChatHub:
    """One per API process: the sockets it holds, the shared state in PostgreSQL, and its LISTEN connection.
    `open` before use, `close` at shutdown."""

    def __init__(
        self,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        config: Callable[[], RequestConfig],
        clock: Callable[[], datetime],
        dsn: str,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self._dsn = dsn
        self.agents: dict[int, AgentSeat] = {}  # this process's agents, by their shared id
        self.conversations: dict[int, Conversation] = {}  # this process's citizens, by the shared id
        self._requests: dict[int, int] = {}  # conversation -> request, for this process's agents' conversations
        self._offered: dict[int, int] = {}  # conversation -> the last history row its agent was given at once
        self._events: asyncio.Queue[str] = asyncio.Queue()
        self.lost = asyncio.Event()  # the LISTEN connection is gone: this hub hears nothing more (api.routes.chat)
        self._listener: Any = None
        self.listener_pid = 0
        self._consumer: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._listener = await asyncpg.connect(self._dsn)
        self.listener_pid = self._listener.get_server_pid()
        await self._listener.add_listener(shared.CHANNEL, self._heard)
        self._listener.add_termination_listener(self._terminated)
        self._consumer = asyncio.create_task(self._consume())

    async def close(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
        if self._listener is not None:
            with contextlib.suppress(Exception):  # closing: a dead connection is already closed
                await self._listener.close()

    # -- citizens ---------------------------------------------------------------------------------------------

    async def start(self, *, language: str, contact: str, text: str, request_type: int | None) -> Conversation:
        """A conversation and its request, routed at once (or waiting)."""
        now = self._clock()
        request_in = RequestCreate(source="chat", channel="chat", request_type=request_type, language=language,
                                   contact=contact, description=text, created_at=now, created_by="chat")  # fmt: skip
        async with self._sessions()() as session:
            config = self._config().with_overrides(await calendar_overrides.in_force(session))  # deadlines
            request = await open_request(session, config=config, request_in=request_in, now=now)
            opened = await shared.open_conversation(session, request_id=request.id, language=language,
                                                    listener_pid=self.listener_pid, now=now)  # fmt: skip
            await session.commit()
        conversation = Conversation(id=opened.id, request_id=request.id, reference=request.reference,
                                    language=language, contact=contact, citizen=asyncio.Queue())  # fmt: skip
        self.conversations[conversation.id] = conversation
        conversation.citizen.put_nowait({"type": "started", "reference": request.reference})
        await self._record(conversation.id, conversation.request_id, sender="citizen", text=text, actor="citizen")
        async with self._sessions()() as session:
            await shared.lock(session)
            if not await self._route(session, conversation.id, language):
                conversation.citizen.put_nowait({"type": "waiting"})
            await session.commit()
        return conversation

    async def from_citizen(self, conversation: Conversation, text: str) -> None:
        if conversation.ended:
            return
        await self._record(conversation.id, conversation.request_id, sender="citizen", text=text, actor="citizen")

    # -- agents -----------------------------------------------------------------------------------------------

    async def ready(self, *, name: str, languages: Sequence[str]) -> AgentSeat:
        """The agent ready; the conversations waiting in their languages come to them."""
        async with self._sessions()() as session:
            await shared.lock(session)
            agent_id = await shared.add_agent(session, name=name, languages=sorted(set(languages)),
                                              listener_pid=self.listener_pid, now=self._clock())  # fmt: skip
            agent = AgentSeat(id=agent_id, name=name, languages=frozenset(languages), ready_since=agent_id)
            self.agents[agent.id] = agent
            agent.outbox.put_nowait({"type": "ready", "languages": sorted(agent.languages)})
            for found in await shared.waiting(session, languages=sorted(agent.languages)):
                await shared.assign(session, conversation_id=found.id, agent_id=agent.id)
                assigned = {"kind": "assigned", "conversation": found.id, "agent": agent.id, "name": name}
                await shared.notify(session, event=assigned)
            await session.commit()
        return agent

    async def from_agent(self, agent: AgentSeat, conversation_id: int, text: str) -> None:
        request_id = self._requests.get(conversation_id)
        if conversation_id not in agent.conversations or request_id is None:
            return
        await self._record(conversation_id, request_id, sender="agent", text=text, actor=agent.name)

    async def end(self, conversation: Conversation, *, by: str) -> None:
        """The citizen's side ends it (or their socket closed); the other side is told, the transcript's end noted."""
        if not conversation.ended:
            conversation.ended = True
            conversation.citizen.put_nowait({"type": "ended", "conversation": conversation.id, "by": by})
            await self._end(conversation.id, conversation.request_id, by=by)

    async def end_by_agent(self, agent: AgentSeat, conversation_id: int) -> None:
        request_id = self._requests.get(conversation_id)
        if conversation_id in agent.conversations and request_id is not None:
            await self._end(conversation_id, request_id, by=agent.name)

    async def leave(self, agent: AgentSeat) -> None:
        """The agent's page closed: their conversations go back to routing."""
        self.agents.pop(agent.id, None)
        async with self._sessions()() as session:
            await shared.lock(session)
            for found in await shared.remove_agent(session, agent_id=agent.id):
                await shared.notify(session, event={"kind": "waiting", "conversation": found.id})
                await self._route(session, found.id, found.language)
            await session.commit()

    def forget(self, conversation: Conversation) -> None:
        self.conversations.pop(conversation.id, None)

    # -- inside -----------------------------------------------------------------------------------------------

    async def _route(self, session: AsyncSession, conversation_id: int, language: str) -> bool:
        """Give the conversation to the ready agent `choose_agent` names (told at commit); False: none ready."""
        seats = [AgentSeat(id=row.id, name=row.name, languages=frozenset(row.languages), ready_since=row.id,
                           conversations=held) for row, held in await shared.live_agents(session)]  # fmt: skip
        agent = choose_agent(seats, language)
        if agent is None:
            return False
        await shared.assign(session, conversation_id=conversation_id, agent_id=agent.id)
        assigned = {"kind": "assigned", "conversation": conversation_id, "agent": agent.id, "name": agent.name}
        await shared.notify(session, event=assigned)
        return True

    async def _end(self, conversation_id: int, request_id: int, *, by: str) -> None:
        async with self._sessions()() as session:
            await shared.lock(session)
            if await shared.end(session, conversation_id=conversation_id) is None:
                return  # the other side ended it first
            shared.add_message(session, request_id=request_id, actor=by, note=f"chat ended by {by}",
                               now=self._clock())  # fmt: skip
            await shared.notify(session, event={"kind": "ended", "conversation": conversation_id, "by": by[:128]})
            await session.commit()

    async def _record(self, conversation_id: int, request_id: int, *, sender: str, text: str, actor: str) -> None:
        text = text.replace("\x00", "").strip()[:MAX_CHAT_TEXT]
        if not text:
            return
        async with self._sessions()() as session:
            added = shared.add_message(session, request_id=request_id, actor=actor, note=f"{sender}: {text}",
                                       now=self._clock())  # fmt: skip
            await session.flush()
            await shared.notify(session, event={"kind": "message", "conversation": conversation_id, "event": added.id})
            await session.commit()

    def _heard(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self._events.put_nowait(payload)

    def _terminated(self, connection: Any) -> None:
        """PostgreSQL dropped the LISTEN connection (a restart, a failover): every socket of this hub is told, so
        its page closes and comes back on a new hub (api.routes.chat makes one)."""
        log.warning("chat: the LISTEN connection was lost; closing this process's chat sockets")
        self.lost.set()
        for queue in [*(c.citizen for c in self.conversations.values()), *(a.outbox for a in self.agents.values())]:
            queue.put_nowait(LOST)

    async def _consume(self) -> None:
        """Every process hears every event, in PostgreSQL's order, and delivers what concerns its sockets."""
        while True:
            payload = await self._events.get()
            try:
                await self._deliver(json.loads(payload))
            except Exception:  # one bad event must not stop the chat of this process
                log.exception("chat: delivering %s failed", payload)

    async def _deliver(self, event: Event) -> None:
        conversation_id = event["conversation"]
        citizen = self.conversations.get(conversation_id)
        agent = next((seat for seat in self.agents.values() if conversation_id in seat.conversations), None)
        kind = event["kind"]
        if kind == "assigned":
            if citizen is not None:
                citizen.agent_id = event["agent"]
                citizen.citizen.put_nowait({"type": "joined", "agent": event["name"]})
            chosen = self.agents.get(event["agent"])
            if chosen is not None:
                await self._offer(chosen, conversation_id)
        elif kind == "message":
            if citizen is None and agent is None:
                return
            async with self._sessions()() as session:
                found = await shared.event(session, event_id=event["event"])
            if found is None:
                return
            sender, _, text = found.note.partition(": ")
            message = {"type": "message", "conversation": conversation_id, "from": sender, "text": text,
                       "at": found.at.isoformat()}  # fmt: skip
            if citizen is not None:
                citizen.citizen.put_nowait(message)
            if agent is not None and found.id > self._offered.get(conversation_id, 0):  # else: in the offer
                agent.outbox.put_nowait(message)
        elif kind == "waiting":
            if citizen is not None:
                citizen.agent_id = None
                citizen.citizen.put_nowait({"type": "waiting"})
            if agent is not None:
                agent.conversations.discard(conversation_id)
        elif kind == "ended":
            ended = {"type": "ended", "conversation": conversation_id, "by": event["by"]}
            if citizen is not None and not citizen.ended:  # the citizen's own end was shown at once
                citizen.ended = True
                citizen.citizen.put_nowait(ended)
            if agent is not None:
                agent.conversations.discard(conversation_id)
                self._requests.pop(conversation_id, None)
                self._offered.pop(conversation_id, None)
                agent.outbox.put_nowait(ended)

    async def _offer(self, agent: AgentSeat, conversation_id: int) -> None:
        """The conversation on the agent's page, with its messages so far."""
        async with self._sessions()() as session:
            found = await shared.conversation(session, conversation_id=conversation_id)
            request = await shared.request_of(session, request_id=found.request_id) if found else None
            if found is None or request is None or found.agent_id != agent.id:
                return  # ended, or given to someone else since
            rows = await shared.transcript(session, request_id=request.id)
        messages = [
            {"type": "message", "conversation": conversation_id, "from": sender, "text": text,
             "at": row.at.isoformat()}
            for row in rows
            for sender, _, text in [row.note.partition(": ")]
        ]  # fmt: skip
        agent.conversations.add(conversation_id)
        self._requests[conversation_id] = request.id
        self._offered[conversation_id] = rows[-1].id if rows else 0
        agent.outbox.put_nowait({"type": "conversation", "conversation": conversation_id,
                                 "reference": request.reference, "language": found.language,
                                 "contact": request.contact, "messages": messages})  # fmt: skip

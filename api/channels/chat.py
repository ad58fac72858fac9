"""Chat between a citizen on the portal and signed-in staff: who gets a conversation, and the conversations
in flight (one hub per API process).

Rules:
- A conversation opens a request at its first message (source and channel "chat"), so the citizen gets a
  reference at once; every message is appended to the request's history as it passes (action "chat"): the
  transcript is on the request even if the process stops mid-conversation.
- Routing by language: a conversation goes to the ready agent who takes its language and has the fewest
  conversations (ties: the one ready longest); with nobody ready it waits and goes to the first agent who
  becomes ready for its language. `choose_agent` is the pure rule.
- The hub lives in one API process: a citizen and the agent must reach the same process (one API process, or
  sticky routing of /portal/chat and /chat by a load balancer). Spreading it over PostgreSQL LISTEN/NOTIFY is
  the way past that.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crud import calendar_overrides
from api.crud.requests import open_request
from api.models import RequestEvent
from api.request_config import RequestConfig
from api.schemas.requests import RequestCreate

Event = dict[str, Any]
MAX_CHAT_TEXT = 2000


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
    def __init__(
        self,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        config: Callable[[], RequestConfig],
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self._ids = itertools.count(1)
        self.agents: dict[int, AgentSeat] = {}
        self.conversations: dict[int, Conversation] = {}
        self.waiting: list[int] = []  # conversation ids, oldest first

    # -- citizens ---------------------------------------------------------------------------------------------

    async def start(self, *, language: str, contact: str, text: str, request_type: int | None) -> Conversation:
        """A conversation and its request, routed at once (or waiting)."""
        now = self._clock()
        request_in = RequestCreate(source="chat", channel="chat", request_type=request_type, language=language,
                                   contact=contact, description=text, created_at=now, created_by="chat")  # fmt: skip
        async with self._sessions()() as session:
            config = self._config().with_overrides(await calendar_overrides.in_force(session))  # deadlines
            request = await open_request(session, config=config, request_in=request_in, now=now)
        conversation = Conversation(id=next(self._ids), request_id=request.id, reference=request.reference,
                                    language=language, contact=contact, citizen=asyncio.Queue())  # fmt: skip
        self.conversations[conversation.id] = conversation
        await self._record(conversation, sender="citizen", text=text, actor="citizen")
        conversation.citizen.put_nowait({"type": "started", "reference": request.reference})
        self._route(conversation)
        return conversation

    async def from_citizen(self, conversation: Conversation, text: str) -> None:
        if conversation.ended:
            return
        await self._record(conversation, sender="citizen", text=text, actor="citizen")

    # -- agents -----------------------------------------------------------------------------------------------

    def ready(self, *, name: str, languages: Sequence[str]) -> AgentSeat:
        agent = AgentSeat(id=next(self._ids), name=name, languages=frozenset(languages), ready_since=next(self._ids))
        self.agents[agent.id] = agent
        agent.outbox.put_nowait({"type": "ready", "languages": sorted(agent.languages)})
        for conversation_id in list(self.waiting):
            conversation = self.conversations[conversation_id]
            if conversation.language in agent.languages:
                self.waiting.remove(conversation_id)
                self._assign(conversation, agent)
        return agent

    async def from_agent(self, agent: AgentSeat, conversation_id: int, text: str) -> None:
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation.agent_id != agent.id or conversation.ended:
            return
        await self._record(conversation, sender="agent", text=text, actor=agent.name)

    async def end(self, conversation: Conversation, *, by: str) -> None:
        """Either side ends it; the other is told, the transcript's end noted."""
        if conversation.ended:
            return
        conversation.ended = True
        if conversation.id in self.waiting:
            self.waiting.remove(conversation.id)
        await self._note(conversation, actor=by, note=f"chat ended by {by}")
        ended = {"type": "ended", "conversation": conversation.id, "by": by}
        conversation.citizen.put_nowait(ended)
        agent = self.agents.get(conversation.agent_id) if conversation.agent_id is not None else None
        if agent is not None:
            agent.conversations.discard(conversation.id)
            agent.outbox.put_nowait(ended)

    async def leave(self, agent: AgentSeat) -> None:
        """The agent's page closed: their conversations go back to routing."""
        self.agents.pop(agent.id, None)
        for conversation_id in sorted(agent.conversations):
            conversation = self.conversations[conversation_id]
            conversation.agent_id = None
            conversation.citizen.put_nowait({"type": "waiting"})
            self._route(conversation)

    def forget(self, conversation: Conversation) -> None:
        self.conversations.pop(conversation.id, None)

    # -- inside -----------------------------------------------------------------------------------------------

    def _route(self, conversation: Conversation) -> None:
        agent = choose_agent(self.agents.values(), conversation.language)
        if agent is None:
            self.waiting.append(conversation.id)
            conversation.citizen.put_nowait({"type": "waiting"})
        else:
            self._assign(conversation, agent)

    def _assign(self, conversation: Conversation, agent: AgentSeat) -> None:
        conversation.agent_id = agent.id
        agent.conversations.add(conversation.id)
        agent.outbox.put_nowait({"type": "conversation", "conversation": conversation.id,
                                 "reference": conversation.reference, "language": conversation.language,
                                 "contact": conversation.contact, "messages": list(conversation.messages)})  # fmt: skip
        conversation.citizen.put_nowait({"type": "joined", "agent": agent.name})

    async def _record(self, conversation: Conversation, *, sender: str, text: str, actor: str) -> None:
        text = text.replace("\x00", "").strip()[:MAX_CHAT_TEXT]
        if not text:
            return
        at = self._clock()
        await self._note(conversation, actor=actor, note=f"{sender}: {text}")
        event = {"type": "message", "conversation": conversation.id, "from": sender, "text": text,
                 "at": at.isoformat()}  # fmt: skip
        conversation.messages.append(event)
        conversation.citizen.put_nowait(event)
        agent = self.agents.get(conversation.agent_id) if conversation.agent_id is not None else None
        if agent is not None:
            agent.outbox.put_nowait(event)

    async def _note(self, conversation: Conversation, *, actor: str, note: str) -> None:
        async with self._sessions()() as session:
            session.add(RequestEvent(request_id=conversation.request_id, at=self._clock(), actor=actor[:128],
                                     action="chat", note=note))  # fmt: skip
            await session.commit()


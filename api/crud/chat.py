"""The chat's shared state in PostgreSQL (api.channels.chat has the rules): keyword-only functions, each given its
session; the caller commits, so a change and the NOTIFY telling every process of it land together.

Rules:
- Every routing change (an agent ready or gone, a conversation started or ended) runs under one transaction-level
  advisory lock: a conversation starting while an agent gets ready is seen by one of the two, never by neither.
- Rows whose process died (their LISTEN connection's backend pid is gone from pg_stat_activity) are dropped
  before routing, so nobody is routed to a page that no longer exists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, column, delete, func, select, table, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.chat_models import ChatAgent, ChatConversation
from api.models import RequestEvent, RequestRow

CHANNEL = "ivr_chat"
LOCK_KEY = 0x1F0_C4A7  # any constant shared by every API process
# the backends connected now: a row naming another pid belongs to a process that died
ALIVE: Select[int] = select(column("pid", Integer)).select_from(table("pg_stat_activity"))


async def lock(session: AsyncSession) -> None:
    """Routing changes one at a time (released at commit or rollback)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    await session.execute(delete(ChatAgent).where(ChatAgent.listener_pid.not_in(ALIVE)))
    await session.execute(delete(ChatConversation).where(ChatConversation.listener_pid.not_in(ALIVE)))


async def notify(session: AsyncSession, *, event: dict[str, Any]) -> None:
    """Told to every process at commit (ids and names only: well under NOTIFY's 8000 bytes)."""
    await session.execute(text("SELECT pg_notify(:channel, :payload)"),
                          {"channel": CHANNEL, "payload": json.dumps(event)})  # fmt: skip


async def add_agent(
    session: AsyncSession, *, name: str, languages: Sequence[str], listener_pid: int, now: datetime
) -> int:
    agent = ChatAgent(name=name, languages=list(languages), listener_pid=listener_pid, ready_at=now)
    session.add(agent)
    await session.flush()
    return agent.id


async def remove_agent(session: AsyncSession, *, agent_id: int) -> list[ChatConversation]:
    """Gone: its conversations, now waiting (agent None), in the order they started."""
    await session.execute(delete(ChatAgent).where(ChatAgent.id == agent_id))
    found = await session.scalars(
        update(ChatConversation).where(ChatConversation.agent_id == agent_id).values(agent_id=None)
        .returning(ChatConversation)
    )  # fmt: skip
    return sorted(found.all(), key=lambda conversation: conversation.id)


async def live_agents(session: AsyncSession) -> list[tuple[ChatAgent, set[int]]]:
    """The ready agents and the conversations each has, oldest agent first."""
    agents = (await session.scalars(select(ChatAgent).order_by(ChatAgent.id))).all()
    pairs = (await session.execute(
        select(ChatConversation.agent_id, ChatConversation.id).where(ChatConversation.agent_id.is_not(None))
    )).all()  # fmt: skip
    held: dict[int, set[int]] = {}
    for agent_id, conversation_id in pairs:
        if agent_id is not None:
            held.setdefault(agent_id, set()).add(conversation_id)
    return [(agent, held.get(agent.id, set())) for agent in agents]


async def open_conversation(
    session: AsyncSession, *, request_id: int, language: str, listener_pid: int, now: datetime
) -> ChatConversation:
    conversation = ChatConversation(request_id=request_id, language=language, listener_pid=listener_pid,
                                    started_at=now)  # fmt: skip
    session.add(conversation)
    await session.flush()
    return conversation


async def assign(session: AsyncSession, *, conversation_id: int, agent_id: int) -> None:
    await session.execute(
        update(ChatConversation).where(ChatConversation.id == conversation_id).values(agent_id=agent_id)
    )


async def waiting(session: AsyncSession, *, languages: Sequence[str]) -> list[ChatConversation]:
    """Conversations without an agent in these languages, oldest first."""
    query = select(ChatConversation).where(ChatConversation.agent_id.is_(None),
                                           ChatConversation.language.in_(list(languages)))  # fmt: skip
    return list((await session.scalars(query.order_by(ChatConversation.id))).all())


async def end(session: AsyncSession, *, conversation_id: int) -> ChatConversation | None:
    """The conversation, removed; None when it had already ended."""
    found: ChatConversation | None = await session.scalar(
        delete(ChatConversation).where(ChatConversation.id == conversation_id).returning(ChatConversation)
    )
    return found


async def conversation(session: AsyncSession, *, conversation_id: int) -> ChatConversation | None:
    return await session.get(ChatConversation, conversation_id)


async def request_of(session: AsyncSession, *, request_id: int) -> RequestRow | None:
    return await session.get(RequestRow, request_id)


async def transcript(session: AsyncSession, *, request_id: int) -> list[RequestEvent]:
    """The chat's messages so far on the request (action "chat", notes "citizen: ..." or "agent: ...")."""
    query = select(RequestEvent).where(RequestEvent.request_id == request_id, RequestEvent.action == "chat",
                                       func.starts_with(RequestEvent.note, "citizen: ")
                                       | func.starts_with(RequestEvent.note, "agent: "))  # fmt: skip
    return list((await session.scalars(query.order_by(RequestEvent.id))).all())


async def event(session: AsyncSession, *, event_id: int) -> RequestEvent | None:
    return await session.get(RequestEvent, event_id)


def add_message(session: AsyncSession, *, request_id: int, actor: str, note: str, now: datetime) -> RequestEvent:
    found = RequestEvent(request_id=request_id, at=now, actor=actor[:128], action="chat", note=note)
    session.add(found)
    return found

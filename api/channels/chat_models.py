"""Tables of the chat across API processes (migration 0020; api.channels.chat has the rules)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, Identity, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base


class ChatAgent(Base):
    """A staff member's chat page, ready for conversations in `languages`."""

    __tablename__ = "chat_agents"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    listener_pid: Mapped[int] = mapped_column(Integer)
    ready_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChatConversation(Base):
    """A conversation in flight: its request, its language, its agent (None: waiting)."""

    __tablename__ = "chat_conversations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(BigInteger)  # ix_chat_conversations_agent
    listener_pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

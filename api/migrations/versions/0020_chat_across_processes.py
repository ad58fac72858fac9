"""The chat across API processes (api.channels.chat): the staff members ready for chats and the conversations in
flight, shared by every process; messages travel by PostgreSQL NOTIFY on channel `ivr_chat`.

No personal data here (the contact and the transcript are on the request), and no foreign key to requests: a
conversation row lives only while its conversation does. Each row names the backend pid of the LISTEN connection of
the process holding its socket: a row whose pid is no longer in pg_stat_activity belongs to a process that died,
and routing drops it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_agents",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),  # ascending: the order they got ready
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("languages", sa.ARRAY(sa.String(16)), nullable=False),
        sa.Column("listener_pid", sa.Integer(), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.BigInteger()),  # None: waiting for an agent
        sa.Column("listener_pid", sa.Integer(), nullable=False),  # the citizen's process
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chat_conversations_agent", "chat_conversations", ["agent_id"])


def downgrade() -> None:
    op.drop_table("chat_conversations")
    op.drop_table("chat_agents")

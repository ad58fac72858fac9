"""Queue events (live state rebuilt after a restart) and callbacks (one open callback per number).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("uniqueid", sa.String(64), nullable=False),
        sa.Column("interface", sa.String(128), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
    )
    op.create_index("ix_queue_events_event_at", "queue_events", ["event_at"])
    op.create_table(
        "callbacks",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # One open callback per number: a caller pressing 1 twice, or on two lines, books one callback.
    op.create_index(
        "ux_callbacks_open_number",
        "callbacks",
        ["number"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'dialing')"),
    )
    op.create_index("ix_callbacks_status_joined_at", "callbacks", ["status", "joined_at"])


def downgrade() -> None:
    op.drop_index("ix_callbacks_status_joined_at", "callbacks")
    op.drop_index("ux_callbacks_open_number", "callbacks")
    op.drop_table("callbacks")
    op.drop_index("ix_queue_events_event_at", "queue_events")
    op.drop_table("queue_events")

"""Call records, remembered caller languages, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("linkedid", sa.String(64), nullable=False, unique=True),
        sa.Column("caller_number", sa.String(64), nullable=False),
        sa.Column("caller_name", sa.String(256), nullable=False),
        sa.Column("dialed_number", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("language", sa.String(16)),
        sa.Column("route", sa.String(16)),
        sa.Column("request_type", sa.SmallInteger()),
        sa.Column("reference", sa.String(32)),
        sa.Column("queue", sa.String(64)),
        sa.Column("wait_seconds", sa.Float()),
        sa.Column("agent", sa.String(128)),
        sa.Column("talk_seconds", sa.Float()),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("hangup_cause", sa.String(64)),
        sa.Column("voicemail_path", sa.String(512)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
    )
    op.create_index("ix_calls_started_at_id", "calls", ["started_at", "id"])
    op.create_index("ix_calls_caller_number", "calls", ["caller_number"])
    op.create_table(
        "caller_languages",
        sa.Column("caller_number", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("call_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_table("caller_languages")
    op.drop_index("ix_calls_caller_number", "calls")
    op.drop_index("ix_calls_started_at_id", "calls")
    op.drop_table("calls")

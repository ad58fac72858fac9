"""Durable citizen notifications (api.channels.notify): a notification is stored as pending before it is sent,
and a worker in each API process retries the failed ones with backoff (api.channels.backoff) until they are sent
or given up.

Rows written before this migration keep their outcome (sent | failed) and are not retried: their next try is
empty. The Message-ID is chosen when the row is written, so every try of one notification carries the same one.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("citizen_notifications", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("citizen_notifications", sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("citizen_notifications", sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "citizen_notifications", sa.Column("message_id", sa.String(256), nullable=False, server_default="")
    )
    op.create_index(
        "ix_citizen_notifications_due", "citizen_notifications", ["next_try_at"],
        postgresql_where=sa.text("next_try_at IS NOT NULL"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_citizen_notifications_due", "citizen_notifications")
    for column in ("message_id", "sent_at", "next_try_at", "attempts"):
        op.drop_column("citizen_notifications", column)

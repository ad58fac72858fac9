"""Dispositions: how an agent closed a call (outcome, note, and the request it opened, if any).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispositions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("uniqueid", sa.String(64), nullable=False),
        sa.Column("seat", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("caller_number", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16)),
        # no foreign key: requests may be archived, but a disposition row never blocks anything about them
        sa.Column("request_id", sa.BigInteger()),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # One disposition per call per seat: a second one is refused (409), never silently merged.
    op.create_index("ux_dispositions_linkedid_seat", "dispositions", ["linkedid", "seat"], unique=True)
    op.create_index("ix_dispositions_seat_created_at", "dispositions", ["seat", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_dispositions_seat_created_at", "dispositions")
    op.drop_index("ux_dispositions_linkedid_seat", "dispositions")
    op.drop_table("dispositions")

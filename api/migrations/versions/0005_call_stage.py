"""The IVR stage of a call: where the caller was when the flow handed over or the caller hung up.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("stage", sa.String(32), nullable=True))


def downgrade() -> None:
    op.drop_column("calls", "stage")

"""A version per call record (the API keeps the newest one) and a retry time per callback.

`calls.version`: the call plane's version of the record (callcenter.records, "Versions"); rows stored before
have version 0, older than any versioned post. `callbacks.retry_at`: a callback that was not answered waits
until then before it is dialed again (api.ami.callback_rules).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("callbacks", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("callbacks", "retry_at")
    op.drop_column("calls", "version")

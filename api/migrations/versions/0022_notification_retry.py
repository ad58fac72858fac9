"""A given-up citizen notification asked again by staff (POST /requests/{reference}/notifications/{id}/retry):
when and by whom. The 48-hour budget of tries (api.channels.backoff) then counts from `requeued_at`, not from
`at`: `at` stays when the notification was first queued, which is also the Date every try of an e-mail carries.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("citizen_notifications", sa.Column("requeued_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "citizen_notifications", sa.Column("requeued_by", sa.String(128), nullable=False, server_default="")
    )


def downgrade() -> None:
    for column in ("requeued_by", "requeued_at"):
        op.drop_column("citizen_notifications", column)

"""Calendar overrides entered by administrators while the system runs (closures, holiday dates), and the
configuration generation an administrator's "re-read the call-center file" bumps (api/routes/operations.py).

Removing an override keeps its row (removed_at, removed_by): what the calendar said on a past day stays
explainable; the audit log records every change as well.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),  # closure | holiday
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),  # a closure's reason, or the holiday's name
        sa.Column("holiday_year", sa.Integer()),  # a holiday override: the year whose dates it replaces
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(128)),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('closure', 'holiday')", name="ck_calendar_overrides_kind"),
        sa.CheckConstraint("last_day >= first_day", name="ck_calendar_overrides_days"),
        sa.CheckConstraint("kind = 'closure' OR holiday_year IS NOT NULL", name="ck_calendar_overrides_year"),
    )
    op.create_index(
        "ix_calendar_overrides_active", "calendar_overrides", ["first_day"], postgresql_where="removed_at IS NULL"
    )
    op.create_table(
        "config_generation",
        sa.Column("id", sa.SmallInteger(), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("changed_by", sa.String(128)),
        sa.Column("changed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("id = 1", name="ck_config_generation_one_row"),
    )
    op.execute("INSERT INTO config_generation (id, generation) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("config_generation")
    op.drop_index("ix_calendar_overrides_active", "calendar_overrides")
    op.drop_table("calendar_overrides")

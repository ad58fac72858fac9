"""The complaint workflow (issue 17): where each request stands (department, category, stage, assignee, stage
clock, answer), its append-only history of transitions, and the staff roles desk, officer and official.

The workflow columns live on `requests` (outside the archive guard of 0003: an archived complaint's content
never changes, its workflow moves on). The history is keyed by the request's id and reference with no foreign
key, so truncating requests in a test never trips over it. UPDATE, DELETE and TRUNCATE of the history are
refused by triggers (the API connects as the table's owner, so privileges alone cannot say it), as for the audit
log of 0009.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE FUNCTION workflow_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the workflow history is append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END $$;
"""
OLD_ROLES = "role IN ('agent', 'supervisor', 'admin')"
NEW_ROLES = "role IN ('agent', 'supervisor', 'admin', 'desk', 'officer', 'official')"


def upgrade() -> None:
    op.add_column("requests", sa.Column("category", sa.String(40), nullable=True))
    op.add_column("requests", sa.Column("department", sa.String(40), nullable=True))
    op.add_column("requests", sa.Column("stage", sa.String(16), nullable=True))  # NULL: not in the workflow
    op.add_column("requests", sa.Column("assignee", sa.String(128), nullable=True))
    op.add_column("requests", sa.Column("channel", sa.String(16), nullable=False, server_default=""))
    op.add_column("requests", sa.Column("district", sa.String(64), nullable=False, server_default=""))
    op.add_column("requests", sa.Column("stage_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("requests", sa.Column("stage_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("requests", sa.Column("answer_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("requests", sa.Column("answer", sa.Text(), nullable=False, server_default=""))
    op.add_column("requests", sa.Column("duplicate_of", sa.String(12), nullable=True))
    op.add_column("requests", sa.Column("satisfaction", sa.SmallInteger(), nullable=True))
    op.create_check_constraint("ck_requests_satisfaction", "requests", "satisfaction BETWEEN 1 AND 5")
    op.create_index("ix_requests_stage_department", "requests", ["stage", "department"])
    op.create_table(
        "workflow_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("capacity", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_stage", sa.String(16), nullable=True),
        sa.Column("to_stage", sa.String(16), nullable=False),
        sa.Column("department", sa.String(40), nullable=True),
        sa.Column("assignee", sa.String(128), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_workflow_history_request", "workflow_history", ["request_id", "reference", "id"])
    op.create_index("ix_workflow_history_at", "workflow_history", ["at"])
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER workflow_history_no_change BEFORE UPDATE OR DELETE ON workflow_history "
        "FOR EACH ROW EXECUTE FUNCTION workflow_history_append_only()"
    )
    op.execute(
        "CREATE TRIGGER workflow_history_no_truncate BEFORE TRUNCATE ON workflow_history "
        "FOR EACH STATEMENT EXECUTE FUNCTION workflow_history_append_only()"
    )
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON workflow_history FROM PUBLIC")
    op.drop_constraint("ck_staff_users_role", "staff_users")
    op.create_check_constraint("ck_staff_users_role", "staff_users", NEW_ROLES)


def downgrade() -> None:
    op.drop_constraint("ck_staff_users_role", "staff_users")
    op.create_check_constraint("ck_staff_users_role", "staff_users", OLD_ROLES)
    op.drop_table("workflow_history")
    op.execute("DROP FUNCTION workflow_history_append_only()")
    op.drop_index("ix_requests_stage_department", "requests")
    op.drop_constraint("ck_requests_satisfaction", "requests")
    for column in ("satisfaction", "duplicate_of", "answer", "answer_due_at", "stage_due_at", "stage_since",
                   "district", "channel", "assignee", "stage", "department", "category"):  # fmt: skip
        op.drop_column("requests", column)

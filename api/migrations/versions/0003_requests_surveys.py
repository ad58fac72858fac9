"""Requests (tickets) with their history, archive rules enforced by triggers, and the survey rating of a call.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The content of an archived request (a complaint) never changes; only its workflow moves on.
ARCHIVE_GUARD = """
CREATE FUNCTION requests_archive_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.archived THEN
            RAISE EXCEPTION 'request % is archived and cannot be deleted', OLD.reference
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.archived AND (
        NEW.reference, NEW.origin_key, NEW.source, NEW.request_type, NEW.type_key, NEW.language, NEW.service,
        NEW.caller_number, NEW.contact, NEW.description, NEW.linkedid, NEW.voicemail_path, NEW.archived,
        NEW.corrects_id, NEW.created_by, NEW.created_at, NEW.due_at
    ) IS DISTINCT FROM (
        OLD.reference, OLD.origin_key, OLD.source, OLD.request_type, OLD.type_key, OLD.language, OLD.service,
        OLD.caller_number, OLD.contact, OLD.description, OLD.linkedid, OLD.voicemail_path, OLD.archived,
        OLD.corrects_id, OLD.created_by, OLD.created_at, OLD.due_at
    ) THEN
        RAISE EXCEPTION 'request % is archived: record a correction instead of changing it', OLD.reference
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
"""

APPEND_ONLY = """
CREATE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request history is append-only' USING ERRCODE = 'restrict_violation';
END $$;
"""


def upgrade() -> None:
    op.add_column("calls", sa.Column("survey_rating", sa.SmallInteger(), nullable=True))
    op.create_check_constraint("ck_calls_survey_rating", "calls", "survey_rating BETWEEN 1 AND 5")
    op.create_table(
        "requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("reference", sa.String(12), nullable=False, unique=True),
        sa.Column("origin_key", sa.String(160), nullable=True, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("request_type", sa.SmallInteger(), nullable=False),
        sa.Column("type_key", sa.String(40), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("service", sa.String(64), nullable=False, server_default=""),
        sa.Column("caller_number", sa.String(64), nullable=False, server_default=""),
        sa.Column("contact", sa.String(256), nullable=False, server_default=""),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("linkedid", sa.String(64), nullable=True),
        sa.Column("voicemail_path", sa.String(512), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("corrects_id", sa.BigInteger(), sa.ForeignKey("requests.id"), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('new', 'in_progress', 'answered', 'closed')", name="ck_requests_status"),
    )
    op.create_index("ix_requests_status_due_at", "requests", ["status", "due_at"])
    op.create_index("ix_requests_created_at", "requests", ["created_at"])
    op.create_index("ix_requests_linkedid", "requests", ["linkedid"])
    op.create_table(
        "request_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.BigInteger(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_request_events_request_id", "request_events", ["request_id"])
    op.execute(ARCHIVE_GUARD)
    op.execute(
        "CREATE TRIGGER requests_archive_guard BEFORE UPDATE OR DELETE ON requests "
        "FOR EACH ROW EXECUTE FUNCTION requests_archive_guard()"
    )
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER request_events_append_only BEFORE UPDATE OR DELETE ON request_events "
        "FOR EACH ROW EXECUTE FUNCTION request_events_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER request_events_append_only ON request_events")
    op.execute("DROP FUNCTION request_events_append_only()")
    op.execute("DROP TRIGGER requests_archive_guard ON requests")
    op.execute("DROP FUNCTION requests_archive_guard()")
    op.drop_table("request_events")
    op.drop_table("requests")
    op.drop_constraint("ck_calls_survey_rating", "calls")
    op.drop_column("calls", "survey_rating")

"""Channels into requests (issue 17 B): the channel of each request and where the citizen placed it, the files
that came with it (photos, scans, mail attachments), every e-mail in and out (raw, kept even when refused), the
notifications sent to citizens, and the satisfaction question asked on closing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The archive guard of 0003 names the columns it protects; the channel and the place of an archived request are
# content too.
CHANNEL_GUARD = """
CREATE FUNCTION requests_channel_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.archived AND (NEW.channel, NEW.location_text, NEW.latitude, NEW.longitude)
        IS DISTINCT FROM (OLD.channel, OLD.location_text, OLD.latitude, OLD.longitude) THEN
        RAISE EXCEPTION 'request % is archived: record a correction instead of changing it', OLD.reference
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
"""


# No foreign keys to requests (as dispositions, 0011): requests are never deleted, and the tiers empty the requests
# table between tests (TRUNCATE refuses a table other tables point at).


def upgrade() -> None:
    # requests.channel itself comes with the complaint workflow (0014)
    op.add_column("requests", sa.Column("location_text", sa.String(300), nullable=False, server_default=""))
    op.add_column("requests", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("requests", sa.Column("longitude", sa.Float(), nullable=True))
    op.create_check_constraint(
        "ck_requests_coordinates",
        "requests",
        "(latitude IS NULL) = (longitude IS NULL) AND (latitude IS NULL OR (latitude BETWEEN -90 AND 90 "
        "AND longitude BETWEEN -180 AND 180))",
    )
    op.execute(CHANNEL_GUARD)
    op.execute(
        "CREATE TRIGGER requests_channel_guard BEFORE UPDATE ON requests "
        "FOR EACH ROW EXECUTE FUNCTION requests_channel_guard()"
    )
    op.create_table(
        "request_attachments",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.BigInteger(), nullable=False, index=True),
        sa.Column("origin", sa.String(16), nullable=False),  # web | email | paper
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("direction", sa.String(4), nullable=False),  # in | out
        sa.Column("message_id", sa.String(256), nullable=False, server_default=""),
        sa.Column("request_id", sa.BigInteger(), nullable=True, index=True),
        sa.Column("sender", sa.String(256), nullable=False, server_default=""),
        sa.Column("recipients", sa.Text(), nullable=False, server_default=""),
        sa.Column("subject", sa.String(400), nullable=False, server_default=""),
        # in: request | reply | refused | ignored; out: sent | failed
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mail_messages_message_id", "mail_messages", ["message_id"])
    op.create_table(
        "citizen_notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.BigInteger(), nullable=False, index=True),
        sa.Column("channel", sa.String(8), nullable=False),  # email | sms
        sa.Column("recipient", sa.String(256), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),  # received | <status>
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),  # sent | failed
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "request_satisfaction",
        sa.Column("request_id", sa.BigInteger(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_request_satisfaction_rating"),
    )


def downgrade() -> None:
    op.drop_table("request_satisfaction")
    op.drop_table("citizen_notifications")
    op.drop_index("ix_mail_messages_message_id", "mail_messages")
    op.drop_table("mail_messages")
    op.drop_table("request_attachments")
    op.execute("DROP TRIGGER requests_channel_guard ON requests")
    op.execute("DROP FUNCTION requests_channel_guard()")
    op.drop_constraint("ck_requests_coordinates", "requests")
    for column in ("longitude", "latitude", "location_text"):
        op.drop_column("requests", column)

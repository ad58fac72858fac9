"""Call instants within 2000..2100 and durations finite and within a week, as callcenter.records now requires.

Before this, a record dated year 1 was stored as -infinity (and broke every report grouping by day or week), and
a wait of 1e308 seconds overflowed every sum. Rows already holding such values are repaired: a start out of range
becomes the time the API received the call, other instants and durations out of range become unknown (NULL).
CHECK constraints then keep the rule in the database too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EARLIEST = "'2000-01-01T00:00:00Z'::timestamptz"
LATEST = "'2100-01-01T00:00:00Z'::timestamptz"
MAX_SECONDS = 7 * 86400


def _in_range(column: str) -> str:
    return f"{column} >= {EARLIEST} AND {column} < {LATEST}"


def _seconds_ok(column: str) -> str:
    # 'NaN' and 'Infinity' compare greater than any number in PostgreSQL, so the upper bound refuses them too
    return f"{column} >= 0 AND {column} <= {MAX_SECONDS}"


def upgrade() -> None:
    # S608: every piece of these statements is a constant of this file, never input
    op.execute(f"UPDATE calls SET started_at = received_at WHERE NOT ({_in_range('started_at')})")  # noqa: S608
    for column in ("answered_at", "ended_at"):
        op.execute(f"UPDATE calls SET {column} = NULL WHERE NOT ({_in_range(column)})")  # noqa: S608
    for column in ("wait_seconds", "talk_seconds"):
        op.execute(f"UPDATE calls SET {column} = NULL WHERE NOT ({_seconds_ok(column)})")  # noqa: S608
    op.execute(f"DELETE FROM caller_languages WHERE NOT ({_in_range('call_started_at')})")  # noqa: S608
    op.create_check_constraint("ck_calls_started_at_range", "calls", _in_range("started_at"))
    op.create_check_constraint("ck_calls_answered_at_range", "calls", _in_range("answered_at"))
    op.create_check_constraint("ck_calls_ended_at_range", "calls", _in_range("ended_at"))
    op.create_check_constraint("ck_calls_wait_seconds_range", "calls", _seconds_ok("wait_seconds"))
    op.create_check_constraint("ck_calls_talk_seconds_range", "calls", _seconds_ok("talk_seconds"))


def downgrade() -> None:
    for name in ("started_at", "answered_at", "ended_at", "wait_seconds", "talk_seconds"):
        op.drop_constraint(f"ck_calls_{name}_range", "calls", type_="check")

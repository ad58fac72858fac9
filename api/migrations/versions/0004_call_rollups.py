"""Hourly rollups of call records, maintained on ingest by triggers, so reports over months read a few thousand
rows instead of every call (benchmarks/reports.py: a month out of 10 million calls, ~1 s raw).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

# ruff: noqa: S608  (SQL assembled from the constants below only, never from input)
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Service-level thresholds the rollups can answer exactly (api.models.ROLLUP_THRESHOLDS_S says the same).
THRESHOLDS = (10, 15, 20, 30, 45, 60, 90, 120, 180, 300)
KEYS = "hour, language, queue, outcome"
COLUMNS = "calls, wait_sum, wait_count, talk_sum, talk_count, " + ", ".join(f"within_{t}s" for t in THRESHOLDS)


def _aggregate(source: str, sign: str) -> str:
    """The rollup rows of the calls in `source`, each figure multiplied by `sign` (1 or -1)."""
    within = ", ".join(f"{sign} * count(*) FILTER (WHERE wait_seconds <= {t}) AS within_{t}s" for t in THRESHOLDS)
    return f"""
        SELECT date_trunc('hour', started_at, 'UTC') AS hour, coalesce(language, '') AS language,
               coalesce(queue, '') AS queue, outcome, {sign} * count(*) AS calls,
               {sign} * coalesce(sum(wait_seconds::numeric), 0) AS wait_sum, {sign} * count(wait_seconds) AS wait_count,
               {sign} * coalesce(sum(talk_seconds::numeric), 0) AS talk_sum, {sign} * count(talk_seconds) AS talk_count,
               {within}
        FROM {source} GROUP BY 1, 2, 3, 4"""


def _merge(select: str) -> str:
    # ORDER BY: concurrent batches lock rollup rows in the same order, so they wait for each other instead of
    # deadlocking.
    updates = ", ".join(f"{name} = r.{name} + excluded.{name}" for name in COLUMNS.split(", "))
    return f"""
        INSERT INTO call_hourly AS r ({KEYS}, {COLUMNS})
        SELECT * FROM ({select}) AS delta ORDER BY 1, 2, 3, 4
        ON CONFLICT ({KEYS}) DO UPDATE SET {updates}"""


# One statement-level function for all three operations (transition tables: each statement is aggregated
# once, however many rows it touched). An UPDATE is its old rows taken out and its new rows put in, in one
# statement. Rows whose counts fall to zero are left: harmless, and an update brings them back anyway.
APPLY = f"""
CREATE FUNCTION call_hourly_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_merge(_aggregate("new_rows", "1"))};
    ELSIF TG_OP = 'DELETE' THEN
        {_merge(_aggregate("old_rows", "-1"))};
    ELSE
        {_merge(f"SELECT {KEYS}, " + ", ".join(f"sum({c})" for c in COLUMNS.split(", ")) + " FROM ("
                + _aggregate("old_rows", "-1") + " UNION ALL " + _aggregate("new_rows", "1")
                + ") AS both_sides GROUP BY 1, 2, 3, 4")};
    END IF;
    RETURN NULL;
END $$;
"""

TRUNCATE = """
CREATE FUNCTION call_hourly_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE call_hourly;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "call_hourly",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("wait_sum", sa.Numeric(), nullable=False),
        sa.Column("wait_count", sa.BigInteger(), nullable=False),
        sa.Column("talk_sum", sa.Numeric(), nullable=False),
        sa.Column("talk_count", sa.BigInteger(), nullable=False),
        *[sa.Column(f"within_{t}s", sa.BigInteger(), nullable=False) for t in THRESHOLDS],
        sa.PrimaryKeyConstraint("hour", "language", "queue", "outcome"),
    )
    op.execute(APPLY)
    op.execute(TRUNCATE)
    op.execute(
        "CREATE TRIGGER call_hourly_insert AFTER INSERT ON calls REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION call_hourly_apply()"
    )
    op.execute(
        "CREATE TRIGGER call_hourly_update AFTER UPDATE ON calls REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION call_hourly_apply()"
    )
    op.execute(
        "CREATE TRIGGER call_hourly_delete AFTER DELETE ON calls REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION call_hourly_apply()"
    )
    op.execute(
        "CREATE TRIGGER call_hourly_truncate AFTER TRUNCATE ON calls "
        "FOR EACH STATEMENT EXECUTE FUNCTION call_hourly_truncate()"
    )
    # Calls stored before this migration.
    op.execute(_merge(_aggregate("calls", "1")))


def downgrade() -> None:
    for trigger in ("call_hourly_truncate", "call_hourly_delete", "call_hourly_update", "call_hourly_insert"):
        op.execute(f"DROP TRIGGER {trigger} ON calls")
    op.execute("DROP FUNCTION call_hourly_truncate()")
    op.execute("DROP FUNCTION call_hourly_apply()")
    op.drop_table("call_hourly")

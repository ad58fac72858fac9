"""Rate limits in PostgreSQL, so that a limit holds however many API processes serve: at most `limit` hits per
key within any `window` (a sliding window, exact).

Rules:
- One row per key holds the instants of its allowed hits still in the window. One statement (an upsert) drops
  the hits that left the window, then appends this one if fewer than `limit` remain: the row lock of INSERT ...
  ON CONFLICT DO UPDATE serializes processes hitting the same key, so two of them can never both take the last
  place. A refused hit is not recorded, so the wait it is told (Retry-After) is exact.
- `hit` commits: an attempt counts even if what follows fails (a rejected form, a wrong password).
- A key has one window; put the purpose in the key ("portal:", "login:").
- Old rows are swept cheaply: each new key deletes up to SWEEP_BATCH expired ones (never waiting on a lock), so
  the table holds about as many rows as keys active within their window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

SWEEP_BATCH = 2

_KEPT = "ARRAY(SELECT h FROM unnest(rate_limits.hits) AS h WHERE h > CAST(:now AS timestamptz) - :window ORDER BY h)"

_HIT = text(
    f"""
    INSERT INTO rate_limits (key, hits, allowed, expires_at)
    VALUES (:key, ARRAY[CAST(:now AS timestamptz)], true, CAST(:now AS timestamptz) + :window)
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN cardinality({_KEPT}) < :limit THEN {_KEPT} || CAST(:now AS timestamptz) ELSE {_KEPT} END,
        allowed = cardinality({_KEPT}) < :limit,
        expires_at = CASE WHEN cardinality({_KEPT}) < :limit THEN CAST(:now AS timestamptz) + :window
                          ELSE rate_limits.expires_at END
    RETURNING allowed, hits, (xmax = 0) AS inserted
    """  # noqa: S608  _KEPT is a constant of this module
)

_SWEEP = text(
    """
    DELETE FROM rate_limits WHERE key IN (
        SELECT key FROM rate_limits WHERE expires_at <= :now ORDER BY expires_at LIMIT :batch FOR UPDATE SKIP LOCKED
    )
    """
)


async def hit(session: AsyncSession, *, key: str, limit: int, window: timedelta, now: datetime) -> float | None:
    """Count a hit on `key`: None when allowed, else the seconds to wait until one more would be (> 0).
    Commits."""
    if limit < 1 or window <= timedelta(0):
        raise ValueError("a rate limit needs limit >= 1 and a positive window")
    row = (await session.execute(_HIT, {"key": key[:200], "now": now, "window": window, "limit": limit})).one()
    if row.inserted:
        await expire(session, now=now, batch=SWEEP_BATCH)
    await session.commit()
    if row.allowed:
        return None
    hits: list[datetime] = row.hits
    # the hit that must leave the window before another fits: with n hits kept, the (n - limit + 1)th oldest
    freed_at = hits[len(hits) - limit] + window
    return max((freed_at - now).total_seconds(), 0.001)


async def expire(session: AsyncSession, *, now: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` keys with no hit left in their window (rows other processes hold are skipped);
    returns how many. Does not commit."""
    result = await session.execute(_SWEEP, {"now": now, "batch": batch})
    return int(result.rowcount)  # type: ignore[attr-defined]

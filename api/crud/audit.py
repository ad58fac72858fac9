"""The audit log in PostgreSQL: keyword-only functions, each given its session (and the time when it writes).

Rules:
- Append-only: this module inserts and reads, nothing else; PostgreSQL refuses UPDATE, DELETE and TRUNCATE
  (migration 0009) except the retention job's expiry (api.crud.retention).
- Each entry is committed at once, before the data it records leaves the API: a read that cannot be audited
  is not served.
- Listing is newest first by (at, id); the cursor is that pair of the last row, as for calls.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.calls import decode_cursor, in_period, matching
from api.models import AuditEntry
from api.schemas.audit import AuditAction, AuditCreate


async def record(session: AsyncSession, *, entry: AuditCreate, now: datetime) -> None:
    session.add(AuditEntry(at=now, **entry.model_dump(mode="json")))
    await session.commit()


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    object_id: str | None = None
    action: AuditAction | None = None
    period_from: datetime | None = None
    period_to: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        return in_period(AuditEntry.at, self.period_from, self.period_to) + matching(
            (AuditEntry.actor, self.actor),
            (AuditEntry.object_id, self.object_id),
            (AuditEntry.action, self.action.value if self.action is not None else None),
        )


def _cursor(entry: AuditEntry) -> str:
    raw = json.dumps([entry.at.isoformat(), entry.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def list_entries(
    session: AsyncSession, *, filters: AuditFilters, cursor: str | None, limit: int
) -> tuple[list[AuditEntry], str | None]:
    """Raises ValueError on a cursor we did not make."""
    query = select(AuditEntry).where(*filters.where())
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(tuple_(AuditEntry.at, AuditEntry.id) < tuple_(literal(after_at), literal(after_id)))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)
    entries = list((await session.scalars(query)).all())
    if len(entries) <= limit:
        return entries, None
    return entries[:limit], _cursor(entries[limit - 1])

"""Queue events in PostgreSQL: keyword-only functions, each given its session and time.

Rules:
- Only real events are stored (they carry Asterisk's Timestamp); replies to QueueStatus describe a moment, not a
  change, and are asked again after every reconnect instead.
- Replaying the stored events of the local day through the reducer rebuilds the day's counters after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.ami.state import QUEUE_EVENTS, AmiEvent, LiveState
from api.models import QueueEventRow


def storable(event: AmiEvent) -> bool:
    return event.get("Event") in QUEUE_EVENTS and "Timestamp" in event and bool(event.get("Queue"))


async def save_events(session: AsyncSession, *, events: Sequence[AmiEvent], received_at: datetime) -> int:
    rows = [
        {
            "event_at": LiveState.event_time(event, received_at),
            "event": event["Event"][:32],
            "queue": event["Queue"][:64],
            "uniqueid": event.get("Uniqueid", "")[:64],
            "interface": event.get("Interface", "")[:128],
            "payload": dict(event),
        }
        for event in events
        if storable(event)
    ]
    if rows:
        await session.execute(insert(QueueEventRow), rows)
        await session.commit()
    return len(rows)


async def events_since(session: AsyncSession, *, since: datetime) -> list[dict[str, str]]:
    query = (
        select(QueueEventRow.payload)
        .where(QueueEventRow.event_at >= since)
        .order_by(QueueEventRow.event_at, QueueEventRow.id)
    )
    return [dict(payload) for payload in (await session.scalars(query)).all()]

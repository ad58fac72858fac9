"""A batch of call records is stored in a few statements, not one round trip per record (benchmarks/ingest.py).

SQLAlchemy silently falls back to one statement per row for an upsert with RETURNING when the SET clause holds
a bound parameter, and the ORM's bulk insert splits a batch wherever the None fields change; either made batch
ingest ten times slower. The answer must still list the records in the order they were posted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.crud import calls as crud
from api.db import make_engine
from api.schemas.calls import CallCreate
from tests.db.conftest import T0, FixedClock, call


def mixed_batch(size: int) -> list[CallCreate]:
    records = []
    for n in range(size):
        answered = n % 3 == 0  # answered calls have an agent and times; the others leave them None
        fields: dict[str, Any] = {"outcome": "answered" if answered else "abandoned_queue",
                                  "caller_number": f"+3361234{n:04d}"}
        if answered:
            fields |= {"agent": f"agent{n}", "answered_at": (T0 + timedelta(seconds=30)).isoformat()}
        else:
            fields |= {"talk_seconds": None, "reference": str(n) if n % 2 else None}
        records.append(CallCreate.model_validate(call(f"1700000100.{n}", **fields)))
    return records


async def test_a_mixed_batch_is_a_few_statements_and_answers_in_posted_order(
    database_url: str, app: object, clock: FixedClock
) -> None:
    engine = make_engine(database_url)
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 3)[2] if statement.startswith("INSERT") else statement[:20])

    records = list(reversed(mixed_batch(60)))  # not in linkedid order, so order cannot come out by accident
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            stored = await crud.upsert_calls(session, records=records, now=clock())
            assert [item.linkedid for item in stored] == [record.linkedid for record in records]
            assert statements.count("calls") == 1
            assert statements.count("caller_languages") == 1
            again = await crud.upsert_calls(session, records=records[:5], now=clock())
            assert [item.id for item in again] == [item.id for item in stored[:5]]
            first = await crud.get_call(session, key=records[0].linkedid)
            answered = await crud.get_call(session, key="1700000100.0")
    finally:
        await engine.dispose()
    assert first is not None and first.deliveries == 2
    assert answered is not None and answered.agent == "agent0" and answered.answered_at is not None

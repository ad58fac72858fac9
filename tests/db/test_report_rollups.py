"""The summary report read from the hourly rollups (api/crud/rollups.py, triggers of migration 0004) is exactly the
summary read from the calls, through inserts, merges, deletes and truncation; and it really is read from them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crud import calls as crud
from api.crud.summary import summary
from api.db import make_engine
from api.schemas.calls import CallCreate
from api.schemas.reports import GroupBy, SummaryRow
from tests.db.conftest import T0, FixedClock, call

TIMEZONE = "Africa/Casablanca"
OUTCOMES = ["answered", "answered", "abandoned_queue", "abandoned_ivr", "voicemail", "answered"]
LANGUAGES: list[str | None] = ["ar", "fr", "zgh", None, "fr"]


def varied_calls(count: int, *, shift: int = 0) -> list[CallCreate]:
    records = []
    for n in range(count):
        fields: dict[str, Any] = {
            "started_at": (T0 + timedelta(minutes=37 * n)).isoformat(),  # across two days of local hours
            "outcome": OUTCOMES[(n + shift) % len(OUTCOMES)],
            "language": LANGUAGES[n % len(LANGUAGES)],
            "queue": None if n % 7 == 0 else f"q-{n % 3}",
            "wait_seconds": None if n % 11 == 0 else float((n * 13 + shift) % 50) + 0.25,
            "talk_seconds": None if n % 5 == 0 else float(n * 7 % 400),
        }
        records.append(CallCreate.model_validate(call(f"1700000200.{n}", **fields)))
    return records


async def both_ways(
    session: AsyncSession,
    *,
    group_by: GroupBy = GroupBy.NONE,
    threshold_seconds: float = 20.0,
    **filter_fields: Any,
) -> tuple[list[SummaryRow], list[SummaryRow]]:
    filters = crud.CallFilters(**filter_fields)
    results = []
    for use_rollups in (True, False):
        results.append(
            await summary(
                session,
                filters=filters,
                group_by=group_by,
                timezone=TIMEZONE,
                threshold_seconds=threshold_seconds,
                use_rollups=use_rollups,
            )
        )
    return results[0], results[1]


async def assert_same_everywhere(session: AsyncSession) -> None:
    period = {"period_from": T0.replace(minute=0) + timedelta(hours=3), "period_to": T0 + timedelta(hours=30)}
    for group_by in GroupBy:
        for threshold in (10.0, 20.0, 300.0):
            for extra in ({}, period, {"language": "fr"}, {"queue": "q-1"}):
                rolled, raw = await both_ways(session, group_by=group_by, threshold_seconds=threshold, **extra)
                assert rolled == raw, (group_by, threshold, extra)
                assert rolled, (group_by, threshold, extra)


async def test_rollups_agree_with_the_calls_through_inserts_merges_deletes_and_truncate(
    database_url: str, app: object, clock: FixedClock
) -> None:
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            records = varied_calls(90)
            await crud.upsert_calls(session, records=records[:40], now=clock())
            await crud.upsert_calls(session, records=records[40:], now=clock())
            await assert_same_everywhere(session)

            # merges change outcome, waits and talk times of stored calls (the UPDATE trigger)
            await crud.upsert_calls(session, records=varied_calls(60, shift=1), now=clock())
            await assert_same_everywhere(session)

            await session.execute(text("DELETE FROM calls WHERE id % 4 = 0"))
            await session.commit()
            await assert_same_everywhere(session)

            await session.execute(text("TRUNCATE calls"))
            await session.commit()
            assert await session.scalar(text("SELECT count(*) FROM call_hourly")) == 0
            rolled, raw = await both_ways(session)
            assert rolled == raw == []
    finally:
        await engine.dispose()


async def test_the_summary_reads_the_rollups_when_they_can_answer_and_the_calls_otherwise(
    database_url: str, app: object, clock: FixedClock
) -> None:
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await crud.upsert_calls(session, records=varied_calls(30), now=clock())
            await session.execute(text("UPDATE call_hourly SET calls = calls + 1000"))  # tamper with the rollups
            await session.commit()
            tampered, raw = await both_ways(session)
            assert tampered[0].offered == raw[0].offered + 1000 * await session.scalar(
                text("SELECT count(*) FROM call_hourly")
            )
            # a threshold the rollups do not keep, or a bound inside an hour: read from the calls
            odd_threshold, raw_odd = await both_ways(session, threshold_seconds=21.0)
            assert odd_threshold == raw_odd
            inside_hour, raw_inside = await both_ways(session, period_from=T0 + timedelta(minutes=5))
            assert inside_hour == raw_inside
    finally:
        await engine.dispose()

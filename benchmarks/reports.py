"""Benchmark 3: the summary report over 10 million generated call records, through the API.

Rules:
- The records are generated inside PostgreSQL (one INSERT ... SELECT FROM generate_series, no client round
  trips), spread over the year 2026 (~830,000 per month). The database ivr_bench_reports is kept between runs
  and regenerated only when its row count or the generator version differs, so a second `make bench` skips
  the minutes it takes.
- The report asked for: a month (March 2026), grouped by language and grouped by hour, as a supervisor pulls
  it (GET /reports/summary). Each is timed end to end over HTTP, median and max of several runs after one
  warm-up; the goal is under 100 ms. The API answers from the hourly rollups (api/crud/rollups.py); the baseline
  in the same run is the same summary computed from the calls themselves (api.crud.summary.summary(use_rollups=False)).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.crud.calls import CallFilters
from api.crud.summary import summary
from api.db import make_engine
from api.schemas.reports import GroupBy
from api.security.tokens import Role
from benchmarks.common import Options, verdict, write_results
from tests.support.api import api_process
from tests.support.database import database_server, migrated_database, role_tokens

GENERATOR_VERSION = "1"
MONTH = {"from": "2026-03-01T00:00:00+00:00", "to": "2026-04-01T00:00:00+00:00"}
GOAL_MS = 100.0
TIMEZONE = "Africa/Casablanca"  # the API's default, the call center's zone

GENERATE = """
INSERT INTO calls (linkedid, caller_number, caller_name, dialed_number, started_at, answered_at, ended_at,
                   language, route, request_type, queue, wait_seconds, agent, talk_seconds, outcome,
                   hangup_cause, received_at, updated_at, deliveries)
SELECT 'gen.' || i, '+2126' || lpad((i % 700001)::text, 8, '0'), '', '0800123456',
       ts, CASE WHEN outcome = 'answered' THEN ts + make_interval(secs => wait) END,
       ts + make_interval(secs => wait + talk), language, 'queue', 1 + (i % 3)::int, 'q-' || language,
       wait, CASE WHEN outcome = 'answered' THEN 'agent' || (i % 40) END,
       CASE WHEN outcome = 'answered' THEN talk END, outcome, '16', ts, ts, 1
FROM (
    SELECT i,
           timestamptz '2026-01-01 07:00:00+00' + make_interval(days => (i % 365)::int,
                                                                 secs => ((i * 7919) % 43200)::int) AS ts,
           (ARRAY['ar','ar','ar','ar','zgh','zgh','zgh','fr','fr','fr','fr','en','es','nl','it','de'])
               [1 + ((i * 2654435761) % 16)::int] AS language,
           (ARRAY['answered','answered','answered','answered','answered','answered','answered',
                  'abandoned_queue','abandoned_ivr','voicemail'])[1 + ((i * 40503) % 10)::int] AS outcome,
           ((i * 37) % 180)::float AS wait,
           (60 + (i * 53) % 600)::float AS talk
    FROM generate_series($1::bigint, $2::bigint) AS i
) AS generated
"""


async def ensure_generated(dsn: str, rows: int) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        marker = await connection.fetchval("SELECT value FROM bench_meta WHERE key = 'generated'")
        wanted = f"{GENERATOR_VERSION}:{rows}"
        if marker == wanted:
            return {"generated_now": False, "rows": rows, "generate_s": None}
        started = time.perf_counter()
        await connection.execute("TRUNCATE calls RESTART IDENTITY")
        chunk = 1_000_000
        for first in range(1, rows + 1, chunk):
            await connection.execute(GENERATE, first, min(rows, first + chunk - 1))
            print(f"reports: generated {min(rows, first + chunk - 1):,} of {rows:,} records", flush=True)
        await connection.execute("VACUUM (ANALYZE) calls")
        await connection.execute(
            "INSERT INTO bench_meta VALUES ('generated', $1) ON CONFLICT (key) DO UPDATE SET value = $1", wanted
        )
        return {"generated_now": True, "rows": rows, "generate_s": round(time.perf_counter() - started, 1)}
    finally:
        await connection.close()


async def time_report(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str], runs: int
) -> dict[str, Any]:
    await client.get("/reports/summary", params=params, headers=headers)  # warm-up
    timings: list[float] = []
    rows = 0
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get("/reports/summary", params=params, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
        rows = len(body["rows"])
        offered = sum(row["offered"] for row in body["rows"])
    return {
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "groups": rows,
        "calls_in_month": offered,
    }


async def time_raw(url: str, group_by: str, runs: int) -> float:
    """Baseline in the same run: the same summary computed from the calls themselves (no rollups), in process."""
    engine = make_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            filters = CallFilters(
                period_from=datetime.fromisoformat(MONTH["from"]), period_to=datetime.fromisoformat(MONTH["to"])
            )
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                await summary(session, filters=filters, group_by=GroupBy(group_by), timezone=TIMEZONE,
                                   threshold_seconds=20.0, use_rollups=False)
                timings.append((time.perf_counter() - started) * 1000)
            return round(statistics.median(timings), 1)
    finally:
        await engine.dispose()


async def run(options: Options) -> dict[str, Any]:
    rows = 200_000 if options.quick else 10_000_000
    runs = 3 if options.quick else 7
    work = options.results_dir / "db-work"
    work.mkdir(parents=True, exist_ok=True)
    server = await asyncio.to_thread(database_server)
    name = "ivr_bench_reports_quick" if options.quick else "ivr_bench_reports"
    url = await migrated_database(server, name, keep=True)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    figures: dict[str, Any] = {"rows": rows, "month": MONTH, "goal_ms": GOAL_MS}
    figures["generation"] = await ensure_generated(dsn, rows)
    secrets = await role_tokens(url, [Role.SUPERVISOR], prefix="bench", now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {secrets[Role.SUPERVISOR]}"}
    async with (
        api_process(url, work / "api.log") as api,
        httpx.AsyncClient(base_url=api.url, timeout=120) as client,
    ):
        for group_by in ("language", "hour"):
            figure = await time_report(client, {**MONTH, "group_by": group_by}, headers, runs)
            figure["goal_met"] = figure["median_ms"] < GOAL_MS
            figure["raw_median_ms"] = await time_raw(url, group_by, 3)
            figure["raw_vs_api"] = round(figure["raw_median_ms"] / max(figure["median_ms"], 0.1), 1)
            figures[f"by_{group_by}"] = figure
            print(
                f"reports: month by {group_by:8s}: median {figure['median_ms']} ms, max {figure['max_ms']} ms"
                f" ({figure['groups']} groups, {figure['calls_in_month']:,} calls in the month of {rows:,})"
                f"  goal < {GOAL_MS:.0f} ms: {verdict(figure['goal_met'])}; from the calls without rollups:"
                f" {figure['raw_median_ms']} ms ({figure['raw_vs_api']}x)",
                flush=True,
            )
    path = write_results(options, "reports", figures)
    print(f"reports: wrote {path}")
    return figures


def main(options: Options) -> dict[str, Any]:
    return asyncio.run(run(options))

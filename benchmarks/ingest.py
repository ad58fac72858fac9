"""Benchmark 2: call-record ingest through the API (uvicorn process) into PostgreSQL, single and batch.

Rules:
- The baseline, measured in the same run and database server, is the floor for PostgreSQL itself: the same
  records inserted directly with asyncpg (one multi-row INSERT ... ON CONFLICT per batch, as crud does), no HTTP,
  no validation. The ratio says how much of the database's speed the API keeps.
- Records are what the agi side posts: unique linkedids, so every post is an insert, plus caller languages.
- Single: several senders in parallel (several agi processes' outboxes), one record per POST. Batch: POSTs of
  `max_batch` records. The API process's CPU is read from /proc for its pid.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from api.security.tokens import Role
from benchmarks.common import Options, RssPeak, latency_summary_ms, process_cpu_s, verdict, write_results
from callcenter.records import Outcome
from tests.support.api import api_process
from tests.support.database import database_server, migrated_database, role_tokens

LANGUAGES = ["ar", "ar", "ar", "zgh", "zgh", "fr", "fr", "fr", "en", "es", "nl", "it", "de"]
OUTCOMES = [Outcome.ANSWERED] * 7 + [Outcome.ABANDONED_QUEUE, Outcome.ABANDONED_IVR, Outcome.VOICEMAIL]
_serial = itertools.count(1)
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def record() -> dict[str, Any]:
    n = next(_serial)
    language = LANGUAGES[n % len(LANGUAGES)]
    outcome = OUTCOMES[n % len(OUTCOMES)]
    started = T0 + timedelta(seconds=n * 3)
    answered = outcome is Outcome.ANSWERED
    return {
        "linkedid": f"1762070400.{n}",
        "caller_number": f"+2126{n:08d}",
        "caller_name": "Bench Caller",
        "dialed_number": "0800123456",
        "started_at": started.isoformat(),
        "answered_at": (started + timedelta(seconds=40)).isoformat() if answered else None,
        "ended_at": (started + timedelta(seconds=220)).isoformat(),
        "language": language,
        "route": "queue",
        "request_type": 1 + n % 3,
        "queue": f"q-{language}",
        "wait_seconds": float(n % 90),
        "agent": f"agent{n % 40:02d}" if answered else None,
        "talk_seconds": float(60 + n % 300) if answered else None,
        "outcome": outcome.value,
        "hangup_cause": "16",
    }


async def post_all(
    client: httpx.AsyncClient, bodies: list[Any], senders: int, headers: dict[str, str]
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue = iter(bodies)

    async def sender() -> None:
        nonlocal errors
        for body in queue:  # a shared iterator: each body is posted by exactly one sender
            started = time.perf_counter()
            response = await client.post("/calls", json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    return time.perf_counter() - started, latencies, errors


async def direct_insert(dsn: str, batches: list[list[dict[str, Any]]]) -> float:
    """The database floor: the same rows, one multi-row INSERT ... ON CONFLICT per batch, straight to asyncpg."""
    columns = ["linkedid", "caller_number", "caller_name", "dialed_number", "started_at", "answered_at",
               "ended_at", "language", "route", "request_type", "queue", "wait_seconds", "agent", "talk_seconds",
               "outcome", "hangup_cause"]
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for batch in batches:
            rows = []
            for item in batch:
                row = dict(item)
                for key in ("started_at", "answered_at", "ended_at"):
                    row[key] = datetime.fromisoformat(row[key]) if row[key] else None
                rows.append([row[column] for column in columns])
            width = len(columns)
            placeholders = ", ".join(
                "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ", now(), now(), 1)"
                for i in range(len(rows))
            )
            await connection.execute(
                f"INSERT INTO calls ({', '.join(columns)}, received_at, updated_at, deliveries) VALUES {placeholders}"
                " ON CONFLICT (linkedid) DO UPDATE SET deliveries = calls.deliveries + 1",
                *[value for row in rows for value in row],
            )
        return time.perf_counter() - started
    finally:
        await connection.close()


async def run(options: Options) -> dict[str, Any]:
    single_count = 300 if options.quick else 1000
    batch_size = 50 if options.quick else 500
    batch_count = 4 if options.quick else 60
    senders = 8
    work = options.results_dir / "db-work"
    work.mkdir(parents=True, exist_ok=True)
    server = await asyncio.to_thread(database_server)
    url = await migrated_database(server, "ivr_bench_ingest")
    secrets = await role_tokens(url, [Role.AGI], prefix="bench", now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {secrets[Role.AGI]}"}
    figures: dict[str, Any] = {"senders": senders, "batch_size": batch_size}
    async with api_process(url, work / "api.log", max_batch=batch_size) as api:
        limits = httpx.Limits(max_connections=senders)
        async with httpx.AsyncClient(base_url=api.url, timeout=60, limits=limits) as client:
            await post_all(client, [record() for _ in range(20)], 4, headers)  # warm-up: pools, caches
            for label, bodies in (
                ("single", [record() for _ in range(single_count)]),
                ("batch", [[record() for _ in range(batch_size)] for _ in range(batch_count)]),
            ):
                count = len(bodies) if label == "single" else len(bodies) * batch_size
                cpu_before = process_cpu_s(api.pid)
                async with RssPeak([api.pid]) as peak:
                    elapsed, latencies, errors = await post_all(client, bodies, senders if label == "single" else 4,
                                                                headers)
                cpu = process_cpu_s(api.pid) - cpu_before
                figures[label] = {
                    "records": count,
                    "errors": errors,
                    "elapsed_s": round(elapsed, 3),
                    "records_per_s": round(count / elapsed, 1),
                    "api_cpu_ms_per_record": round(cpu * 1000 / count, 3),
                    "request_latency": latency_summary_ms(latencies),
                    "api_rss_peak_mib": round(peak.kib[api.pid] / 1024, 1),
                }
                print(
                    f"ingest {label:6s}: {count} records in {elapsed:.2f} s = {count / elapsed:,.0f} records/s,"
                    f" errors={errors}, API CPU {cpu * 1000 / count:.3f} ms/record,"
                    f" request p50={figures[label]['request_latency']['p50_ms']} ms"
                    f" p99={figures[label]['request_latency']['p99_ms']} ms, API RSS up to"
                    f" {figures[label]['api_rss_peak_mib']} MiB",
                    flush=True,
                )
    floor_batches = [[record() for _ in range(batch_size)] for _ in range(batch_count)]
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    elapsed = await direct_insert(dsn, floor_batches)
    floor_rate = batch_size * batch_count / elapsed
    figures["direct_sql_batch"] = {"records": batch_size * batch_count, "records_per_s": round(floor_rate, 1)}
    batch_rate = figures["batch"]["records_per_s"]
    figures["ratios"] = {
        "api_batch_vs_direct_sql": round(batch_rate / floor_rate, 3),
        "batch_vs_single": round(batch_rate / figures["single"]["records_per_s"], 1),
        "goal_5000_per_s_in_batches": batch_rate >= 5000 and figures["batch"]["errors"] == 0,
    }
    print(f"ingest floor : direct asyncpg INSERT of the same batches: {floor_rate:,.0f} records/s")
    print(
        f"ingest: API batch = {figures['ratios']['api_batch_vs_direct_sql']:.0%} of direct SQL;"
        f" batch is {figures['ratios']['batch_vs_single']}x single;"
        f" goal 5,000 records/s in batches: {verdict(figures['ratios']['goal_5000_per_s_in_batches'])}"
    )
    path = write_results(options, "ingest", figures)
    print(f"ingest: wrote {path}")
    return figures


def main(options: Options) -> dict[str, Any]:
    return asyncio.run(run(options))

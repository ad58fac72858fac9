"""Retention: the policy (how long recordings, caller numbers and audit entries are kept), pseudonyms, the
recording files, and the daily job in the API process (`ivr retention run` does the same once, for cron).

Rules:
- Cut-offs are computed from the time passed in: recordings older than `retention_recordings_days` lose their
  file and references; caller numbers (and names, contacts, remembered languages, numbers in stored AMI events)
  older than `retention_numbers_days` are pseudonymised or removed; audit entries older than
  `retention_audit_days` are deleted. api.crud.retention says what is kept (archived complaints, open requests)
  and why reports do not change. The channels follow the same two schedules (attachments and raw mail with the
  recordings, addresses and notification texts with the numbers; api.crud.retention_channels); mail that made no
  request goes after `retention_quarantine_days`, and rate-limit and sign-in-failure counters once they count
  nothing (twice the sign-in window for the failures, as api.crud.login_limits does).
- A pseudonym is "anon:" + HMAC-SHA256(key, number) (24 hex digits) when IVR_API_PSEUDONYM_KEY is set: the
  same number always gives the same pseudonym, so repeat callers can still be counted, and without the key (kept
  outside the database) the number cannot be found again by hashing every possible number. Without a key every
  number becomes "anon": no statistic uses the number today, and a hash without a secret key would only hide a
  number that anyone can brute-force (a phone-number space is small).
- The API runs the job daily at `retention_hour` local time; the database's advisory lock makes a second API
  process (or a cron run) at the same moment skip, and the job is idempotent, so running it twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import ApiSettings
from api.crud.retention import PSEUDONYM_PREFIX, Cutoffs, RetentionReport, purge
from api.request_config import RECORDING_EXTENSIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionPolicy:
    recordings_days: int
    numbers_days: int
    audit_days: int
    key: bytes | None = None
    quarantine_days: int = 30
    login_window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> RetentionPolicy:
        key = settings.pseudonym_key.get_secret_value().encode() if settings.pseudonym_key else None
        return cls(
            recordings_days=settings.retention_recordings_days,
            numbers_days=settings.retention_numbers_days,
            audit_days=settings.retention_audit_days,
            key=key or None,
            quarantine_days=settings.retention_quarantine_days,
            login_window=settings.login_limit.window,
        )

    def cutoffs(self, now: datetime) -> Cutoffs:
        return Cutoffs(
            recordings_before=now - timedelta(days=self.recordings_days),
            numbers_before=now - timedelta(days=self.numbers_days),
            audit_before=now - timedelta(days=self.audit_days),
            quarantine_before=now - timedelta(days=self.quarantine_days),
            login_failures_before=now - 2 * self.login_window,
            now=now,
        )

    def pseudonym(self, number: str) -> str:
        if self.key is None:
            return PSEUDONYM_PREFIX
        return f"{PSEUDONYM_PREFIX}:{hmac.new(self.key, number.encode(), hashlib.sha256).hexdigest()[:24]}"


def recording_files(recordings_dir: Path, voicemail_path: str) -> list[Path]:
    """The files of a stored recording path (one per format Asterisk may have written), only inside the
    recordings directory: a stored path is not trusted (as in api.request_config)."""
    root = recordings_dir.resolve()
    found = []
    for extension in sorted(set(RECORDING_EXTENSIONS.values())):
        candidate = Path(f"{voicemail_path}.{extension}").resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            found.append(candidate)
    return found


def remove_recordings(recordings_dir: Path, voicemail_paths: Sequence[str]) -> int:
    """Delete the files of these recordings; how many files were deleted."""
    removed = 0
    for voicemail_path in voicemail_paths:
        for path in recording_files(recordings_dir, voicemail_path):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def file_remover(recordings_dir: Path) -> Callable[[Sequence[str]], Awaitable[int]]:
    """`remove_recordings` in a worker thread: the API's event loop keeps serving while files go."""

    async def remove(voicemail_paths: Sequence[str]) -> int:
        return await asyncio.to_thread(remove_recordings, recordings_dir, voicemail_paths)

    return remove


async def run_once(
    sessions: async_sessionmaker[AsyncSession], *, policy: RetentionPolicy, now: datetime, recordings_dir: Path
) -> RetentionReport | None:
    """One pass; None when another process is running it now."""
    async with sessions() as session:
        report = await purge(
            session, cutoffs=policy.cutoffs(now), pseudonym=policy.pseudonym, remove_files=file_remover(recordings_dir)
        )
    if report is not None:
        log.info("retention: %s", report)
    return report


def seconds_until(now: datetime, *, hour: int, timezone: str) -> float:
    """Seconds from `now` to the next `hour`:00 local time (a day later if it is that very instant)."""
    local = now.astimezone(ZoneInfo(timezone))
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)  # aware arithmetic is wall-clock: the same hour tomorrow, across DST too
    # subtract in UTC: between two instants of one zone Python ignores the offsets (a DST day is 23 or 25 h)
    return (target.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


async def run_daily(
    job: Callable[[datetime], Awaitable[object]],
    *,
    clock: Callable[[], datetime],
    hour: int,
    timezone: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run `job(now)` every day at `hour` local time until cancelled; a failed run is logged, the next one comes."""
    while True:
        await sleep(seconds_until(clock(), hour=hour, timezone=timezone))
        try:
            await job(clock())
        except Exception:
            log.exception("retention run failed; the next one is tomorrow")


def start_daily(
    sessions: async_sessionmaker[AsyncSession],
    settings: ApiSettings,
    *,
    clock: Callable[[], datetime],
    recordings_dir: Path,
) -> asyncio.Task[None]:
    policy = RetentionPolicy.from_settings(settings)

    async def job(now: datetime) -> None:
        await run_once(sessions, policy=policy, now=now, recordings_dir=recordings_dir)

    return asyncio.create_task(
        run_daily(job, clock=clock, hour=settings.retention_hour, timezone=settings.timezone), name="retention"
    )


async def stop_daily(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

"""The agi side's delivery of the outbox to the records API.

Rules:
- Nothing here ever delays a call. Flows only `put` into the outbox (ivr.adapters.outbox); `OutboxSender` runs
  as its own background task and may wait minutes for the API.
- A spooled file is removed only after the API answered 2xx for it. Anything else (connection refused,
  timeout, 5xx, 401/403 from a misconfigured token) releases it for a later pass: the API's upsert on linkedid
  makes a replay harmless, so "at least once" sending gives "exactly once" storage.
- Retries back off exponentially with jitter (half fixed, half random) up to `max_delay`, so many agi
  processes coming back together after an outage do not hammer the API in step; a success resets the delay.
- A batch the API refuses as a whole (413 too large, 422 invalid) is retried record by record; a single
  record refused with 413/422 can never succeed, so it is moved to the outbox's rejected/ directory with the
  reason instead of blocking the spool forever.
- Several agi processes may share one spool: files are claimed by rename (Outbox.claim) before posting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from callcenter.records import CallRecord
from ivr.adapters.api_client import http_client
from ivr.adapters.outbox import Outbox

log = logging.getLogger(__name__)

UNSENDABLE = frozenset({413, 422})  # the API will refuse this body whatever we do


@dataclass
class Backoff:
    """Exponential backoff with jitter: attempt n waits between d/2 and d, where d = min(max, base * 2**n)."""

    base_delay: float = 0.5
    max_delay: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        ceiling: float = min(self.max_delay, self.base_delay * 2 ** min(self.failures, 30))
        self.failures += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class PassReport:
    """What one sending pass did; `failed` means the API could not be reached or refused for now."""

    sent: int = 0
    rejected: int = 0
    failed: bool = False


class OutboxSender:
    def __init__(
        self,
        outbox: Outbox,
        *,
        api_url: str,
        token: str | None,
        batch_size: int = 100,
        timeout_s: float = 10.0,
        idle_interval_s: float = 1.0,
        backoff: Backoff | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.outbox = outbox
        self.batch_size = batch_size
        self.idle_interval_s = idle_interval_s
        self.backoff = backoff or Backoff()
        self._client = http_client(api_url=api_url, token=token, timeout_s=timeout_s, transport=transport)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Send soon (e.g. right after a record was spooled) instead of at the next idle tick."""
        self._wake.set()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver the spool until `stop` is set; never raises, whatever the API or the disk do."""
        while not stop.is_set():
            try:
                report = await self.send_pending()
            except Exception:  # a bug or a disk error must not kill the only sender of this process
                log.exception("outbox sender pass failed")
                report = PassReport(failed=True)
            if report.failed:
                delay = self.backoff.next_delay()
            else:
                self.backoff.reset()
                if report.sent or report.rejected:
                    continue  # there may be more than one batch waiting
                delay = self.idle_interval_s
            await self._pause(stop, delay)

    async def _pause(self, stop: asyncio.Event, delay: float) -> None:
        self._wake.clear()
        stop_waiter = asyncio.ensure_future(stop.wait())
        wake_waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stop_waiter, wake_waiter}, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_waiter.cancel()
            wake_waiter.cancel()

    async def send_pending(self) -> PassReport:
        """One pass: claim up to `batch_size` spooled records, post them, settle each file."""
        claimed = await asyncio.to_thread(self._claim_batch)
        if not claimed:
            return PassReport()
        try:
            return await self._deliver(claimed)
        except BaseException:
            # A bug, or the task cancelled at shutdown: give the files back now rather than after stale_after
            # (synchronously: a few renames, and an awaited thread would not run in a cancelled task).
            self._settle([path for path, _ in claimed], False)
            raise

    async def _deliver(self, claimed: list[tuple[Path, CallRecord]]) -> PassReport:
        report = PassReport()
        status = await self._post([record for _, record in claimed])
        if status is not None and 200 <= status < 300:
            await asyncio.to_thread(self._settle, [path for path, _ in claimed], True)
            report.sent = len(claimed)
            return report
        if status in UNSENDABLE:
            return await self._send_one_by_one(claimed, report)
        await asyncio.to_thread(self._settle, [path for path, _ in claimed], False)
        report.failed = True
        return report

    async def _send_one_by_one(self, claimed: list[tuple[Path, CallRecord]], report: PassReport) -> PassReport:
        for index, (path, record) in enumerate(claimed):
            status = await self._post([record])
            if status is not None and 200 <= status < 300:
                await asyncio.to_thread(self.outbox.done, path)
                report.sent += 1
            elif status in UNSENDABLE:
                await asyncio.to_thread(self.outbox.reject, path, f"the API answered {status}")
                report.rejected += 1
            else:
                rest = [p for p, _ in claimed[index:]]
                await asyncio.to_thread(self._settle, rest, False)
                report.failed = True
                break
        return report

    def _claim_batch(self) -> list[tuple[Path, CallRecord]]:
        claimed: list[tuple[Path, CallRecord]] = []
        for path in self.outbox.pending():
            if len(claimed) >= self.batch_size:
                break
            taken = self.outbox.claim(path)
            if taken is None:
                continue  # another sender has it
            record = self.outbox.load(taken)  # an unreadable file goes to rejected/ and comes back None
            if record is not None:
                claimed.append((taken, record))
        return claimed

    def _settle(self, paths: list[Path], delivered: bool) -> None:
        for path in paths:
            if delivered:
                self.outbox.done(path)
            else:
                self.outbox.release(path)

    async def _post(self, records: list[CallRecord]) -> int | None:
        """POST /calls; the status code, or None when the API could not be reached."""
        body: list[dict[str, Any]] = [record.model_dump(mode="json") for record in records]
        try:
            response = await self._client.post("/calls", json=body)
        except httpx.HTTPError as error:
            log.warning("records API unreachable (%s); %d record(s) stay spooled", type(error).__name__, len(body))
            return None
        if not 200 <= response.status_code < 300:
            log.warning("records API answered %d to %d record(s)", response.status_code, len(body))
        return response.status_code


@contextlib.asynccontextmanager
async def running_sender(sender: OutboxSender, *, shutdown_timeout_s: float = 5.0) -> AsyncIterator[OutboxSender]:
    """Run `sender` as a background task for the life of the block (the agi server's lifetime).

    On exit it stops the loop, waits a little for a POST in flight, then cancels: claimed files are given back
    to the spool either way, and the next start sends them.
    """
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop), name="outbox-sender")
    try:
        yield sender
    finally:
        stop.set()
        # on timeout wait_for cancels the task, and send_pending gives its claimed files back
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(task, timeout=shutdown_timeout_s)
        await sender.aclose()

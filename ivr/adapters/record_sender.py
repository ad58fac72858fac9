"""The agi side's delivery of the outbox to the records API.

Rules:
- Nothing here ever delays a call. Flows only `put` into the outbox (ivr.adapters.outbox); `OutboxSender` runs
  as its own background task and may wait minutes for the API.
- A spooled file is removed only after the API answered 2xx for it (or for a newer version of its call). What
  each answer means for the records it carried is ivr.delivery's decision (`judge`): the API being away costs
  nobody an attempt; a record the API refuses is retried on its own backoff and quarantined after bounded
  attempts, while the records behind it keep flowing. The API keeps the newest version of a call, so "at least
  once" sending gives "exactly once" storage.
- The sender backs off exponentially with jitter (half fixed, half random) up to `max_delay` while the API is
  away, so many agi processes coming back together after an outage do not hammer the API in step; a success
  resets the delay.
- Several agi processes may share one spool: files are leased (Outbox.claim, flock) before posting. Each pass
  first writes any records a full disk left in memory (Outbox.flush_held).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from callcenter.records import CallRecord
from ivr.adapters.api_client import http_client
from ivr.adapters.outbox import Claim, Outbox
from ivr.delivery import Answer, Quarantine, judge, plan_pass, retried_alone

log = logging.getLogger(__name__)


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
    rejected: int = 0  # quarantined
    deferred: int = 0  # refused, retried later on their own backoff
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
                if report.sent or report.rejected or report.deferred:
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
        """One pass: lease up to `batch_size` due records, post them, settle each file."""
        claimed = await asyncio.to_thread(self._claim_batch)
        if not claimed:
            return PassReport()
        try:
            return await self._deliver(claimed)
        except BaseException:
            # A bug, or the task cancelled at shutdown: end the leases now (closing descriptors; an awaited thread
            # would not run in a cancelled task). The files stay for the next pass or the next process.
            for claim, _ in claimed:
                self.outbox.release(claim)
            raise

    async def _deliver(self, claimed: list[tuple[Claim, CallRecord]]) -> PassReport:
        report = PassReport()
        if len(claimed) > 1 and retried_alone([claim.state for claim, _ in claimed]):
            return await self._send_one_by_one(claimed, report)
        status = await self._post([record for _, record in claimed])
        answer = judge(status)
        if answer is Answer.DELIVERED:
            await asyncio.to_thread(self._settle, [claim for claim, _ in claimed], report)
        elif answer is Answer.API_AWAY:
            self._release([claim for claim, _ in claimed], report)
        elif len(claimed) > 1:
            return await self._send_one_by_one(claimed, report)
        else:
            await asyncio.to_thread(self._refused, claimed[0][0], answer, status, report)
        return report

    async def _send_one_by_one(self, claimed: list[tuple[Claim, CallRecord]], report: PassReport) -> PassReport:
        for index, (claim, record) in enumerate(claimed):
            status = await self._post([record])
            answer = judge(status)
            if answer is Answer.DELIVERED:
                await asyncio.to_thread(self._settle, [claim], report)
            elif answer is Answer.API_AWAY:
                self._release([c for c, _ in claimed[index:]], report)
                break
            else:
                await asyncio.to_thread(self._refused, claim, answer, status, report)
        return report

    def _claim_batch(self) -> list[tuple[Claim, CallRecord]]:
        self.outbox.flush_held()
        plan = plan_pass(self.outbox.candidates(), now=self.outbox.clock())
        for old in plan.superseded:  # a newer version of the call is spooled: the API would ignore this one
            superseded = self.outbox.claim(old.name)
            if superseded is not None:
                self.outbox.done(superseded)
        claimed: list[tuple[Claim, CallRecord]] = []
        for candidate in plan.post:
            if len(claimed) >= self.batch_size:
                break
            claim = self.outbox.claim(candidate.name)
            if claim is None:
                continue  # another sender holds it (or it just left the spool)
            record = self.outbox.load(claim)  # an unreadable file is quarantined and comes back None
            if record is not None:
                claimed.append((claim, record))
        return claimed

    def _settle(self, claims: list[Claim], report: PassReport) -> None:
        for claim in claims:
            self.outbox.done(claim)
        report.sent += len(claims)

    def _release(self, claims: list[Claim], report: PassReport) -> None:
        for claim in claims:
            self.outbox.release(claim)
        report.failed = True

    def _refused(self, claim: Claim, answer: Answer, status: int | None, report: PassReport) -> None:
        reason = f"the API answered {status}"
        if answer is Answer.UNSENDABLE:
            self.outbox.quarantine(claim, reason)
            report.rejected += 1
        elif isinstance(self.outbox.refused(claim, reason), Quarantine):
            report.rejected += 1
        else:
            report.deferred += 1

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

"""The agi side's delivery of the outbox to the records API.

Rules:
- Nothing here ever delays a call. Flows only `put` into the outbox (ivr.adapters.outbox); `OutboxSender` runs
  as its own background task and may wait minutes for the API.
- A spooled file is removed only after the API answered 2xx for it (or for a newer version of its call). What
  each answer means for the records it carried is ivr.delivery's decision (`judge`): the API being away costs
  nobody an attempt; a record the API refuses is retried on its own backoff and quarantined after bounded
  attempts, while the records behind it keep flowing. The API keeps the newest version of a call, so "at least
  once" sending gives "exactly once" storage.
- While the API is away the sender backs off exponentially with jitter (ivr.delivery.Backoff), so agi processes
  coming back together after an outage do not hammer the API in step; a success resets the delay.
- Several agi processes may share one spool: files are leased (Outbox.claim_batch, flock) before posting. Each
  pass first writes any records a full disk left in memory (Outbox.flush_held).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx

from callcenter.records import CallRecord
from ivr.adapters.api_client import http_client
from ivr.adapters.outbox import Outbox
from ivr.adapters.spool import Claim
from ivr.delivery import Answer, judge, retried_alone
from ivr.delivery import Backoff as Backoff
from ivr.delivery import PassReport as PassReport

log = logging.getLogger(__name__)


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
            delay = self.backoff.after(report, idle_s=self.idle_interval_s)
            if delay is not None:  # None: records moved, there may be another batch waiting
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
        claimed = await asyncio.to_thread(self.outbox.claim_batch, self.batch_size)
        report = PassReport()
        try:
            if len(claimed) > 1 and retried_alone([claim.state for claim, _ in claimed]):
                await self._send_one_by_one(claimed, report)
            elif claimed:
                status = await self._post([record for _, record in claimed])
                if judge(status) in (Answer.DELIVERED, Answer.API_AWAY) or len(claimed) == 1:
                    await self._settle([claim for claim, _ in claimed], status, report)
                else:  # a refused batch: find the record(s) refused by posting each alone
                    await self._send_one_by_one(claimed, report)
        except BaseException:
            # A bug, or the task cancelled at shutdown: end the leases now (closing descriptors; an awaited thread
            # would not run in a cancelled task). The files stay for the next pass or the next process.
            for claim, _ in claimed:
                self.outbox.release(claim)
            raise
        return report

    async def _send_one_by_one(self, claimed: list[tuple[Claim, CallRecord]], report: PassReport) -> None:
        for index, (claim, record) in enumerate(claimed):
            status = await self._post([record])
            if judge(status) is Answer.API_AWAY:
                await self._settle([c for c, _ in claimed[index:]], status, report)
                break
            await self._settle([claim], status, report)

    async def _settle(self, claims: list[Claim], status: int | None, report: PassReport) -> None:
        """What the API's answer means for the files posted: forgotten, given back, retried later or set aside."""
        answer = judge(status)
        if answer is Answer.API_AWAY:
            for claim in claims:
                self.outbox.release(claim)
            report.failed = True
        else:
            await asyncio.to_thread(self.outbox.settle, claims, answer, f"the API answered {status}", report)

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

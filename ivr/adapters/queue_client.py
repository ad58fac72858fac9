"""`ivr.queueing.QueueDesk` over HTTP (GET /queues/{queue}/estimate, POST /callbacks).

Each question is bounded as a whole by `timeout_s` (asyncio.wait_for; httpx's timeout is per step) and any
failure answers None: a slow API costs the caller a missing announcement, never their place in the queue.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from urllib.parse import quote

from ivr.adapters.api_client import ApiQuestions

log = logging.getLogger(__name__)


class ApiQueueDesk(ApiQuestions):
    default_timeout_s = 1.0

    async def estimate(self, queue: str, position: int) -> float | None:
        try:
            response = await asyncio.wait_for(
                self._client.get(f"/queues/{quote(queue, safe='')}/estimate", params={"position": position}),
                self.timeout_s,
            )
            if response.status_code != 200:
                return None
            value = response.json().get("estimated_wait_s")
        except Exception:  # no estimate is better than a caller waiting on us
            log.warning("wait estimate unavailable for %s", queue, exc_info=True)
            return None
        return float(value) if isinstance(value, int | float) and value >= 0 else None

    async def book_callback(
        self, *, number: str, queue: str, language: str, linkedid: str, uniqueid: str, joined_at: datetime
    ) -> bool | None:
        body = {
            "number": number,
            "queue": queue,
            "language": language,
            "linkedid": linkedid,
            "uniqueid": uniqueid,
            "joined_at": joined_at.isoformat(),
        }
        try:
            response = await asyncio.wait_for(self._client.post("/callbacks", json=body), self.timeout_s)
        except Exception:
            log.warning("could not book a callback for %s", queue, exc_info=True)
            return None
        if response.status_code == 201:
            return True
        if response.status_code == 200:
            return False
        log.warning("callback refused by the API: %d %s", response.status_code, response.text[:200])
        return None

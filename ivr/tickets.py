"""Requests (tickets) as the call plane sees them: what a flow may ask the API about them.

Rules:
- The API owns requests (api/tickets/); the agi side never stores one. A flow may ask for a reference for the
  message it just recorded and for the status of a reference a caller keyed, both through `TicketDesk`.
- Every call to a `TicketDesk` is bounded by a short timeout in the flow: an absent API costs the caller the
  reference or the status, never the call. The voicemail's request is created anyway when its call record
  reaches the API (idempotent on the call's linkedid).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from callcenter.requests import RequestStatus


class TicketDesk(Protocol):
    async def open_for_voicemail(
        self,
        *,
        linkedid: str,
        caller_number: str,
        dialed_number: str,
        language: str | None,
        request_type: int | None,
        voicemail_path: str,
        route: str | None,
        at: datetime,
    ) -> str | None:
        """The reference of the request opened for this message (the same one if asked twice); None if unsure."""
        ...

    async def status(self, reference: str) -> RequestStatus | None:
        """The status of a request; None when no request has this reference. Raises when the API cannot say."""
        ...

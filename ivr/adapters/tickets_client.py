"""`ivr.tickets.TicketDesk` over HTTP: the two questions a flow asks the requests API during a call.

Rules:
- Each question is bounded by `timeout_s` as a whole (asyncio.wait_for; httpx's timeout is per step), so a
  hanging API costs the caller at most that long.
- `open_for_voicemail` answers None on any failure (the request is still created from the call record later);
  `status` raises `TicketDeskUnavailable` so the flow can tell "no such request" from "cannot say now".
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from callcenter.requests import RequestStatus
from ivr.adapters.api_client import ApiQuestions


class TicketDeskUnavailable(Exception):
    """The API could not be asked, or answered something we do not understand."""


class ApiTicketDesk(ApiQuestions):
    default_timeout_s = 1.5

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
        body = {
            "linkedid": linkedid,
            "caller_number": caller_number,
            "dialed_number": dialed_number,
            "language": language,
            "request_type": request_type,
            "voicemail_path": voicemail_path,
            "route": route,
            "at": at.isoformat(),
        }
        try:
            response = await asyncio.wait_for(self._client.post("/requests/voicemail", json=body), self.timeout_s)
            if response.status_code not in (200, 201):
                return None
            reference = response.json().get("reference")
        except Exception:  # any failure: the caller hears the generic thanks, the record creates the request
            return None
        return reference if isinstance(reference, str) and reference.isdigit() and len(reference) <= 12 else None

    async def status(self, reference: str) -> RequestStatus | None:
        if not (reference.isascii() and reference.isdigit() and len(reference) <= 32):
            return None
        try:
            response = await asyncio.wait_for(self._client.get(f"/requests/status/{reference}"), self.timeout_s)
        except Exception as error:
            raise TicketDeskUnavailable(type(error).__name__) from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise TicketDeskUnavailable(f"the API answered {response.status_code}")
        try:
            return RequestStatus(response.json().get("status"))
        except (ValueError, AttributeError) as error:
            raise TicketDeskUnavailable("unexpected answer") from error

"""The agi side's questions to the API during a call (a caller's language, requests, the queue desk), and the one
HTTP client factory every agi-side caller of the API uses.

Rules: nothing here may delay a call. `ApiLanguageMemory.recall` has a short timeout and answers None on any
failure, so a slow or absent API only costs the caller the language menu.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)


def http_client(
    *, api_url: str, token: str | None, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The HTTP client every agi-side caller of the API uses: base URL, bearer token, per-step timeout."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=api_url, headers=headers, timeout=timeout_s, transport=transport)


class ApiQuestions:
    """Base of the clients whose questions a flow asks during a call: one HTTP client and a short overall
    timeout (`timeout_s` bounds a whole exchange with asyncio.wait_for; httpx's own timeout is per step)."""

    default_timeout_s = 1.0

    def __init__(
        self,
        *,
        api_url: str,
        token: str | None,
        timeout_s: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout_s = self.default_timeout_s if timeout_s is None else timeout_s
        self._client = http_client(api_url=api_url, token=token, timeout_s=self.timeout_s, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()


class ApiLanguageMemory(ApiQuestions):
    """`ivr.language_memory.LanguageMemory` backed by GET /callers/{number}/language.

    `remember` does nothing: the API learns a caller's language from the call record the flow spools anyway,
    so the call path makes no extra request.
    """

    default_timeout_s = 0.3

    async def recall(self, number: str) -> str | None:
        if not number or "/" in number or len(number) > 64:
            return None
        try:
            # wait_for bounds the whole exchange; httpx's timeout applies per read/connect step
            response = await asyncio.wait_for(
                self._client.get(f"/callers/{quote(number, safe='+')}/language"), timeout=self.timeout_s
            )
            if response.status_code != 200:
                return None
            language = response.json().get("language")
        except Exception:  # any failure means "don't know": the caller gets the menu
            return None
        return language if isinstance(language, str) and 0 < len(language) <= 16 else None

    async def remember(self, number: str, language: str) -> None:
        return None

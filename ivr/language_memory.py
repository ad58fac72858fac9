"""What each caller chose last time: the call plane's memory of languages.

Rules:
- `LanguageMemory` is an interface: kept in memory here (one process), backed by the API in production
  (ivr.adapters.api_client.ApiLanguageMemory). Anonymous callers ("") are never remembered, or they would all
  share one language.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Protocol

from callcenter.languages import normalize_caller

_LANGUAGE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class LanguageMemory(Protocol):
    """The language each caller chose last time, by normalised number."""

    async def recall(self, number: str) -> str | None: ...

    async def remember(self, number: str, language: str) -> None: ...


class InMemoryLanguageMemory:
    """Least-recently-used memory of at most `max_numbers` callers; lost on restart (fine for one process)."""

    def __init__(self, max_numbers: int = 100_000) -> None:
        if max_numbers < 1:
            raise ValueError("max_numbers must be at least 1")
        self.max_numbers = max_numbers
        self._languages: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._languages)

    async def recall(self, number: str) -> str | None:
        key = normalize_caller(number)
        language = self._languages.get(key) if key else None
        if language is not None:
            self._languages.move_to_end(key)
        return language

    async def remember(self, number: str, language: str) -> None:
        key = normalize_caller(number)
        if not key or not _LANGUAGE_CODE.match(language):
            return
        self._languages[key] = language
        self._languages.move_to_end(key)
        while len(self._languages) > self.max_numbers:
            self._languages.popitem(last=False)

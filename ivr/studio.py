"""Recording prompts by phone: who may record (a voice talent, by number and PIN) and what the flow asks the
studio to do with an accepted take. The flow (ivr/flows/record_prompts.py) sees only this protocol; the adapter
(promptgen/studio.py) checks PINs against their hashes, stores the override and rebuilds the prompt.

Rules:
- Prompts are chosen by number: `prompt_number(key)` is the key's 1-based place in `Prompt` (greeting = 1), the
  same list the admin page and docs/voices.md show.
- A talent may be limited to some languages (an invited Amazigh voice records Amazigh only); none means all.
- Takes are written by Asterisk into `takes_dir`, a path that is the same for Asterisk and for the agi process
  (like the voicemail directory): the studio reads the take there when it is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ivr.prompts import Prompt


class StudioError(Exception):
    """An accepted take could not be stored or rebuilt; the message says why."""


RECORDABLE: tuple[Prompt, ...] = tuple(Prompt)


def prompt_number(key: Prompt) -> int:
    return RECORDABLE.index(key) + 1


def prompt_by_number(typed: str) -> Prompt | None:
    """The prompt a talent keyed (`"1"` -> greeting); None for anything else."""
    if not (typed.isascii() and typed.isdigit()) or not 1 <= int(typed) <= len(RECORDABLE):
        return None
    return RECORDABLE[int(typed) - 1]


@dataclass(frozen=True)
class Talent:
    number: str
    name: str
    languages: tuple[str, ...] = ()  # empty: every language

    def may_record(self, language: str) -> bool:
        return not self.languages or language in self.languages

    @property
    def label(self) -> str:
        return f"{self.name} ({self.number})"


class PromptStudio(Protocol):
    @property
    def takes_dir(self) -> str: ...

    async def authenticate(self, number: str, pin: str) -> Talent | None:
        """The talent with this number when the PIN matches its hash, else None."""
        ...

    async def accept(self, *, language: str, key: Prompt, take: Path, talent: Talent, at: datetime) -> None:
        """Trim, normalise and store `take` as the override of `key` in `language`, then rebuild its files (every
        codec, and the languages that fall back to this one) so the next call plays it. StudioError on failure."""
        ...

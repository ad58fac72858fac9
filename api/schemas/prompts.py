"""The voice prompts as the admin page sees them (api/routes/prompts.py): one entry per prompt and language."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class PromptSource(StrEnum):
    RECORDED = "recorded"  # a person's recording (phone, browser or a file in prompts/recorded)
    SYNTHESISED = "synthesised"  # the speech engine reads the catalog text
    FALLBACK = "fallback"  # another language's audio (`fallback_from`): Amazigh plays Arabic until recorded
    MISSING = "missing"  # nothing to build it from


class PromptPublic(BaseModel):
    language: str
    key: str
    number: int  # what a voice talent keys on the phone (docs/voices.md)
    text: str | None
    latin: str | None = None  # Amazigh: the Latin transcription of the Tifinagh text
    source: PromptSource
    fallback_from: str | None = None
    built: bool  # a playable file exists in the sounds folder
    recorded_by: str | None = None
    recorded_at: str | None = None
    recorded_via: str | None = None


class LanguageCoverage(BaseModel):
    language: str
    recorded: int
    total: int
    fallback_from: str | None = None  # the language whose audio plays where nothing is recorded


class PromptCatalog(BaseModel):
    prompts: list[PromptPublic]
    coverage: list[LanguageCoverage]
    max_upload_bytes: int

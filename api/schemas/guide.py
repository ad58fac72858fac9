"""The consular guide's request and response bodies (api.routes.guide)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

LANGUAGE = Field(min_length=2, max_length=16, pattern=r"^[a-z]{2,3}(-[a-z]+)?$")
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # a BIGINT identity
SLUG = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")


def _storable(value: object) -> object:
    """PostgreSQL text cannot hold NUL: refuse it anywhere in a body (422), never a 500 later."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    if isinstance(value, list | tuple):
        for item in value:
            _storable(item)
    if isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable(item)
    return value


class _Body(BaseModel):
    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        return _storable(value)


class ArticleState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class TranslationIn(_Body):
    language: str = LANGUAGE
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(max_length=100_000)  # Markdown


class ArticleCreate(_Body):
    slug: str = SLUG
    category: str | None = Field(default=None, max_length=80)  # a category's slug
    original_language: str = LANGUAGE
    request_type: int | None = Field(default=None, ge=1, le=9)
    tags: list[str] = Field(default_factory=list, max_length=30)
    source: str = Field(default="", max_length=2000)
    last_checked: date | None = None
    translations: list[TranslationIn] = Field(min_length=1, max_length=20)
    submit: bool = False  # straight to review (in_review) instead of a draft
    from_request: str | None = Field(default=None, max_length=12)  # an answered request's reference
    sample: bool = False


class ArticleUpdate(_Body):
    category: str | None = Field(default=None, max_length=80)
    request_type: int | None = Field(default=None, ge=1, le=9)
    tags: list[str] | None = Field(default=None, max_length=30)
    source: str | None = Field(default=None, max_length=2000)
    last_checked: date | None = None
    translations: list[TranslationIn] = Field(default_factory=list, max_length=20)
    note: str = Field(default="", max_length=2000)


class StateChange(_Body):
    state: ArticleState
    note: str = Field(default="", max_length=2000)


class ProposalCreate(_Body):
    language: str = LANGUAGE
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(max_length=100_000)
    note: str = Field(default="", max_length=2000)
    from_request: str | None = Field(default=None, max_length=12)


class ProposalReview(_Body):
    accept: bool
    note: str = Field(default="", max_length=2000)


class TranslationPublic(BaseModel):
    language: str
    title: str
    body: str
    version: int
    original_version: int
    out_of_date: bool
    updated_by: str
    updated_at: datetime


class ArticlePublic(BaseModel):
    id: int
    slug: str
    category: str | None
    state: ArticleState
    original_language: str
    request_type: int | None
    tags: list[str]
    source: str
    last_checked: date | None
    sample: bool
    from_request_id: int | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    translations: list[TranslationPublic]


class ArticleSummary(BaseModel):
    id: int
    slug: str
    state: ArticleState
    category: str | None
    request_type: int | None
    titles: dict[str, str]
    out_of_date: list[str]
    pending_proposals: int
    updated_at: datetime


class VersionPublic(BaseModel):
    id: int
    action: str
    language: str | None
    version: int | None
    title: str | None
    body: str | None
    from_state: str | None
    to_state: str | None
    note: str
    author: str
    created_at: datetime


class ProposalPublic(BaseModel):
    id: int
    article_id: int
    article_slug: str
    language: str
    title: str
    body: str
    note: str
    request_id: int | None
    status: ProposalStatus
    proposed_by: str
    created_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None


class CategoryCreate(_Body):
    slug: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")
    parent: str | None = Field(default=None, max_length=80)
    names: dict[str, str] = Field(min_length=1)
    position: int = 0


class CategoryPublic(BaseModel):
    id: int
    slug: str
    parent: str | None
    names: dict[str, str]
    position: int


class SearchHit(BaseModel):
    article_id: int
    slug: str
    language: str
    title: str
    snippet: str  # the body around the matches; matches between U+0002 and U+0003, the rest plain text
    rank: float
    state: ArticleState


class SearchResult(BaseModel):
    search_id: int | None
    query: str
    language: str | None
    hits: list[SearchHit]
    corrections: dict[str, list[str]]  # a query word -> the guide's words it was taken for (typos)
    expanded: dict[str, list[str]]  # a query word -> its synonyms


class ClickCreate(_Body):
    article_id: RowId


class SynonymCreate(_Body):
    terms: list[str] = Field(min_length=2, max_length=20)


class SynonymPublic(BaseModel):
    id: int
    terms: list[str]
    updated_by: str
    updated_at: datetime


class UsesCreate(_Body):
    """Articles an answer was given from: a call's disposition (linkedid + seat) or a request (reference)."""

    article_ids: list[RowId] = Field(min_length=1, max_length=20)
    linkedid: str | None = Field(default=None, max_length=64)
    seat: str | None = Field(default=None, max_length=64)
    request: str | None = Field(default=None, max_length=12)


class UsePublic(BaseModel):
    article_id: int
    slug: str
    title: str
    used_by: str
    used_at: datetime


class NotFoundRow(BaseModel):
    query: str
    language: str | None
    searches: int
    zero_results: int
    without_click: int
    last_at: datetime


class MostAskedRow(BaseModel):
    language: str | None
    query: str
    searches: int
    clicks: int


class GuideReport(BaseModel):
    not_found: list[NotFoundRow]
    most_asked: list[MostAskedRow]


class Suggestions(BaseModel):
    hits: list[SearchHit]

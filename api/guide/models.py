"""The guide's tables (migration 0013), on the API's one declarative Base.

Rules:
- `guide_translations` holds the current text of each language; every edit also appends a `guide_versions`
  row (append-only, a trigger refuses UPDATE and DELETE), which is the history.
- A translation is out of date when its `original_version` is behind the current version of the article's
  original-language translation; `published` copies the article's state so the search filters on one table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Identity, Integer, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base


class GuideCategory(Base):
    __tablename__ = "guide_categories"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("guide_categories.id"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    names: Mapped[dict[str, Any]] = mapped_column(JSONB)
    position: Mapped[int] = mapped_column(Integer, default=0)


class GuideArticle(Base):
    __tablename__ = "guide_articles"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    category_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("guide_categories.id"))
    state: Mapped[str] = mapped_column(String(16))
    original_language: Mapped[str] = mapped_column(String(16))
    request_type: Mapped[int | None] = mapped_column(SmallInteger)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    source: Mapped[str] = mapped_column(Text, default="")
    last_checked: Mapped[date | None] = mapped_column(Date)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    from_request_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuideTranslation(Base):
    __tablename__ = "guide_translations"

    article_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("guide_articles.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    original_version: Mapped[int] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    search_vector: Mapped[Any] = mapped_column(TSVECTOR)
    title_vector: Mapped[Any] = mapped_column(TSVECTOR)  # the title alone: title matches are ranked first


class GuideVersion(Base):
    __tablename__ = "guide_versions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("guide_articles.id"))
    action: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuideProposal(Base):
    __tablename__ = "guide_proposals"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("guide_articles.id"))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    proposed_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GuideSynonym(Base):
    __tablename__ = "guide_synonyms"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    terms: Mapped[list[str]] = mapped_column(ARRAY(Text))
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuideWord(Base):
    __tablename__ = "guide_words"

    word: Mapped[str] = mapped_column(Text, primary_key=True)
    variants: Mapped[list[str]] = mapped_column(ARRAY(Text))  # api.guide.text.variants


class GuideSearch(Base):
    __tablename__ = "guide_searches"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(Text)
    result_count: Mapped[int] = mapped_column(Integer)
    clicked_article_id: Mapped[int | None] = mapped_column(BigInteger)
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GuideArticleUse(Base):
    __tablename__ = "guide_article_uses"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("guide_articles.id"))
    disposition_id: Mapped[int | None] = mapped_column(BigInteger)  # no foreign key (migration 0013)
    request_id: Mapped[int | None] = mapped_column(BigInteger)
    used_by: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

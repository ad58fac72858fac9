"""The consular guide: articles, translations, versions, proposals, synonyms, vocabulary, searches, uses.

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

TEXT_ARRAY = ARRAY(sa.Text())
# = api.crud.guide_search.INDEXED_LANGUAGES (a migration never imports the application)
INDEXED_LANGUAGES = ("ar", "fr", "en", "es", "nl", "it", "de", "zgh")


def _when() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "guide_categories",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("parent_id", sa.BigInteger(), sa.ForeignKey("guide_categories.id")),
        sa.Column("slug", sa.String(80), nullable=False, unique=True),
        sa.Column("names", JSONB(), nullable=False),  # {"fr": "Passeport", "ar": "جواز السفر"}
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "guide_articles",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("slug", sa.String(120), nullable=False, unique=True),
        sa.Column("category_id", sa.BigInteger(), sa.ForeignKey("guide_categories.id")),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("original_language", sa.String(16), nullable=False),
        sa.Column("request_type", sa.SmallInteger()),
        sa.Column("tags", TEXT_ARRAY, nullable=False, server_default="{}"),
        sa.Column("source", sa.Text(), nullable=False, server_default=""),
        sa.Column("last_checked", sa.Date()),
        sa.Column("sample", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("from_request_id", sa.BigInteger()),  # the answered request it was proposed from
        sa.Column("created_by", sa.String(128), nullable=False),
        _when(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_guide_articles_state", "guide_articles", ["state"])
    op.create_index("ix_guide_articles_request_type", "guide_articles", ["request_type"])
    op.create_index("ix_guide_articles_tags", "guide_articles", ["tags"], postgresql_using="gin")
    op.create_table(
        "guide_translations",
        sa.Column("article_id", sa.BigInteger(), sa.ForeignKey("guide_articles.id"), primary_key=True),
        sa.Column("language", sa.String(16), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),  # Markdown
        sa.Column("version", sa.Integer(), nullable=False),
        # the original's version this text renders; behind the original's current version = out of date
        sa.Column("original_version", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False, server_default="false"),  # = article published
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("search_vector", TSVECTOR(), nullable=False),
        sa.Column("title_vector", TSVECTOR(), nullable=False),  # the title alone (stemmer and simple)
    )
    # one GIN index over every language (searches without a language, languages added later) and one per language
    # searched most (partial: WHERE language = '..'), so that a search in one language reads only its own posting
    # lists; api.crud.guide_search writes that language as a literal so the planner can pick the partial index
    for column, name in (("search_vector", "search"), ("title_vector", "title")):
        op.create_index(f"ix_guide_translations_{name}", "guide_translations", [column], postgresql_using="gin")
        for language in INDEXED_LANGUAGES:
            op.create_index(
                f"ix_guide_translations_{name}_{language}",
                "guide_translations",
                [column],
                postgresql_using="gin",
                postgresql_where=sa.text(f"language = '{language}'"),
            )
    op.create_table(
        "guide_versions",  # append-only: every edit and every change of state
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), sa.ForeignKey("guide_articles.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # created | edited | state | proposal | ...
        sa.Column("language", sa.String(16)),
        sa.Column("version", sa.Integer()),
        sa.Column("title", sa.Text()),
        sa.Column("body", sa.Text()),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16)),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("author", sa.String(128), nullable=False),
        _when(),
    )
    op.create_index("ix_guide_versions_article", "guide_versions", ["article_id", "id"])
    op.execute(
        "CREATE FUNCTION guide_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'guide_versions is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER guide_versions_append_only BEFORE UPDATE OR DELETE ON guide_versions"
        " FOR EACH ROW EXECUTE FUNCTION guide_versions_append_only()"
    )
    op.create_table(
        "guide_proposals",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), sa.ForeignKey("guide_articles.id"), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("request_id", sa.BigInteger()),
        sa.Column("status", sa.String(16), nullable=False),  # pending | accepted | rejected
        sa.Column("proposed_by", sa.String(128), nullable=False),
        _when(),
        sa.Column("reviewed_by", sa.String(128)),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_guide_proposals_status", "guide_proposals", ["status", "id"])
    op.create_table(
        "guide_synonyms",  # one group of equivalent terms (Darija / Arabic / French), normalised
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("terms", TEXT_ARRAY, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_guide_synonyms_terms", "guide_synonyms", ["terms"], postgresql_using="gin")
    op.create_table(
        "guide_words",  # the vocabulary of every translation, for typo tolerance (api.guide.text)
        sa.Column("word", sa.Text(), primary_key=True),
        sa.Column("variants", TEXT_ARRAY, nullable=False),  # the word and its one-letter deletions
    )
    op.create_index("ix_guide_words_variants", "guide_words", ["variants"], postgresql_using="gin")
    op.create_table(
        "guide_searches",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),  # agent | portal
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("normalised", sa.Text(), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("clicked_article_id", sa.BigInteger()),
        sa.Column("clicked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_guide_searches_at", "guide_searches", ["at"])
    op.create_table(
        "guide_article_uses",  # the article(s) an answer was given from: a call's disposition or a request
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), sa.ForeignKey("guide_articles.id"), nullable=False),
        # no foreign keys to dispositions and requests (as dispositions.request_id): a link never blocks anything
        # done to them (retention, the tests' TRUNCATE); api.crud.guide checks they exist when linking
        sa.Column("disposition_id", sa.BigInteger()),
        sa.Column("request_id", sa.BigInteger()),
        sa.Column("used_by", sa.String(128), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(disposition_id IS NULL) <> (request_id IS NULL)", name="ck_guide_use_one_target"),
    )
    op.create_index("ux_guide_uses_disposition", "guide_article_uses", ["disposition_id", "article_id"], unique=True)
    op.create_index("ux_guide_uses_request", "guide_article_uses", ["request_id", "article_id"], unique=True)


def downgrade() -> None:
    for table in ("guide_article_uses", "guide_searches", "guide_words", "guide_synonyms", "guide_proposals"):
        op.drop_table(table)
    op.execute("DROP TRIGGER guide_versions_append_only ON guide_versions")
    op.execute("DROP FUNCTION guide_versions_append_only()")
    for table in ("guide_versions", "guide_translations", "guide_articles", "guide_categories"):
        op.drop_table(table)

"""The guide search's SQL (api.crud.guide_search.search_sql): which indexes it can use, what it bounds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from api.crud.guide_search import INDEXED_LANGUAGES, search_sql

MIGRATION = Path(__file__).resolve().parents[2] / "api" / "migrations" / "versions" / "0013_guide.py"


def test_the_partial_indexes_are_those_of_the_migration() -> None:
    spec = importlib.util.spec_from_file_location("guide_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.INDEXED_LANGUAGES) == INDEXED_LANGUAGES


def test_an_indexed_language_is_a_literal_and_any_other_a_parameter() -> None:
    indexed = search_sql("q", language="ar", published_only=True)
    assert "t.language = 'ar'" in indexed and ":language" not in indexed
    other = search_sql("q", language="ary", published_only=False)
    assert "t.language = :language" in other and "'ary'" not in other and "t.published" not in other
    assert "t.language =" not in search_sql("q", language=None, published_only=True).split("ranked AS")[0]


def test_both_candidate_sets_are_bounded_and_snippets_come_after_the_limit() -> None:
    sql = search_sql("q", language="fr", published_only=True)
    candidates, ranked = sql.split("ranked AS")
    assert candidates.count("LIMIT :candidates") == 2 and "title_vector @@ q.query" in candidates
    assert "ts_headline" not in candidates and "ts_headline" in ranked.split("LIMIT :limit")[1]

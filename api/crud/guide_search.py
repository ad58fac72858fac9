"""Searching the guide, logging the searches, and the report of what was not found.

Rules:
- The query is folded exactly like the documents (api.guide.text). Each query word becomes a group of
  alternatives: the word itself, its synonyms (groups supervisors keep in `guide_synonyms`) and, for a word the
  guide never uses, the guide's words closest to it by trigram similarity (typo tolerance). Each alternative is
  searched through the language's stemmer and through `simple`; with no language, through every configured
  stemmer. A document must match every group; when none does, any group will do (ranked lower by nature).
- Only published articles are searched for the portal; staff may include the other states.
- Ranked by ts_rank_cd (title weight A above body B above the simple branch D) over a bounded candidate set
  of the GIN index's matches: at most MAX_CANDIDATES translations whose title matches (a title-only vector
  with its own index) and, when there are fewer, the first MAX_CANDIDATES of all matches (either set may
  hold the other's rows: excluding them would scan every match when all are title matches); beyond that,
  matches in table order are left out of the ranking (a word found in thousands of articles costs a bounded
  time). A search in one language uses that language's partial GIN indexes (the language is written as a
  literal; see INDEXED_LANGUAGES). Snippets (ts_headline) are made for the returned page only. The snippet
  marks matches between U+0002 and U+0003 and is otherwise the article's plain text: the page escapes it
  before turning those into <mark>.
- Every search is logged (query, folded query, language, channel, result count); a click on a result is
  recorded once on its search. The report groups them by folded query and language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.guide.models import GuideArticle, GuideArticleUse, GuideSearch, GuideTranslation, GuideWord
from api.guide.text import REGCONFIG, SIMPLE, regconfig, similarity, variants, words
from api.models import RequestRow

MAX_QUERY_WORDS = 8
MIN_TYPO_WORD = 4
TYPO_SIMILARITY = 0.2
TYPO_CANDIDATES = 3
START_MARK, STOP_MARK = "\u0002", "\u0003"
HEADLINE_OPTIONS = f"StartSel={START_MARK}, StopSel={STOP_MARK}, MaxWords=24, MinWords=8, MaxFragments=2"


@dataclass
class QueryPlan:
    """What one query searches for: a group of alternatives per query word."""

    groups: list[list[str]] = field(default_factory=list)
    corrections: dict[str, list[str]] = field(default_factory=dict)
    expanded: dict[str, list[str]] = field(default_factory=dict)

    @property
    def normalised(self) -> str:
        return " ".join(group[0] for group in self.groups)


@dataclass(frozen=True)
class Hit:
    article_id: int
    slug: str
    language: str
    title: str
    snippet: str
    rank: float
    state: str


async def plan_query(session: AsyncSession, *, query: str) -> QueryPlan:
    """The query's words, with synonyms and typo corrections."""
    plan = QueryPlan()
    query_words = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
    if not query_words:
        return plan
    phrases = query_words + [f"{a} {b}" for a, b in pairwise(query_words)]
    # one round trip: which query words the guide knows, and the synonym groups of any word or pair of words
    # (terms are normalised words, so "|" never occurs in one)
    known_words, synonym_groups = (
        await session.execute(
            text(
                "SELECT (SELECT array_agg(word) FROM guide_words WHERE word = ANY(CAST(:words AS text[]))),"
                " (SELECT array_agg(array_to_string(terms, '|')) FROM guide_synonyms"
                "  WHERE terms && CAST(:phrases AS text[]))"
            ),
            {"words": query_words, "phrases": phrases},
        )
    ).one()
    known = set(known_words or ())
    groups = [joined.split("|") for joined in synonym_groups or ()]
    for word in query_words:
        alternatives = [word]
        for terms in groups:
            if word in terms or any(phrase in terms and word in phrase.split() for phrase in phrases):
                others = [term for term in terms if term not in alternatives]
                alternatives += others
                plan.expanded.setdefault(word, []).extend(others)
        if word not in known and len(word) >= MIN_TYPO_WORD and not word.isdigit():
            close = await similar_words(session, word=word)
            if close:
                plan.corrections[word] = close
                alternatives += [candidate for candidate in close if candidate not in alternatives]
        plan.groups.append(alternatives)
    return plan


async def similar_words(session: AsyncSession, *, word: str) -> list[str]:
    """The guide's words one edit away from `word` (shared deletion variants, GIN-indexed), closest first by
    pg_trgm's similarity."""
    candidates = (
        await session.scalars(
            # no LIMIT: with one, the planner estimates && too loosely and scans the table instead of the index
            select(GuideWord.word).where(GuideWord.variants.overlap(variants(word)))
        )
    ).all()
    scored = sorted(((similarity(word, candidate), candidate) for candidate in candidates), reverse=True)
    return [candidate for score, candidate in scored[:TYPO_CANDIDATES] if score >= TYPO_SIMILARITY]


def tsquery_sql(plan: QueryPlan, *, language: str | None, any_group: bool) -> tuple[str, dict[str, Any]]:
    """The SQL of the tsquery (configurations are literals from REGCONFIG, words are bound parameters)."""
    configs = [regconfig(language)] if language else sorted(set(REGCONFIG.values()))
    if SIMPLE not in configs:
        configs.append(SIMPLE)
    params: dict[str, Any] = {}
    group_sql: list[str] = []
    for index, alternatives in enumerate(plan.groups):
        parts = []
        for alt_index, alternative in enumerate(alternatives):
            name = f"w{index}_{alt_index}"
            params[name] = alternative
            parts += [f"plainto_tsquery('{config}', :{name})" for config in configs]
        group_sql.append("(" + " || ".join(parts) + ")")
    joiner = " || " if any_group else " && "
    return joiner.join(group_sql), params


LANGUAGE_CONFIG_SQL = (
    "CASE r.language "
    + " ".join(f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in REGCONFIG.items())
    + " ELSE 'simple'::regconfig END"
)
# = INDEXED_LANGUAGES of api/migrations/versions/0013_guide.py: these have their own partial GIN index
INDEXED_LANGUAGES = frozenset({"ar", "fr", "en", "es", "nl", "it", "de", "zgh"})
# at most this many title matches, and as many other matches, are ranked: a word in thousands of articles costs a
# bounded time, not one ts_rank_cd per match
MAX_CANDIDATES = 300


def search_sql(query_sql: str, *, language: str | None, published_only: bool) -> str:
    """The ranked search: GIN matches (a bounded set: title matches first, then others), ranked, top `:limit`,
    then snippets for those rows only."""
    filters = []
    if published_only:
        filters.append("t.published")
    if language in INDEXED_LANGUAGES:
        # a literal, not a parameter: the planner then proves the partial index `WHERE language = '..'` usable
        filters.append(f"t.language = '{language}'")
    elif language:
        filters.append("t.language = :language")
    where = "".join(f" AND {condition}" for condition in filters)
    return f"""
        WITH q AS MATERIALIZED (SELECT {query_sql} AS query),
        titles AS MATERIALIZED (
            SELECT t.article_id, t.language, t.search_vector FROM q, guide_translations t
            WHERE t.title_vector @@ q.query{where} LIMIT :candidates
        ),
        candidates AS MATERIALIZED (
            SELECT * FROM titles
            UNION ALL
            (SELECT t.article_id, t.language, t.search_vector FROM q, guide_translations t
             WHERE (SELECT count(*) FROM titles) < :candidates  -- a one-time filter: no scan when titles suffice
               AND t.search_vector @@ q.query{where} LIMIT :candidates)
        ),
        ranked AS MATERIALIZED (
            SELECT c.article_id, c.language, ts_rank_cd(c.search_vector, q.query) AS rank
            FROM (
                SELECT DISTINCT ON (article_id, language) article_id, language, search_vector
                FROM candidates ORDER BY article_id, language
            ) c, q
            ORDER BY rank DESC, c.article_id
            LIMIT :limit
        )
        SELECT r.article_id, a.slug, r.language, t.title, r.rank, a.state,
               ts_headline({LANGUAGE_CONFIG_SQL}, t.body, q.query, :headline) AS snippet
        FROM ranked r
        JOIN guide_translations t ON t.article_id = r.article_id AND t.language = r.language
        JOIN guide_articles a ON a.id = r.article_id, q
        ORDER BY r.rank DESC, r.article_id
        """  # noqa: S608  configurations and languages are literals of REGCONFIG / INDEXED_LANGUAGES; words are bound


async def find(
    session: AsyncSession,
    *,
    plan: QueryPlan,
    language: str | None,
    published_only: bool,
    limit: int = 10,
) -> list[Hit]:
    """Ranked hits: all groups matched, or (when none is) any group."""
    if not plan.groups:
        return []
    for any_group in (False, True) if len(plan.groups) > 1 else (False,):
        query_sql, params = tsquery_sql(plan, language=language, any_group=any_group)
        params |= {"limit": limit, "candidates": MAX_CANDIDATES, "headline": HEADLINE_OPTIONS}
        if language and language not in INDEXED_LANGUAGES:
            params["language"] = language
        statement = text(search_sql(query_sql, language=language, published_only=published_only))
        rows = (await session.execute(statement, params)).mappings().all()
        if rows:
            return [
                Hit(
                    article_id=row["article_id"],
                    slug=row["slug"],
                    language=row["language"],
                    title=row["title"],
                    snippet=row["snippet"],
                    rank=float(row["rank"]),
                    state=row["state"],
                )
                for row in rows
            ]
    return []


async def log_search(
    session: AsyncSession,
    *,
    query: str,
    normalised: str,
    language: str | None,
    channel: str,
    actor: str,
    result_count: int,
    now: datetime,
) -> int:
    row = GuideSearch(
        at=now,
        channel=channel,
        actor=actor,
        language=language,
        query=query[:500],
        normalised=normalised[:500],
        result_count=result_count,
    )
    session.add(row)
    await session.commit()
    return row.id


async def record_click(session: AsyncSession, *, search_id: int, article_id: int, now: datetime) -> bool:
    """The first click of a search counts; False when there is no such search."""
    result = await session.execute(
        update(GuideSearch)
        .where(GuideSearch.id == search_id, GuideSearch.clicked_article_id.is_(None))
        .values(clicked_article_id=article_id, clicked_at=now)
    )
    await session.commit()
    if getattr(result, "rowcount", 0):
        return True
    return await session.get(GuideSearch, search_id) is not None


async def not_found(session: AsyncSession, *, since: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """Folded queries that found nothing, or whose results nobody opened, most frequent first."""
    zero = func.count().filter(GuideSearch.result_count == 0)
    unclicked = func.count().filter(GuideSearch.result_count > 0, GuideSearch.clicked_article_id.is_(None))
    query = (
        select(
            func.max(GuideSearch.query).label("query"),
            GuideSearch.language,
            func.count().label("searches"),
            zero.label("zero_results"),
            unclicked.label("without_click"),
            func.max(GuideSearch.at).label("last_at"),
        )
        .where(GuideSearch.at >= since, GuideSearch.normalised != "")
        .group_by(GuideSearch.normalised, GuideSearch.language)
        .having((zero + unclicked) > 0)
        .order_by(zero.desc(), unclicked.desc(), func.count().desc())
        .limit(limit)
    )
    return [dict(row) for row in (await session.execute(query)).mappings().all()]


async def most_asked(session: AsyncSession, *, since: datetime, per_language: int = 10) -> list[dict[str, Any]]:
    """The most frequent folded queries of each language."""
    statement = text(
        """
        SELECT language, query, searches, clicks FROM (
            SELECT language, max(query) AS query, count(*) AS searches, count(clicked_article_id) AS clicks,
                   row_number() OVER (PARTITION BY language ORDER BY count(*) DESC, max(query)) AS place
            FROM guide_searches WHERE at >= :since AND normalised <> ''
            GROUP BY language, normalised
        ) ranked WHERE place <= :per_language
        ORDER BY language NULLS LAST, searches DESC, query
        """
    )
    rows = (await session.execute(statement, {"since": since, "per_language": per_language})).mappings().all()
    return [dict(row) for row in rows]


async def request_text(session: AsyncSession, *, reference: str) -> tuple[int, str] | None:
    """A request's type and description, for suggestions (None: no such request)."""
    found = (
        await session.execute(
            select(RequestRow.request_type, RequestRow.description).where(RequestRow.reference == reference.upper())
        )
    ).first()
    return None if found is None else (int(found[0]), str(found[1]))


async def by_request_type(session: AsyncSession, *, request_type: int, language: str | None) -> list[Hit]:
    """Published articles answering a request type, most used first."""
    uses = (
        select(func.count())
        .where(GuideArticleUse.article_id == GuideArticle.id)
        .correlate(GuideArticle)
        .scalar_subquery()
    )
    query = (
        select(GuideArticle, GuideTranslation)
        .join(GuideTranslation, GuideTranslation.article_id == GuideArticle.id)
        .where(GuideArticle.request_type == request_type, GuideArticle.state == "published")
        .where(GuideTranslation.language == func.coalesce(language, GuideArticle.original_language))
        .order_by(uses.desc(), GuideArticle.id)
        .limit(8)
    )
    return [
        Hit(
            article_id=article.id,
            slug=article.slug,
            language=translation.language,
            title=translation.title,
            snippet=translation.body[:200],
            rank=0.0,
            state=article.state,
        )
        for article, translation in (await session.execute(query)).all()
    ]

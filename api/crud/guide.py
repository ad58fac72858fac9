"""The consular guide in PostgreSQL: articles, translations, versions, review, proposals, synonyms, uses.

Rules:
- Keyword-only functions, each given its session, the actor and the time; each commits what it did.
- Every edit of a translation raises its version and appends a `guide_versions` row with the text, the author
  and the time; every change of state appends one too. Nothing is ever rewritten in `guide_versions`.
- Editing the original language's text makes every other translation out of date (its `original_version`
  stays behind); editing a translation brings it up to the original's current version.
- Review rights (`may_edit`, `may_move`): supervisors and admins edit any article and move it along
  draft -> in_review -> published -> archived (and back to draft); an agent writes new articles (draft, or
  straight to review), edits their own article while it is a draft, submits it for review or withdraws it, and
  proposes amendments to any article; a supervisor accepts (a new version) or rejects a proposal.
- Each translation's search vector and the vocabulary of typo tolerance are written with the text
  (api.guide.text says how).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.guide.models import (
    GuideArticle,
    GuideCategory,
    GuideProposal,
    GuideTranslation,
    GuideVersion,
    GuideWord,
)
from api.guide.text import normalise, regconfig, variants, words
from api.models import RequestRow
from api.schemas.guide import (
    ArticleCreate,
    ArticleState,
    ArticleUpdate,
    ProposalStatus,
    TranslationIn,
)
from api.security.access import sees_everything
from api.security.tokens import Principal

MOVES: dict[ArticleState, frozenset[ArticleState]] = {
    ArticleState.DRAFT: frozenset({ArticleState.IN_REVIEW, ArticleState.PUBLISHED, ArticleState.ARCHIVED}),
    ArticleState.IN_REVIEW: frozenset({ArticleState.DRAFT, ArticleState.PUBLISHED, ArticleState.ARCHIVED}),
    ArticleState.PUBLISHED: frozenset({ArticleState.IN_REVIEW, ArticleState.ARCHIVED}),
    ArticleState.ARCHIVED: frozenset({ArticleState.DRAFT}),
}
AGENT_MOVES = {(ArticleState.DRAFT, ArticleState.IN_REVIEW), (ArticleState.IN_REVIEW, ArticleState.DRAFT)}
MIN_VOCABULARY_WORD = 3
MAX_ID_DIGITS = 18  # a BIGINT holds any 18-digit number


class GuideError(Exception):
    """Refused: the route answers with `status`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def may_edit(principal: Principal, article: GuideArticle) -> bool:
    if sees_everything(principal):
        return True
    return article.created_by == principal.name and article.state == ArticleState.DRAFT


def may_move(principal: Principal, article: GuideArticle, to_state: ArticleState) -> bool:
    current = ArticleState(article.state)
    if to_state not in MOVES[current]:
        return False
    if sees_everything(principal):
        return True
    return article.created_by == principal.name and (current, to_state) in AGENT_MOVES


# -- reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleView:
    article: GuideArticle
    category: str | None
    translations: list[GuideTranslation]

    def out_of_date(self, translation: GuideTranslation) -> bool:
        original = next((t for t in self.translations if t.language == self.article.original_language), None)
        return original is not None and translation.original_version < original.version


async def find_article(session: AsyncSession, *, key: str) -> GuideArticle | None:
    """By id (digits) or slug."""
    if key.isascii() and key.isdigit() and len(key) <= MAX_ID_DIGITS:
        return await session.get(GuideArticle, int(key))
    return await session.scalar(select(GuideArticle).where(GuideArticle.slug == key))


async def view_article(session: AsyncSession, *, article: GuideArticle) -> ArticleView:
    translations = (
        await session.scalars(
            select(GuideTranslation)
            .where(GuideTranslation.article_id == article.id)
            .order_by(GuideTranslation.language)
        )
    ).all()
    category = None
    if article.category_id is not None:
        category = await session.scalar(select(GuideCategory.slug).where(GuideCategory.id == article.category_id))
    return ArticleView(article, category, list(translations))


async def list_articles(
    session: AsyncSession, *, state: ArticleState | None = None, request_type: int | None = None, limit: int = 500
) -> list[tuple[ArticleView, int]]:
    """Articles (newest change first) with their count of pending proposals."""
    query = select(GuideArticle).order_by(GuideArticle.updated_at.desc(), GuideArticle.id.desc()).limit(limit)
    if state is not None:
        query = query.where(GuideArticle.state == state.value)
    if request_type is not None:
        query = query.where(GuideArticle.request_type == request_type)
    articles = (await session.scalars(query)).all()
    ids = [article.id for article in articles]
    translations = (await session.scalars(select(GuideTranslation).where(GuideTranslation.article_id.in_(ids)))).all()
    categories = dict((await session.execute(select(GuideCategory.id, GuideCategory.slug))).all())
    pending = dict(
        (
            await session.execute(
                select(GuideProposal.article_id, func.count())
                .where(GuideProposal.article_id.in_(ids), GuideProposal.status == ProposalStatus.PENDING.value)
                .group_by(GuideProposal.article_id)
            )
        ).all()
    )
    by_article: dict[int, list[GuideTranslation]] = {}
    for translation in translations:
        by_article.setdefault(translation.article_id, []).append(translation)
    return [
        (
            ArticleView(
                article,
                None if article.category_id is None else categories.get(article.category_id),
                sorted(by_article.get(article.id, []), key=lambda t: t.language),
            ),
            pending.get(article.id, 0),
        )
        for article in articles
    ]


async def history(session: AsyncSession, *, article_id: int) -> Sequence[GuideVersion]:
    query = select(GuideVersion).where(GuideVersion.article_id == article_id).order_by(GuideVersion.id.desc())
    return (await session.scalars(query)).all()


# -- writing --------------------------------------------------------------------------------------------------


async def category_id_of(session: AsyncSession, *, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = await session.scalar(select(GuideCategory.id).where(GuideCategory.slug == slug))
    if found is None:
        raise GuideError(422, f"no category {slug!r}")
    return found


async def request_id_of(session: AsyncSession, *, reference: str | None) -> int | None:
    if reference is None:
        return None
    found = await session.scalar(select(RequestRow.id).where(RequestRow.reference == reference.upper()))
    if found is None:
        raise GuideError(422, f"no request {reference!r}")
    return found


# title (A) and body (B) through the language's stemmer, both again through `simple` (D): names, numbers, Darija
# and the title alone (stemmer and `simple`), the cheap first signal of api.crud.guide_search
SEARCH_VECTOR = text(
    "SELECT setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A')"
    " || setweight(to_tsvector(CAST(:config AS regconfig), :body), 'B')"
    " || setweight(to_tsvector('simple', :title || ' ' || :body), 'D'),"
    " to_tsvector(CAST(:config AS regconfig), :title) || to_tsvector('simple', :title)"
)


async def _write_translation(
    session: AsyncSession,
    *,
    article: GuideArticle,
    translation_in: TranslationIn,
    original_version: int | None,
    actor: str,
    now: datetime,
    note: str = "",
    action: str = "edited",
) -> GuideTranslation:
    """Upsert one language's text (version + 1), its search vector, its words, and its version row."""
    current = await session.get(GuideTranslation, (article.id, translation_in.language))
    version = 1 if current is None else current.version + 1
    is_original = translation_in.language == article.original_language
    follows = version if is_original else (original_version if original_version is not None else 0)
    title_words, body_words = normalise(translation_in.title), normalise(translation_in.body)
    computed, title_vector = (
        await session.execute(
            SEARCH_VECTOR,
            {"config": regconfig(translation_in.language), "title": title_words, "body": body_words},
        )
    ).one()
    values = {
        "title": translation_in.title,
        "body": translation_in.body,
        "version": version,
        "original_version": follows,
        "published": article.state == ArticleState.PUBLISHED,
        "updated_by": actor,
        "updated_at": now,
        "search_vector": computed,
        "title_vector": title_vector,
    }
    statement = (
        insert(GuideTranslation)
        .values(article_id=article.id, language=translation_in.language, **values)
        .on_conflict_do_update(index_elements=[GuideTranslation.article_id, GuideTranslation.language], set_=values)
    )
    await session.execute(statement)
    vocabulary = {word for word in words(f"{translation_in.title} {translation_in.body}") if len(word) >= 3}
    if vocabulary:
        await session.execute(
            insert(GuideWord).on_conflict_do_nothing(),
            [{"word": word, "variants": variants(word)} for word in sorted(vocabulary)],
        )
    session.add(
        GuideVersion(
            article_id=article.id,
            action="created" if current is None else action,
            language=translation_in.language,
            version=version,
            title=translation_in.title,
            body=translation_in.body,
            note=note,
            author=actor,
            created_at=now,
        )
    )
    row = await session.get(GuideTranslation, (article.id, translation_in.language), populate_existing=True)
    assert row is not None  # written just above
    return row


async def original_version(session: AsyncSession, *, article: GuideArticle) -> int:
    found = await session.scalar(
        select(GuideTranslation.version).where(
            GuideTranslation.article_id == article.id, GuideTranslation.language == article.original_language
        )
    )
    return found or 0


async def write_translations(
    session: AsyncSession,
    *,
    article: GuideArticle,
    translations: Sequence[TranslationIn],
    actor: str,
    now: datetime,
    note: str = "",
    action: str = "edited",
) -> None:
    """The original first, so the others follow its new version."""
    ordered = sorted(translations, key=lambda t: t.language != article.original_language)
    for translation_in in ordered:
        original = await original_version(session, article=article)
        await _write_translation(
            session,
            article=article,
            translation_in=translation_in,
            original_version=original,
            actor=actor,
            now=now,
            note=note,
            action=action,
        )


async def create_article(
    session: AsyncSession, *, article_in: ArticleCreate, principal: Principal, now: datetime
) -> GuideArticle:
    """A new article: a draft, or in review when `submit`; 409 when the slug is taken."""
    if await session.scalar(select(GuideArticle.id).where(GuideArticle.slug == article_in.slug)) is not None:
        raise GuideError(409, f"an article {article_in.slug!r} exists already")
    if article_in.original_language not in {t.language for t in article_in.translations}:
        raise GuideError(422, "the original language needs a translation")
    article = GuideArticle(
        slug=article_in.slug,
        category_id=await category_id_of(session, slug=article_in.category),
        state=(ArticleState.IN_REVIEW if article_in.submit else ArticleState.DRAFT).value,
        original_language=article_in.original_language,
        request_type=article_in.request_type,
        tags=[tag.strip().lower() for tag in article_in.tags if tag.strip()],
        source=article_in.source,
        last_checked=article_in.last_checked,
        sample=article_in.sample,
        from_request_id=await request_id_of(session, reference=article_in.from_request),
        created_by=principal.name,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    await session.flush()
    await write_translations(
        session, article=article, translations=article_in.translations, actor=principal.name, now=now
    )
    await session.commit()
    return article


async def update_article(
    session: AsyncSession, *, article: GuideArticle, article_in: ArticleUpdate, principal: Principal, now: datetime
) -> GuideArticle:
    """Change what is given; 403 outside the review rights."""
    if not may_edit(principal, article):
        raise GuideError(403, "only a supervisor, or the author of a draft, edits this article")
    if article_in.category is not None:
        article.category_id = await category_id_of(session, slug=article_in.category)
    if article_in.request_type is not None:
        article.request_type = article_in.request_type
    if article_in.tags is not None:
        article.tags = [tag.strip().lower() for tag in article_in.tags if tag.strip()]
    if article_in.source is not None:
        article.source = article_in.source
    if article_in.last_checked is not None:
        article.last_checked = article_in.last_checked
    article.updated_at = now
    await write_translations(
        session,
        article=article,
        translations=article_in.translations,
        actor=principal.name,
        now=now,
        note=article_in.note,
    )
    await session.commit()
    return article


async def move_article(
    session: AsyncSession,
    *,
    article: GuideArticle,
    to_state: ArticleState,
    note: str,
    principal: Principal,
    now: datetime,
) -> GuideArticle:
    """draft -> in_review -> published -> archived (and back); 409 for a move the states do not allow, 403 for one
    the role may not make."""
    current = ArticleState(article.state)
    if to_state not in MOVES[current]:
        raise GuideError(409, f"an article {current.value} cannot become {to_state.value}")
    if not may_move(principal, article, to_state):
        raise GuideError(403, f"only a supervisor makes an article {to_state.value}")
    article.state = to_state.value
    article.updated_at = now
    await session.execute(
        update(GuideTranslation)
        .where(GuideTranslation.article_id == article.id)
        .values(published=to_state == ArticleState.PUBLISHED)
    )
    session.add(
        GuideVersion(
            article_id=article.id,
            action="state",
            from_state=current.value,
            to_state=to_state.value,
            note=note,
            author=principal.name,
            created_at=now,
        )
    )
    await session.commit()
    return article

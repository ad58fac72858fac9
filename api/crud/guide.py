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

from api.crud.dispositions import find_disposition
from api.guide.models import (
    GuideArticle,
    GuideArticleUse,
    GuideCategory,
    GuideProposal,
    GuideSynonym,
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
    CategoryCreate,
    ProposalCreate,
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


async def list_categories(session: AsyncSession) -> list[tuple[GuideCategory, str | None]]:
    rows = (await session.scalars(select(GuideCategory).order_by(GuideCategory.position, GuideCategory.slug))).all()
    slugs = {row.id: row.slug for row in rows}
    return [(row, None if row.parent_id is None else slugs.get(row.parent_id)) for row in rows]


# -- writing --------------------------------------------------------------------------------------------------


async def _category_id(session: AsyncSession, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = await session.scalar(select(GuideCategory.id).where(GuideCategory.slug == slug))
    if found is None:
        raise GuideError(422, f"no category {slug!r}")
    return found


async def _request_id(session: AsyncSession, reference: str | None) -> int | None:
    if reference is None:
        return None
    found = await session.scalar(select(RequestRow.id).where(RequestRow.reference == reference.upper()))
    if found is None:
        raise GuideError(422, f"no request {reference!r}")
    return found


async def save_category(session: AsyncSession, *, category_in: CategoryCreate) -> GuideCategory:
    """Create the category, or update the one of that slug."""
    parent_id = await _category_id(session, category_in.parent)
    values = {"parent_id": parent_id, "names": category_in.names, "position": category_in.position}
    statement = (
        insert(GuideCategory)
        .values(slug=category_in.slug, **values)
        .on_conflict_do_update(index_elements=[GuideCategory.slug], set_=values)
        .returning(GuideCategory)
    )
    row = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    await session.commit()
    return row


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


async def _original_version(session: AsyncSession, article: GuideArticle) -> int:
    found = await session.scalar(
        select(GuideTranslation.version).where(
            GuideTranslation.article_id == article.id, GuideTranslation.language == article.original_language
        )
    )
    return found or 0


async def _write_translations(
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
        original = await _original_version(session, article)
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
        category_id=await _category_id(session, article_in.category),
        state=(ArticleState.IN_REVIEW if article_in.submit else ArticleState.DRAFT).value,
        original_language=article_in.original_language,
        request_type=article_in.request_type,
        tags=[tag.strip().lower() for tag in article_in.tags if tag.strip()],
        source=article_in.source,
        last_checked=article_in.last_checked,
        sample=article_in.sample,
        from_request_id=await _request_id(session, article_in.from_request),
        created_by=principal.name,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    await session.flush()
    await _write_translations(
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
        article.category_id = await _category_id(session, article_in.category)
    if article_in.request_type is not None:
        article.request_type = article_in.request_type
    if article_in.tags is not None:
        article.tags = [tag.strip().lower() for tag in article_in.tags if tag.strip()]
    if article_in.source is not None:
        article.source = article_in.source
    if article_in.last_checked is not None:
        article.last_checked = article_in.last_checked
    article.updated_at = now
    await _write_translations(
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


async def propose(
    session: AsyncSession, *, article: GuideArticle, proposal_in: ProposalCreate, principal: Principal, now: datetime
) -> GuideProposal:
    """An amendment (a new text for one language) waiting for a supervisor."""
    if article.state == ArticleState.ARCHIVED:
        raise GuideError(409, "an archived article takes no proposals")
    proposal = GuideProposal(
        article_id=article.id,
        language=proposal_in.language,
        title=proposal_in.title,
        body=proposal_in.body,
        note=proposal_in.note,
        request_id=await _request_id(session, proposal_in.from_request),
        status=ProposalStatus.PENDING.value,
        proposed_by=principal.name,
        created_at=now,
    )
    session.add(proposal)
    await session.flush()
    session.add(
        GuideVersion(
            article_id=article.id,
            action="proposal",
            language=proposal_in.language,
            title=proposal_in.title,
            body=proposal_in.body,
            note=f"proposal {proposal.id}: {proposal_in.note}".strip(),
            author=principal.name,
            created_at=now,
        )
    )
    await session.commit()
    return proposal


async def list_proposals(
    session: AsyncSession, *, status: ProposalStatus | None = ProposalStatus.PENDING, article_id: int | None = None
) -> list[tuple[GuideProposal, str]]:
    query = (
        select(GuideProposal, GuideArticle.slug)
        .join(GuideArticle, GuideArticle.id == GuideProposal.article_id)
        .order_by(GuideProposal.id)
    )
    if status is not None:
        query = query.where(GuideProposal.status == status.value)
    if article_id is not None:
        query = query.where(GuideProposal.article_id == article_id)
    return [(proposal, slug) for proposal, slug in (await session.execute(query)).all()]


async def review_proposal(
    session: AsyncSession, *, proposal_id: int, accept: bool, note: str, principal: Principal, now: datetime
) -> GuideProposal:
    """Accept (the text becomes the language's new version) or reject a pending proposal (supervisors)."""
    if not sees_everything(principal):
        raise GuideError(403, "only a supervisor reviews proposals")
    proposal = await session.get(GuideProposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise GuideError(404, f"no proposal {proposal_id}")
    if proposal.status != ProposalStatus.PENDING:
        raise GuideError(409, f"proposal {proposal_id} is {proposal.status} already")
    article = await session.get(GuideArticle, proposal.article_id)
    assert article is not None  # a foreign key
    proposal.status = (ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED).value
    proposal.reviewed_by = principal.name
    proposal.reviewed_at = now
    if accept:
        article.updated_at = now
        await _write_translations(
            session,
            article=article,
            translations=[TranslationIn(language=proposal.language, title=proposal.title, body=proposal.body)],
            actor=principal.name,
            now=now,
            note=f"proposal {proposal.id} by {proposal.proposed_by}" + (f": {note}" if note else ""),
            action="accepted",
        )
    else:
        session.add(
            GuideVersion(
                article_id=article.id,
                action="rejected",
                language=proposal.language,
                note=f"proposal {proposal.id} by {proposal.proposed_by}" + (f": {note}" if note else ""),
                author=principal.name,
                created_at=now,
            )
        )
    await session.commit()
    return proposal


# -- synonyms -------------------------------------------------------------------------------------------------


def synonym_terms(terms: Sequence[str]) -> list[str]:
    """Normalised, unique, in the given order; empty terms dropped."""
    seen: list[str] = []
    for term in terms:
        folded = normalise(term)
        if folded and folded not in seen:
            seen.append(folded)
    return seen


async def list_synonyms(session: AsyncSession) -> Sequence[GuideSynonym]:
    return (await session.scalars(select(GuideSynonym).order_by(GuideSynonym.id))).all()


async def save_synonyms(
    session: AsyncSession, *, terms: Sequence[str], synonym_id: int | None = None, actor: str, now: datetime
) -> GuideSynonym:
    folded = synonym_terms(terms)
    if len(folded) < 2:
        raise GuideError(422, "a synonym group needs two different terms")
    if synonym_id is None:
        row = GuideSynonym(terms=folded, updated_by=actor, updated_at=now)
        session.add(row)
    else:
        found = await session.get(GuideSynonym, synonym_id)
        if found is None:
            raise GuideError(404, f"no synonym group {synonym_id}")
        row = found
        row.terms, row.updated_by, row.updated_at = folded, actor, now
    await session.commit()
    return row


async def delete_synonyms(session: AsyncSession, *, synonym_id: int) -> bool:
    row = await session.get(GuideSynonym, synonym_id)
    if row is None:
        return False
    await session.delete(row)
    await session.commit()
    return True


# -- uses: the articles an answer was given from ----------------------------------------------------------------


async def record_uses(
    session: AsyncSession,
    *,
    article_ids: Sequence[int],
    disposition: tuple[str, str] | None = None,
    request_reference: str | None = None,
    actor: str,
    now: datetime,
) -> int:
    """Link articles to a disposition (linkedid, seat) or a request; a link made twice stays one. Returns how
    many articles are linked now."""
    disposition_id = request_id = None
    if disposition is not None:
        found = await find_disposition(session, linkedid=disposition[0], seat=disposition[1])
        if found is None:
            raise GuideError(404, f"no disposition of call {disposition[0]} by {disposition[1]}")
        disposition_id = found.id
    else:
        request_id = await _request_id(session, request_reference)
        if request_id is None:
            raise GuideError(422, "name a disposition (linkedid and seat) or a request")
    known = set((await session.scalars(select(GuideArticle.id).where(GuideArticle.id.in_(article_ids)))).all())
    missing = sorted(set(article_ids) - known)
    if missing:
        raise GuideError(422, f"no article {missing[0]}")
    target = "disposition_id" if disposition_id is not None else "request_id"
    statement = insert(GuideArticleUse).on_conflict_do_nothing(index_elements=[target, "article_id"])
    await session.execute(
        statement,
        [
            {
                "article_id": article_id,
                "disposition_id": disposition_id,
                "request_id": request_id,
                "used_by": actor,
                "used_at": now,
            }
            for article_id in sorted(known)
        ],
    )
    await session.commit()
    column = GuideArticleUse.disposition_id if disposition_id is not None else GuideArticleUse.request_id
    count = await session.scalar(select(func.count()).where(column == (disposition_id or request_id)))
    return int(count or 0)


async def uses_of(
    session: AsyncSession, *, disposition: tuple[str, str] | None = None, request_reference: str | None = None
) -> list[tuple[GuideArticleUse, str, str]]:
    """(use, slug, title in the article's original language) of a disposition or a request."""
    query = (
        select(GuideArticleUse, GuideArticle.slug, GuideTranslation.title)
        .join(GuideArticle, GuideArticle.id == GuideArticleUse.article_id)
        .join(
            GuideTranslation,
            (GuideTranslation.article_id == GuideArticle.id)
            & (GuideTranslation.language == GuideArticle.original_language),
        )
        .order_by(GuideArticleUse.id)
    )
    if disposition is not None:
        found = await find_disposition(session, linkedid=disposition[0], seat=disposition[1])
        if found is None:
            return []
        query = query.where(GuideArticleUse.disposition_id == found.id)
    else:
        request_id = await session.scalar(
            select(RequestRow.id).where(RequestRow.reference == (request_reference or "").upper())
        )
        if request_id is None:
            return []
        query = query.where(GuideArticleUse.request_id == request_id)
    return [(use, slug, title) for use, slug, title in (await session.execute(query)).all()]

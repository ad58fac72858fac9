"""What keeps the guide alive around its articles: the category tree, the synonym groups supervisors keep
(Darija / Arabic / French terms searched as one), and the articles used to answer a call (with its disposition)
or a request (with its answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.dispositions import find_disposition
from api.crud.guide import (
    GuideError,
    category_id_of,
    request_id_of,
)
from api.guide.models import (
    GuideArticle,
    GuideArticleUse,
    GuideCategory,
    GuideSynonym,
    GuideTranslation,
)
from api.guide.text import normalise
from api.models import RequestRow
from api.schemas.guide import (
    CategoryCreate,
)


async def list_categories(session: AsyncSession) -> list[tuple[GuideCategory, str | None]]:
    rows = (await session.scalars(select(GuideCategory).order_by(GuideCategory.position, GuideCategory.slug))).all()
    slugs = {row.id: row.slug for row in rows}
    return [(row, None if row.parent_id is None else slugs.get(row.parent_id)) for row in rows]


async def save_category(session: AsyncSession, *, category_in: CategoryCreate) -> GuideCategory:
    """Create the category, or update the one of that slug."""
    parent_id = await category_id_of(session, slug=category_in.parent)
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
        request_id = await request_id_of(session, reference=request_reference)
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

"""The guide's proposals: an agent proposes a new text for an article (an amendment, perhaps from a request they
answered); a supervisor accepts it (a new version of the translation) or rejects it. Rights and versions are
api.crud.guide's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.guide import (
    GuideError,
    request_id_of,
    write_translations,
)
from api.guide.models import (
    GuideArticle,
    GuideProposal,
    GuideVersion,
)
from api.schemas.guide import (
    ArticleState,
    ProposalCreate,
    ProposalStatus,
    TranslationIn,
)
from api.security.access import sees_everything
from api.security.tokens import Principal


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
        request_id=await request_id_of(session, reference=proposal_in.from_request),
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
        await write_translations(
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

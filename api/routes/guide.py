"""The consular guide: articles agents answer from, their review, search, and the public read-only guide.

Rules:
- Staff (agents, supervisors, admins) read every state, search, write new articles and propose amendments;
  the review rights are api.crud.guide's (403 outside them). Synonyms, categories, proposals' review and the
  report are for supervisors and admins.
- Every write is audited (api.security.audit), and kept as a version (api.crud.guide).
- /portal/guide/* needs no credentials and shows published articles only (anything else is 404, as missing);
  its search is rate-limited per address like the portal's form.
- A disposition's articles are linked by the seat that filed it (an agent: their own seat only).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from api.crud import guide, guide_review, guide_search, guide_upkeep
from api.deps import NowDep, SessionDep, StaffDep, SupervisorDep
from api.guide.models import GuideArticle, GuideProposal, GuideSynonym
from api.problems import documented
from api.schemas.audit import AuditAction
from api.schemas.guide import (
    ArticleCreate,
    ArticlePublic,
    ArticleState,
    ArticleSummary,
    ArticleUpdate,
    CategoryCreate,
    CategoryPublic,
    ClickCreate,
    ProposalCreate,
    ProposalPublic,
    ProposalReview,
    ProposalStatus,
    SearchHit,
    SearchResult,
    StateChange,
    Suggestions,
    SynonymPublic,
    TranslationPublic,
    VersionPublic,
)
from api.security.audit import AuditDep

router = APIRouter(tags=["guide"])

QueryText = Annotated[str, Query(min_length=1, max_length=200, description="the words searched for")]
LanguageQuery = Annotated[str | None, Query(max_length=16, pattern=r"^[a-z]{2,3}$")]
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
PORTAL_SEARCHES = 60  # per address and minute
PORTAL_SEARCH_WINDOW = timedelta(minutes=1)


def _refuse(error: guide.GuideError) -> HTTPException:
    return HTTPException(error.status, error.detail)


async def _article(session: SessionDep, key: str) -> GuideArticle:
    found = await guide.find_article(session, key=key)
    if found is None:
        raise HTTPException(404, f"no article {key!r}")
    return found


def _public(view: guide.ArticleView) -> ArticlePublic:
    article = view.article
    return ArticlePublic(
        id=article.id,
        slug=article.slug,
        category=view.category,
        state=ArticleState(article.state),
        original_language=article.original_language,
        request_type=article.request_type,
        tags=article.tags,
        source=article.source,
        last_checked=article.last_checked,
        sample=article.sample,
        from_request_id=article.from_request_id,
        created_by=article.created_by,
        created_at=article.created_at,
        updated_at=article.updated_at,
        translations=[
            TranslationPublic(
                language=t.language,
                title=t.title,
                body=t.body,
                version=t.version,
                original_version=t.original_version,
                out_of_date=view.out_of_date(t),
                updated_by=t.updated_by,
                updated_at=t.updated_at,
            )
            for t in view.translations
        ],
    )


def _summary(view: guide.ArticleView, pending: int) -> ArticleSummary:
    return ArticleSummary(
        id=view.article.id,
        slug=view.article.slug,
        state=ArticleState(view.article.state),
        category=view.category,
        request_type=view.article.request_type,
        titles={t.language: t.title for t in view.translations},
        out_of_date=[t.language for t in view.translations if view.out_of_date(t)],
        pending_proposals=pending,
        updated_at=view.article.updated_at,
    )


def _proposal(proposal: GuideProposal, slug: str) -> ProposalPublic:
    return ProposalPublic(
        id=proposal.id,
        article_id=proposal.article_id,
        article_slug=slug,
        language=proposal.language,
        title=proposal.title,
        body=proposal.body,
        note=proposal.note,
        request_id=proposal.request_id,
        status=ProposalStatus(proposal.status),
        proposed_by=proposal.proposed_by,
        created_at=proposal.created_at,
        reviewed_by=proposal.reviewed_by,
        reviewed_at=proposal.reviewed_at,
    )


def _synonym(row: GuideSynonym) -> SynonymPublic:
    return SynonymPublic(id=row.id, terms=row.terms, updated_by=row.updated_by, updated_at=row.updated_at)


async def _search(
    session: SessionDep,
    *,
    q: str,
    language: str | None,
    published_only: bool,
    channel: str,
    actor: str,
    now: NowDep,
) -> SearchResult:
    plan = await guide_search.plan_query(session, query=q)
    hits = await guide_search.find(session, plan=plan, language=language, published_only=published_only)
    search_id = await guide_search.log_search(
        session,
        query=q,
        normalised=plan.normalised,
        language=language,
        channel=channel,
        actor=actor,
        result_count=len(hits),
        now=now,
    )
    return SearchResult(
        search_id=search_id,
        query=q,
        language=language,
        hits=[SearchHit(**hit.__dict__) for hit in hits],
        corrections=plan.corrections,
        expanded=plan.expanded,
    )


# -- staff ------------------------------------------------------------------------------------------------------


@router.get("/guide/articles")
async def list_articles(
    session: SessionDep,
    principal: StaffDep,
    state: ArticleState | None = None,
    request_type: Annotated[int | None, Query(ge=1, le=9)] = None,
) -> list[ArticleSummary]:
    """The guide's articles (every state), newest change first, with their out-of-date languages."""
    found = await guide.list_articles(session, state=state, request_type=request_type)
    return [_summary(view, pending) for view, pending in found]


@router.post("/guide/articles", status_code=status.HTTP_201_CREATED, responses=documented(409))
async def create_article(
    body: ArticleCreate, session: SessionDep, principal: StaffDep, now: NowDep, audit: AuditDep
) -> ArticlePublic:
    """Write a new article: a draft, or straight to review (`submit`)."""
    try:
        article = await guide.create_article(session, article_in=body, principal=principal, now=now)
    except guide.GuideError as error:
        raise _refuse(error) from error
    await audit(AuditAction.GUIDE_CHANGE, f"guide:{article.slug}", f"created {article.state}")
    return _public(await guide.view_article(session, article=article))


@router.get("/guide/articles/{key}")
async def read_article(key: str, session: SessionDep, principal: StaffDep) -> ArticlePublic:
    """One article (by id or slug) with every translation."""
    return _public(await guide.view_article(session, article=await _article(session, key)))


@router.patch("/guide/articles/{key}")
async def edit_article(
    key: str, body: ArticleUpdate, session: SessionDep, principal: StaffDep, now: NowDep, audit: AuditDep
) -> ArticlePublic:
    """Edit an article: each translation given becomes its language's new version."""
    article = await _article(session, key)
    try:
        await guide.update_article(session, article=article, article_in=body, principal=principal, now=now)
    except guide.GuideError as error:
        raise _refuse(error) from error
    languages = ",".join(t.language for t in body.translations)
    await audit(AuditAction.GUIDE_CHANGE, f"guide:{article.slug}", f"edited {languages}")
    return _public(await guide.view_article(session, article=article))


@router.post("/guide/articles/{key}/state", responses=documented(409))
async def move_article(
    key: str, body: StateChange, session: SessionDep, principal: StaffDep, now: NowDep, audit: AuditDep
) -> ArticlePublic:
    """Move an article along draft -> in_review -> published -> archived (supervisors; authors submit)."""
    article = await _article(session, key)
    before = article.state
    try:
        await guide.move_article(
            session, article=article, to_state=body.state, note=body.note, principal=principal, now=now
        )
    except guide.GuideError as error:
        raise _refuse(error) from error
    await audit(AuditAction.GUIDE_CHANGE, f"guide:{article.slug}", f"{before} -> {body.state.value}")
    return _public(await guide.view_article(session, article=article))


@router.get("/guide/articles/{key}/history")
async def article_history(key: str, session: SessionDep, principal: StaffDep) -> list[VersionPublic]:
    """Every version and change of state of an article, newest first."""
    article = await _article(session, key)
    return [
        VersionPublic(**{column: getattr(row, column) for column in _HISTORY_COLUMNS})
        for row in await guide.history(session, article_id=article.id)
    ]


_HISTORY_COLUMNS = (
    *("id", "action", "language", "version", "title", "body"),
    *("from_state", "to_state", "note", "author", "created_at"),
)


@router.post("/guide/articles/{key}/proposals", status_code=status.HTTP_201_CREATED, responses=documented(409))
async def propose_amendment(
    key: str, body: ProposalCreate, session: SessionDep, principal: StaffDep, now: NowDep, audit: AuditDep
) -> ProposalPublic:
    """Propose a new text for one language of an article, for a supervisor to accept or reject."""
    article = await _article(session, key)
    try:
        proposal = await guide_review.propose(session, article=article, proposal_in=body, principal=principal, now=now)
    except guide.GuideError as error:
        raise _refuse(error) from error
    await audit(AuditAction.GUIDE_CHANGE, f"guide:{article.slug}", f"proposal {proposal.id}")
    return _proposal(proposal, article.slug)


@router.get("/guide/proposals")
async def list_proposals(
    session: SessionDep, principal: StaffDep, status: ProposalStatus | None = ProposalStatus.PENDING
) -> list[ProposalPublic]:
    """Proposals (pending ones by default), oldest first: the review queue."""
    return [_proposal(proposal, slug) for proposal, slug in await guide_review.list_proposals(session, status=status)]


@router.post("/guide/proposals/{proposal_id}/review", responses=documented(404, 409))
async def review_proposal(
    proposal_id: IdPath,
    body: ProposalReview,
    session: SessionDep,
    principal: SupervisorDep,
    now: NowDep,
    audit: AuditDep,
) -> ProposalPublic:
    """Accept (a new version of that language) or reject a pending proposal."""
    try:
        proposal = await guide_review.review_proposal(
            session, proposal_id=proposal_id, accept=body.accept, note=body.note, principal=principal, now=now
        )
    except guide.GuideError as error:
        raise _refuse(error) from error
    found = await guide.find_article(session, key=str(proposal.article_id))
    slug = found.slug if found else ""
    await audit(AuditAction.GUIDE_CHANGE, f"guide:{slug}", f"proposal {proposal.id} {proposal.status}")
    return _proposal(proposal, slug)


@router.get("/guide/categories")
async def list_categories(session: SessionDep) -> list[CategoryPublic]:
    """The category tree (each with its parent's slug), public: the portal shows it too."""
    return [
        CategoryPublic(id=row.id, slug=row.slug, parent=parent, names=row.names, position=row.position)
        for row, parent in await guide_upkeep.list_categories(session)
    ]


@router.post("/guide/categories")
async def save_category(body: CategoryCreate, session: SessionDep, principal: SupervisorDep) -> CategoryPublic:
    """Create or rename a category (by slug)."""
    try:
        row = await guide_upkeep.save_category(session, category_in=body)
    except guide.GuideError as error:
        raise _refuse(error) from error
    return CategoryPublic(id=row.id, slug=row.slug, parent=body.parent, names=row.names, position=row.position)


@router.get("/guide/search")
async def search(
    q: QueryText,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    language: LanguageQuery = None,
    every_state: bool = False,
) -> SearchResult:
    """Search the guide (published articles; `every_state` for drafts and reviews too), ranked, with snippets."""
    return await _search(
        session,
        q=q,
        language=language,
        published_only=not every_state,
        channel="agent",
        actor=principal.name,
        now=now,
    )


@router.post("/guide/searches/{search_id}/click", status_code=status.HTTP_204_NO_CONTENT)
async def click(search_id: IdPath, body: ClickCreate, session: SessionDep, principal: StaffDep, now: NowDep) -> None:
    """Record the result a search led to (the first one counts)."""
    if not await guide_search.record_click(session, search_id=search_id, article_id=body.article_id, now=now):
        raise HTTPException(404, f"no search {search_id}")


@router.get("/guide/suggestions")
async def suggestions(
    session: SessionDep,
    principal: StaffDep,
    language: LanguageQuery = None,
    request_type: Annotated[int | None, Query(ge=1, le=9)] = None,
    reference: Annotated[str | None, Query(max_length=12)] = None,
) -> Suggestions:
    """Articles for the call on hand: those answering its request type, then those matching the keyed request."""
    hits: list[SearchHit] = []
    if reference:
        found = await guide_search.request_text(session, reference=reference)
        if found is not None:
            request_type = request_type or found[0]
            plan = await guide_search.plan_query(session, query=found[1])
            plan.groups = plan.groups[:6]
            for hit in await guide_search.find(session, plan=plan, language=language, published_only=True, limit=5):
                hits.append(SearchHit(**hit.__dict__))
    if request_type is not None:
        for hit in await guide_search.by_request_type(session, request_type=request_type, language=language):
            if all(known.article_id != hit.article_id for known in hits):
                hits.append(SearchHit(**hit.__dict__))
    return Suggestions(hits=hits[:8])

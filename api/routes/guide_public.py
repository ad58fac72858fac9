"""The public guide (/portal/guide/*): no credentials, published articles only (anything else is 404, as
missing), the same search as staff's, rate-limited per address like the portal's form.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from api.crud import guide, guide_search, rate_limits
from api.deps import NowDep, SessionDep
from api.net import limit_key
from api.problems import documented, retry_after
from api.routes.guide import (
    PORTAL_SEARCH_WINDOW,
    PORTAL_SEARCHES,
    IdPath,
    LanguageQuery,
    QueryText,
    _public,
    _search,
    _summary,
)
from api.schemas.guide import (
    ArticlePublic,
    ArticleState,
    ArticleSummary,
    ClickCreate,
    SearchResult,
)

router = APIRouter(tags=["guide"])


@router.get("/portal/guide/articles", tags=["portal"])
async def portal_articles(session: SessionDep) -> list[ArticleSummary]:
    """The published articles, with their titles in every language."""
    found = await guide.list_articles(session, state=ArticleState.PUBLISHED)
    return [_summary(view, 0) for view, _ in found]


@router.get("/portal/guide/articles/{slug}", tags=["portal"])
async def portal_article(slug: str, session: SessionDep) -> ArticlePublic:
    """One published article in every language (anything else: 404)."""
    found = await guide.find_article(session, key=slug)
    if found is None or found.state != ArticleState.PUBLISHED or slug.isdigit():
        raise HTTPException(404, f"no article {slug!r}")
    public = _public(await guide.view_article(session, article=found))
    return public.model_copy(update={"created_by": "", "from_request_id": None})


@router.get("/portal/guide/search", tags=["portal"], responses=documented(429))
async def portal_search(
    q: QueryText, request: Request, session: SessionDep, now: NowDep, language: LanguageQuery = None
) -> SearchResult:
    """Search the published guide: no token, a few searches per address and minute."""
    address = limit_key(request.client.host if request.client else "unknown")
    wait_s = await rate_limits.hit(
        session, key=f"guide:{address}", limit=PORTAL_SEARCHES, window=PORTAL_SEARCH_WINDOW, now=now
    )
    if wait_s is not None:
        raise HTTPException(429, "too many searches from this address; try again later", headers=retry_after(wait_s))
    return await _search(
        session, q=q, language=language, published_only=True, channel="portal", actor="portal", now=now
    )


@router.post("/portal/guide/searches/{search_id}/click", tags=["portal"], status_code=status.HTTP_204_NO_CONTENT)
async def portal_click(search_id: IdPath, body: ClickCreate, session: SessionDep, now: NowDep) -> None:
    """Record the result a public search led to."""
    if not await guide_search.record_click(session, search_id=search_id, article_id=body.article_id, now=now):
        raise HTTPException(404, f"no search {search_id}")

"""The guide's upkeep, for staff: the synonym groups (supervisors and admins change them), the articles used to
answer a call or a request (linked by the seat that filed the disposition: an agent, their own seat only), and
the report of what was searched and not found and what is asked most, for the consuls to act on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.crud import guide, guide_search, guide_upkeep
from api.deps import NowDep, SessionDep, StaffDep, SupervisorDep
from api.problems import documented
from api.routes.agents import check_seat
from api.routes.guide import (
    IdPath,
    _refuse,
    _synonym,
)
from api.schemas.audit import AuditAction
from api.schemas.guide import (
    GuideReport,
    MostAskedRow,
    NotFoundRow,
    SynonymCreate,
    SynonymPublic,
    UsePublic,
    UsesCreate,
)
from api.security.audit import AuditDep
from api.security.tokens import Principal

router = APIRouter(tags=["guide"])


@router.get("/guide/synonyms")
async def list_synonyms(session: SessionDep, principal: StaffDep) -> list[SynonymPublic]:
    """The synonym groups (Darija / Arabic / French terms searched as one)."""
    return [_synonym(row) for row in await guide_upkeep.list_synonyms(session)]


@router.post("/guide/synonyms", status_code=status.HTTP_201_CREATED)
async def add_synonyms(
    body: SynonymCreate, session: SessionDep, principal: SupervisorDep, now: NowDep, audit: AuditDep
) -> SynonymPublic:
    """Add a group of equivalent terms."""
    try:
        row = await guide_upkeep.save_synonyms(session, terms=body.terms, actor=principal.name, now=now)
    except guide.GuideError as error:
        raise _refuse(error) from error
    await audit(AuditAction.GUIDE_CHANGE, f"guide-synonyms:{row.id}", " | ".join(row.terms))
    return _synonym(row)


@router.put("/guide/synonyms/{synonym_id}")
async def change_synonyms(
    synonym_id: IdPath, body: SynonymCreate, session: SessionDep, principal: SupervisorDep, now: NowDep, audit: AuditDep
) -> SynonymPublic:
    """Replace the terms of a group."""
    try:
        row = await guide_upkeep.save_synonyms(
            session, terms=body.terms, synonym_id=synonym_id, actor=principal.name, now=now
        )
    except guide.GuideError as error:
        raise _refuse(error) from error
    await audit(AuditAction.GUIDE_CHANGE, f"guide-synonyms:{row.id}", " | ".join(row.terms))
    return _synonym(row)


@router.delete("/guide/synonyms/{synonym_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_synonyms(synonym_id: IdPath, session: SessionDep, principal: SupervisorDep, audit: AuditDep) -> None:
    """Delete a group."""
    if not await guide_upkeep.delete_synonyms(session, synonym_id=synonym_id):
        raise HTTPException(404, f"no synonym group {synonym_id}")
    await audit(AuditAction.GUIDE_CHANGE, f"guide-synonyms:{synonym_id}", "deleted")


def _check_uses(
    principal: Principal, *, linkedid: str | None, seat: str | None, request: str | None
) -> tuple[str, str] | None:
    """The disposition named (an agent: their own seat only), or None when a request is named; 422 for neither."""
    if linkedid is not None:
        if seat is None:
            raise HTTPException(422, "a disposition is named by linkedid and seat")
        check_seat(principal, seat)
        return (linkedid, seat)
    if request is None:
        raise HTTPException(422, "name a disposition (linkedid and seat) or a request")
    return None


@router.post("/guide/uses", responses=documented(404))
async def record_uses(body: UsesCreate, session: SessionDep, principal: StaffDep, now: NowDep) -> list[UsePublic]:
    """Record the article(s) an answer was given from: a call's disposition, or a request's answer."""
    disposition = _check_uses(principal, linkedid=body.linkedid, seat=body.seat, request=body.request)
    try:
        await guide_upkeep.record_uses(
            session,
            article_ids=body.article_ids,
            disposition=disposition,
            request_reference=body.request,
            actor=principal.name,
            now=now,
        )
    except guide.GuideError as error:
        raise _refuse(error) from error
    return await _uses(session, disposition=disposition, request_reference=body.request)


async def _uses(
    session: SessionDep, *, disposition: tuple[str, str] | None, request_reference: str | None
) -> list[UsePublic]:
    found = await guide_upkeep.uses_of(session, disposition=disposition, request_reference=request_reference)
    return [
        UsePublic(article_id=use.article_id, slug=slug, title=title, used_by=use.used_by, used_at=use.used_at)
        for use, slug, title in found
    ]


@router.get("/guide/uses")
async def list_uses(
    session: SessionDep,
    principal: StaffDep,
    linkedid: Annotated[str | None, Query(max_length=64)] = None,
    seat: Annotated[str | None, Query(max_length=64)] = None,
    request: Annotated[str | None, Query(max_length=12)] = None,
) -> list[UsePublic]:
    """The articles used for a disposition (linkedid and seat) or a request."""
    disposition = _check_uses(principal, linkedid=linkedid, seat=seat, request=request)
    return await _uses(session, disposition=disposition, request_reference=request)


@router.get("/guide/report")
async def report(
    session: SessionDep, principal: SupervisorDep, now: NowDep, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> GuideReport:
    """What callers and agents searched for and did not find, and the most asked questions per language."""
    since = now - timedelta(days=days)
    return GuideReport(
        not_found=[NotFoundRow(**row) for row in await guide_search.not_found(session, since=since)],
        most_asked=[MostAskedRow(**row) for row in await guide_search.most_asked(session, since=since)],
    )


# -- the public guide (the citizen portal, the consular posts) -------------------------------------------------

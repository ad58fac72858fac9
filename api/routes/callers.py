"""What we remember about a caller number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from api.crud import calls
from api.deps import AnyRoleDep, SessionDep
from api.schemas.audit import AuditAction
from api.schemas.calls import CallerLanguagePublic
from api.security.audit import AuditDep

router = APIRouter(prefix="/callers", tags=["callers"])


@router.get("/{number}/language")
async def get_caller_language(
    number: Annotated[str, Path(max_length=64)], principal: AnyRoleDep, session: SessionDep, audit: AuditDep
) -> CallerLanguagePublic:
    """The language this number chose on its latest call that had one; 404 if none."""
    remembered = await calls.caller_language(session, number=number)
    if remembered is None:
        raise HTTPException(404, "no language remembered for this number")
    await audit(AuditAction.READ_CALLER_LANGUAGE, f"caller:{number}")
    return CallerLanguagePublic.model_validate(remembered)

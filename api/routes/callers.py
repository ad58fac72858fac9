"""What we remember about a caller number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from api import crud
from api.db import SessionDep
from api.schemas import CallerLanguagePublic
from api.security.tokens import Role, require

router = APIRouter(prefix="/callers", tags=["callers"])


@router.get("/{number}/language", dependencies=[Depends(require(*Role))])
async def get_caller_language(number: Annotated[str, Path(max_length=64)], session: SessionDep) -> CallerLanguagePublic:
    """The language this number chose on its latest call that had one; 404 if none."""
    remembered = await crud.caller_language(session, number=number)
    if remembered is None:
        raise HTTPException(404, "no language remembered for this number")
    return CallerLanguagePublic(
        caller_number=remembered.caller_number,
        language=remembered.language,
        call_started_at=remembered.call_started_at,
    )

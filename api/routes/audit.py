"""The audit log: who read which personal data, for supervisors and admins (agents: 403). Read-only: the log
has no route that changes it, and PostgreSQL refuses any change (migration 0009)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.crud import audit as audit_log
from api.deps import SessionDep, SettingsDep, SupervisorDep, require_offsets
from api.schemas.audit import AuditAction, AuditPage, AuditPublic
from api.security.audit import AuditDep
from callcenter.records import Instant

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
async def list_audit(
    principal: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditDep,
    actor: Annotated[str | None, Query(max_length=128, description="token name")] = None,
    object_id: Annotated[str | None, Query(alias="object", max_length=160, description="e.g. call:42")] = None,
    action: AuditAction | None = None,
    period_from: Annotated[Instant | None, Query(alias="from", description="at or after")] = None,
    period_to: Annotated[Instant | None, Query(alias="to", description="before")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
) -> AuditPage:
    """Audit entries, newest first, filtered by actor, object, action and period; follow next_cursor."""
    require_offsets(**{"from": period_from, "to": period_to})
    filters = audit_log.AuditFilters(
        actor=actor, object_id=object_id, action=action, period_from=period_from, period_to=period_to
    )
    try:
        found, next_cursor = await audit_log.list_entries(
            session, filters=filters, cursor=cursor, limit=min(limit, settings.max_page_size)
        )
    except ValueError as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error), "input": cursor}]
        ) from error
    await audit(AuditAction.READ_AUDIT, object_id, f"actor={actor or ''} rows={len(found)}")
    return AuditPage(items=[AuditPublic.model_validate(entry) for entry in found], next_cursor=next_cursor)

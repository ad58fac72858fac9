"""Figures for supervisors and the ministry's reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.crud import summary
from api.crud.calls import CallFilters
from api.deps import SessionDep, SettingsDep, SupervisorDep, require_offsets
from api.schemas.reports import GroupBy, Summary
from callcenter.records import Instant

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/summary")
async def get_summary(
    principal: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    period_from: Annotated[Instant | None, Query(alias="from")] = None,
    period_to: Annotated[Instant | None, Query(alias="to")] = None,
    group_by: GroupBy = GroupBy.NONE,
    threshold: Annotated[float | None, Query(gt=0, le=3600, description="service-level seconds")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
) -> Summary:
    """Offered, answered, abandoned, ASA, AHT and service level, grouped in the call center's timezone."""
    require_offsets(**{"from": period_from, "to": period_to})
    threshold_seconds = threshold if threshold is not None else settings.service_level_seconds
    filters = CallFilters(period_from=period_from, period_to=period_to, language=language, queue=queue)
    rows = await summary.summary(
        session,
        filters=filters,
        group_by=group_by,
        timezone=settings.timezone,
        threshold_seconds=threshold_seconds,
    )
    return Summary(
        group_by=group_by,
        timezone=settings.timezone,
        threshold_seconds=threshold_seconds,
        period_from=period_from,
        period_to=period_to,
        rows=rows,
    )

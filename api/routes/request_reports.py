"""The ministry's report (calls, requests, satisfaction) as JSON for the reports page, and as CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.crud.ministry_report import ReportFilters, build_report, report_csv
from api.deps import NowDep, RequestConfigDep, SessionDep, SettingsDep, require, require_offsets
from api.schemas.audit import AuditAction
from api.schemas.reports import Report, ReportGroup
from api.security.audit import AuditDep
from api.security.tokens import Role
from callcenter.records import Instant

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[Depends(require(Role.SUPERVISOR, Role.ADMIN))])


async def _report(
    session: SessionDep,
    settings: SettingsDep,
    config: RequestConfigDep,
    now: NowDep,
    period_from: Annotated[Instant | None, Query(alias="from")] = None,
    period_to: Annotated[Instant | None, Query(alias="to")] = None,
    group_by: ReportGroup = ReportGroup.DAY,
    threshold: Annotated[float | None, Query(gt=0, le=3600, description="service-level seconds")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    request_type: Annotated[int | None, Query(ge=1, le=99)] = None,
    service: Annotated[str | None, Query(max_length=64)] = None,
) -> Report:
    require_offsets(**{"from": period_from, "to": period_to})
    filters = ReportFilters(
        period_from=period_from, period_to=period_to, language=language, request_type=request_type, service=service
    )
    return await build_report(
        session,
        filters=filters,
        group_by=group_by,
        timezone=settings.timezone,
        threshold_seconds=threshold if threshold is not None else settings.service_level_seconds,
        service_lines=config.service_lines,
        now=now,
    )


ReportDep = Annotated[Report, Depends(_report)]


@router.get("/ministry")
async def ministry_report(report: ReportDep) -> Report:
    """Calls offered/answered/abandoned, service level, callbacks, voicemails, requests and satisfaction."""
    return report


@router.get("/ministry.csv", response_class=Response)
async def ministry_report_csv(report: ReportDep, audit: AuditDep) -> Response:
    """The same report as CSV (one line per group), for spreadsheets."""
    await audit(AuditAction.EXPORT_REPORT, "report:ministry", f"rows={len(report.rows)}")
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{report.group_by.value}.csv"'},
    )

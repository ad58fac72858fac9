"""The ministry's report (calls, requests, satisfaction) as JSON for the reports page, and as CSV."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.crud.ministry_report import ReportFilters, build_report, report_csv
from api.deps import NowDep, RequestConfigDep, SessionDep, SettingsDep, require, require_offsets
from api.report_pdf import PDF_LANGUAGES, report_pdf
from api.schemas.audit import AuditAction
from api.schemas.reports import Report, ReportGroup, ReportRow
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
    threshold_seconds = threshold if threshold is not None else settings.service_level_seconds

    async def grouped(group: ReportGroup) -> Report:
        return await build_report(
            session,
            filters=filters,
            group_by=group,
            timezone=settings.timezone,
            threshold_seconds=threshold_seconds,
            service_lines=config.service_lines,
            now=now,
        )

    report = await grouped(group_by)
    whole = report if group_by is ReportGroup.NONE else await grouped(ReportGroup.NONE)  # exact service level
    total = whole.rows[0] if whole.rows else ReportRow(key="total")
    report.totals = total.model_copy(update={"key": "total"})
    return report


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


@router.get("/ministry.pdf", response_class=Response)
async def ministry_report_pdf(
    report: ReportDep,
    audit: AuditDep,
    lang: Annotated[str, Query(pattern=r"^[a-z]{2}$", description="fr, ar or en")] = "fr",
) -> Response:
    """The same report as a printable PDF: its period, a daily trend chart, the table and its totals."""
    await audit(AuditAction.EXPORT_REPORT, "report:ministry", f"rows={len(report.rows)} pdf")
    language = lang if lang in PDF_LANGUAGES else "fr"
    return Response(
        await asyncio.to_thread(report_pdf, report, language),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="report-{report.group_by.value}.pdf"'},
    )

"""The ministry's report as a PDF (fpdf2: pure Python, no system library), built from the same `Report` as the JSON.

Rules:
- Every page states the period (or "all records"), the timezone and when the report was made; the table ends
  with the totals row; a bar chart of calls offered/answered per row (the daily trend when grouped by day) has
  its axis and values, and says "no data" when the period is empty.
- Text is DejaVu Sans (Debian's fonts-dejavu-core, scripts/system-deps.sh), which has accents and the Arabic
  letters; without it the PDF falls back to a core font and latin-1, and an Arabic PDF falls back to French.
- Arabic (lang=ar) is shaped by HarfBuzz (fpdf2's text shaping, the uharfbuzz package: joined letter forms) and
  laid out right to left: titles and labels aligned right, the table's columns mirrored (the group first on the
  right), numbers and dates kept in their own left-to-right order by fpdf2's bidi algorithm. The chart keeps
  time running left to right, as Arabic newspapers print it. French and English are not shaped (unchanged).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from fpdf import FPDF

from api.schemas.reports import Report, ReportRow

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
PDF_LANGUAGES = ("fr", "en", "ar")
RTL_LANGUAGES = frozenset({"ar"})

TEXT = {
    "fr": {
        "title": "Rapport du centre d'appels", "period": "Période", "from": "du", "to": "au",
        "all": "toutes les données",
        "generated": "Établi le", "timezone": "fuseau", "chart": "Appels reçus et répondus", "no_data": "Aucune donnée",
        "offered": "Reçus", "answered": "Répondus", "total": "Total", "group": "Groupe",
        "columns": {
            "calls_offered": "Reçus", "calls_answered": "Répondus", "calls_abandoned": "Abandons",
            "service_level_percent": "NS %", "callbacks": "Rappels", "voicemails": "Messages",
            "requests_opened": "Demandes", "requests_answered_on_time": "À temps", "requests_answered_late": "Tard",
            "requests_overdue": "En retard", "surveys": "Enquêtes", "satisfaction_average": "Satisf.",
        },
    },
    "en": {
        "title": "Call center report", "period": "Period", "from": "from", "to": "to", "all": "all records",
        "generated": "Made on", "timezone": "timezone", "chart": "Calls offered and answered", "no_data": "No data",
        "offered": "Offered", "answered": "Answered", "total": "Total", "group": "Group",
        "columns": {
            "calls_offered": "Offered", "calls_answered": "Answered", "calls_abandoned": "Abandoned",
            "service_level_percent": "SL %", "callbacks": "Callbacks", "voicemails": "Messages",
            "requests_opened": "Requests", "requests_answered_on_time": "On time", "requests_answered_late": "Late",
            "requests_overdue": "Overdue", "surveys": "Surveys", "satisfaction_average": "Satisf.",
        },
    },
    "ar": {
        "title": "تقرير مركز الاتصال", "period": "الفترة", "from": "من", "to": "إلى", "all": "كل البيانات",
        "generated": "أُعدّ في", "timezone": "المنطقة الزمنية", "chart": "المكالمات الواردة والمُجاب عنها",
        "no_data": "لا توجد بيانات",
        "offered": "الواردة", "answered": "المُجاب عنها", "total": "المجموع", "group": "المجموعة",
        "columns": {
            "calls_offered": "الواردة", "calls_answered": "المُجاب عنها", "calls_abandoned": "المتروكة",
            "service_level_percent": "الخدمة %", "callbacks": "معاودات", "voicemails": "الرسائل",
            "requests_opened": "الطلبات", "requests_answered_on_time": "في الأجل", "requests_answered_late": "متأخرة",
            "requests_overdue": "فات الأجل", "surveys": "استطلاعات", "satisfaction_average": "الرضا",
        },
    },
}  # fmt: skip


def _day_format(language: str) -> str:
    """2026-11-20, or 2026/11/20 in Arabic: fpdf2's bidi reverses hyphenated numbers inside right-to-left text."""
    return "%Y/%m/%d" if language in RTL_LANGUAGES else "%Y-%m-%d"


def period_text(report: Report, language: str) -> str:
    """ "Période : du 2026-11-01 au 2026-11-30 (Africa/Casablanca)": the end is shown inclusive (the day of the
    last second before the exclusive `to`), as the reports page does."""
    words = TEXT[language]
    zone = ZoneInfo(report.timezone)
    day = _day_format(language)
    start = report.period_from.astimezone(zone).strftime(day) if report.period_from else "…"
    end = "…"
    if report.period_to is not None:
        end = (report.period_to - timedelta(seconds=1)).astimezone(zone).strftime(day)
    if report.period_from is None and report.period_to is None:
        return f"{words['period']} : {words['all']} ({report.timezone})"
    return f"{words['period']} : {words['from']} {start} {words['to']} {end} ({report.timezone})"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


class _Pdf(FPDF):
    def __init__(self, report: Report, language: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report, self.language = report, language
        self.unicode = FONT.exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(FONT))
            self.add_font("DejaVu", "B", str(FONT_BOLD if FONT_BOLD.exists() else FONT))
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.rtl = language in RTL_LANGUAGES
        self.align: Literal["L", "R"] = "R" if self.rtl else "L"
        if self.rtl:  # joined Arabic letter forms and right-to-left runs (uharfbuzz)
            self.set_text_shaping(use_shaping_engine=True, script="arab", language="ara")

    def text_of(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:  # every page states what and when
        words = TEXT[self.language]
        self.set_font(self.family, "B", 15)
        self.cell(0, 8, self.text_of(str(words["title"])), align=self.align, new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)
        made = self.report.generated_at.astimezone(ZoneInfo(self.report.timezone))
        made_text = made.strftime(f"{_day_format(self.language)} %H:%M")
        line = f"{period_text(self.report, self.language)}  ·  {words['generated']} {made_text}"
        self.cell(0, 6, self.text_of(line), align=self.align, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="C")


def _chart(pdf: _Pdf, rows: list[ReportRow], words: dict[str, object]) -> None:
    left, top, width, height = pdf.l_margin + 12, pdf.get_y() + 6, 250.0, 55.0
    pdf.set_font(pdf.family, "B", 11)
    pdf.cell(0, 6, pdf.text_of(str(words["chart"])), align=pdf.align, new_x="LMARGIN", new_y="NEXT")
    bottom = top + height
    pdf.set_draw_color(90, 90, 90)
    pdf.line(left, top, left, bottom)  # y axis
    pdf.line(left, bottom, left + width, bottom)  # x axis
    if not rows or all(row.calls_offered == 0 and row.calls_answered == 0 for row in rows):
        pdf.set_font(pdf.family, "", 12)
        pdf.set_xy(left, top + height / 2 - 3)
        pdf.cell(width, 6, pdf.text_of(str(words["no_data"])), align="C")
        pdf.set_y(bottom + 8)
        return
    peak = max(1, *(max(row.calls_offered, row.calls_answered) for row in rows))
    pdf.set_font(pdf.family, "", 8)
    for tick in range(5):  # y axis graduations
        value = peak * tick / 4
        y = bottom - height * tick / 4
        pdf.line(left - 1.5, y, left, y)
        pdf.set_xy(left - 12, y - 2)
        pdf.cell(10, 4, f"{value:.0f}", align="R")
    slot = width / len(rows)
    bar = max(0.8, min(8.0, slot * 0.35))
    label_every = max(1, int(len(rows) / 16) + (1 if len(rows) > 16 else 0))
    for index, row in enumerate(rows):
        x = left + index * slot + slot / 2 - bar
        for offset, (value, colour) in enumerate(
            ((row.calls_offered, (26, 115, 232)), (row.calls_answered, (27, 127, 59)))
        ):
            bar_height = height * value / peak
            pdf.set_fill_color(*colour)
            pdf.rect(x + offset * bar, bottom - bar_height, bar, bar_height, style="F")
        if index % label_every == 0:
            pdf.set_xy(left + index * slot, bottom + 1)
            pdf.cell(slot * label_every, 4, pdf.text_of(row.key[-10:]), align="L")
    pdf.set_xy(left, bottom + 6)
    for label, colour in ((words["offered"], (26, 115, 232)), (words["answered"], (27, 127, 59))):
        pdf.set_fill_color(*colour)
        pdf.rect(pdf.get_x(), pdf.get_y() + 1, 3, 3, style="F")
        pdf.set_x(pdf.get_x() + 4)
        pdf.cell(30, 5, pdf.text_of(str(label)))
    pdf.set_y(bottom + 14)


_Cell = tuple[float, str, Literal["L", "C", "R"]]  # width, text, alignment


def _table(pdf: _Pdf, report: Report, words: dict[str, object]) -> None:
    columns = words["columns"]
    assert isinstance(columns, dict)
    width = (pdf.epw - 40.0) / len(columns)
    pdf.set_font(pdf.family, "B", 8)
    pdf.set_fill_color(232, 234, 237)
    _line(pdf, [(40.0, str(words["group"]), "C"), *((width, str(label), "C") for label in columns.values())], 6, True)
    pdf.set_font(pdf.family, "", 8)
    rows = report.rows
    if not rows:
        pdf.cell(pdf.epw, 6, pdf.text_of(str(words["no_data"])), border=1, align="C")
        pdf.ln()
    for row in rows:
        values = row.model_dump()
        cells: list[_Cell] = [(width, _cell(values[column]), "R") for column in columns]
        _line(pdf, [(40.0, row.key or "–", pdf.align), *cells], 5, False)
    if report.totals is not None:
        pdf.set_font(pdf.family, "B", 8)
        totals = report.totals.model_dump()
        totals_cells: list[_Cell] = [(width, _cell(totals[column]), "R") for column in columns]
        _line(pdf, [(40.0, str(words["total"]), pdf.align), *totals_cells], 6, True)


def _line(pdf: _Pdf, cells: list[_Cell], height: float, fill: bool) -> None:
    """One table line, its first cell (the group) on the reading side: left, or right in Arabic."""
    for width, text, align in reversed(cells) if pdf.rtl else cells:
        pdf.cell(width, height, pdf.text_of(text), border=1, align=align, fill=fill)
    pdf.ln()


def report_pdf(report: Report, language: str = "fr") -> bytes:
    """The report as PDF bytes, in French, English or Arabic (PDF_LANGUAGES)."""
    if language not in TEXT or (language in RTL_LANGUAGES and not FONT.exists()):
        language = "fr"  # no Arabic letters in the core fonts
    words: dict[str, object] = dict(TEXT[language])
    pdf = _Pdf(report, language)
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(f"{words['title']} – {period_text(report, pdf.language)}")
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()
    _chart(pdf, report.rows, words)
    _table(pdf, report, words)
    return bytes(pdf.output())

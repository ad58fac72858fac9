"""`ivr config [PATH]`: validate a call-center file and print what it says (and, with --year, its holidays)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter
from callcenter.loading import CALLCENTER_ENV, ConfigError, load_callcenter


def summary(callcenter: CallCenter) -> str:
    lines = [
        f"{callcenter.name} ({callcenter.timezone})",
        f"hours: {callcenter.hours.describe()}",
        "public holidays: "
        + ("open" if callcenter.public_holidays_open else "closed")
        + (f" ({callcenter.holiday_country})" if callcenter.holiday_country else " (no holiday calendar)"),
        f"closures: {len(callcenter.closures)}, special-hours periods: {len(callcenter.special_hours)}",
        "languages:",
    ]
    for language in callcenter.languages:
        default = " (default)" if language.code == callcenter.default_language else ""
        described = f"{language.code:<4} {language.english_name} -> {language.queue}{default}"
        lines.append(f"  {language.digit} {described}")
    prefixes = ", ".join(f"+{prefix} {code}" for prefix, code in sorted(callcenter.country_prefixes.items()))
    lines.append(f"prefixes: {prefixes or 'none'}")
    lines.append("request types:")
    for request_type in callcenter.request_types:
        extras = [f"{request_type.deadline_hours:g} h"]
        if request_type.asks_reference:
            extras.append("asks reference")
        if request_type.archived:
            extras.append("archived")
        lines.append(f"  {request_type.digit} {request_type.key} ({', '.join(extras)})")
    lines.append(f"portal: {callcenter.portal_url}")
    lines += complaints_summary(callcenter)
    return "\n".join(lines)


def complaints_summary(callcenter: CallCenter) -> list[str]:
    """Who owns which category ([complaints]): the departments as a tree, each with its people and categories."""
    complaints = callcenter.complaints
    if complaints is None:
        return []
    lines = [f"complaints ({', '.join(complaints.request_types)}):"]

    def department_lines(parent: str | None, depth: int) -> None:
        for department in (d for d in complaints.departments if d.parent == parent):
            people = ", ".join(department.members()) or "nobody"
            lines.append(f"{'  ' * depth}  {department.key} [approval: {department.approval.value}] {people}")
            for category in (c for c in complaints.categories if c.department == department.key):
                lines.append(f"{'  ' * depth}    - {category.key} ({category.deadline_days} working days)")
            department_lines(department.key, depth + 1)

    department_lines(None, 0)
    lines.append(f"  routing rules: {len(complaints.routes)}, officials: {len(complaints.officials)}")
    return lines


def main(argv: list[str]) -> int:
    """`ivr config [PATH]`: validate a call-center file and print what it says."""
    parser = argparse.ArgumentParser(prog="ivr config", description=main.__doc__)
    parser.add_argument("path", nargs="?", type=Path, help=f"default: ${CALLCENTER_ENV} or the packaged file")
    parser.add_argument("--year", type=int, help="list the public holidays of this year (overrides applied)")
    args = parser.parse_args(argv)
    try:
        callcenter = load_callcenter(args.path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(summary(callcenter))
    if args.year is not None:
        print(f"public holidays {args.year}:")
        for day, names in BusinessCalendar(callcenter).holidays_in(args.year).items():
            print(f"  {day} {', '.join(names)}")
    return 0

"""Staff accounts: what a username, a seat and a page language may be.

Rules:
- A username is lowercase (sign-in lowercases what is typed): letters, digits, '.', '_' and '-', 2 to 64.
- An agent has a seat: a PJSIP endpoint of the configured seats (`IVR_API_SEATS`, default agent1001-agent1040,
  the endpoints of asterisk_conf/pjsip.conf; a unit test keeps the two equal). At most one enabled user per seat.
  Supervisors and admins may have a seat (their own phone) or none.
- The pages speak French, Arabic and English; each user has one of them as preferred language.
"""

from __future__ import annotations

import re

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
UI_LANGUAGES = ("fr", "ar", "en")
DEFAULT_SEATS = "agent1001-agent1040"
_RANGE = re.compile(r"^(?P<prefix>[A-Za-z_.-]*?)(?P<first>\d+)-(?P=prefix)(?P<last>\d+)$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_SEATS = 10_000


def parse_seats(spec: str) -> frozenset[str]:
    """'agent1001-agent1040,reception' -> the seat names; ValueError saying what is wrong."""
    seats: set[str] = set()
    for part in (item.strip() for item in spec.split(",")):
        if not part:
            continue
        matched = _RANGE.match(part)
        if matched:
            first, last = matched["first"], matched["last"]
            if len(first) != len(last) or int(last) < int(first) or int(last) - int(first) >= MAX_SEATS:
                raise ValueError(f"bad seat range {part!r} (e.g. agent1001-agent1040)")
            seats.update(f"{matched['prefix']}{n:0{len(first)}d}" for n in range(int(first), int(last) + 1))
        elif _NAME.match(part):
            seats.add(part)
        else:
            raise ValueError(f"bad seat name {part!r}")
    return frozenset(seats)


def normalise_username(typed: str) -> str:
    return typed.strip().lower()


def seat_problem(*, role: str, seat: str | None, seats: frozenset[str]) -> str | None:
    """Why this role cannot have this seat, or None."""
    if role == "agent" and seat is None:
        return "an agent needs a seat (a PJSIP endpoint, e.g. agent1001)"
    if seat is not None and seat not in seats:
        return f"seat {seat!r} is not one of the configured seats (IVR_API_SEATS)"
    return None

"""The pure rules of staff accounts: seats, passwords, session lifetime, CSRF, the sign-in limit's arithmetic."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.cli import parse_duration
from api.config import ApiSettings
from api.security.passwords import DUMMY_HASH, hash_password, needs_rehash, password_problem, verify_password
from api.security.sessions import SessionPolicy, csrf_ok, needs_touch, retry_after_s, session_alive
from api.security.users import DEFAULT_SEATS, parse_seats, seat_problem

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_the_default_seats_are_the_agent_endpoints_of_pjsip_conf() -> None:
    conf = (REPO / "asterisk_conf" / "pjsip.conf").read_text()
    endpoints = set(re.findall(r"^\[(agent\d+)\]\([^)]*endpoint[^)]*\)", conf, flags=re.MULTILINE))
    assert len(endpoints) == 40
    assert parse_seats(DEFAULT_SEATS) == endpoints


def test_seat_lists_take_ranges_and_names_and_refuse_nonsense() -> None:
    assert parse_seats("agent1001-agent1003, reception") == {"agent1001", "agent1002", "agent1003", "reception"}
    assert parse_seats("s08-s10") == {"s08", "s09", "s10"}
    assert parse_seats("") == frozenset()
    for bad in ("agent1003-agent1001", "agent1-agent100000", "a b", "agent1001-agent99999"):
        with pytest.raises(ValueError, match="bad seat"):
            parse_seats(bad)
    with pytest.raises(ValueError, match="bad seat"):
        ApiSettings(seats="agent1-agent0")


def test_agents_need_a_configured_seat_others_may_have_one() -> None:
    seats = parse_seats(DEFAULT_SEATS)
    assert seat_problem(role="agent", seat=None, seats=seats) is not None
    assert seat_problem(role="agent", seat="demo-agent", seats=seats) is not None
    assert seat_problem(role="agent", seat="agent1040", seats=seats) is None
    assert seat_problem(role="supervisor", seat=None, seats=seats) is None


def test_passwords_hash_with_argon2id_and_the_dummy_hash_costs_the_same() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse batterY")
    assert not verify_password(None, "correct horse battery")  # no such user: the dummy hash is checked
    assert not verify_password("not a hash", "x")
    # same algorithm and parameters as a real hash, or the unknown-user check would be faster than a real one
    assert DUMMY_HASH.split("$")[1:4] == hashed.split("$")[1:4]
    assert not needs_rehash(DUMMY_HASH)


def test_chosen_passwords_have_12_to_256_characters() -> None:
    assert password_problem("short") is not None
    assert password_problem("x" * 257) is not None
    assert password_problem("twelve chars") is None


def test_a_session_ends_at_sign_out_when_idle_or_at_its_absolute_limit() -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    expires = T0 + policy.absolute

    def alive(*, now: datetime, last_used: datetime = T0, ended: datetime | None = None) -> bool:
        return session_alive(last_used_at=last_used, expires_at=expires, ended_at=ended, now=now, policy=policy)

    assert alive(now=T0 + timedelta(minutes=29))
    assert not alive(now=T0 + timedelta(minutes=30))
    assert alive(now=expires - timedelta(seconds=1), last_used=expires - timedelta(minutes=5))
    assert not alive(now=expires, last_used=expires - timedelta(minutes=1))
    assert not alive(now=T0 + timedelta(minutes=1), ended=T0)


def test_last_use_is_written_at_most_once_a_minute() -> None:
    assert needs_touch(None, T0)
    assert not needs_touch(T0, T0 + timedelta(seconds=59))
    assert needs_touch(T0, T0 + timedelta(seconds=60))


def test_csrf_is_needed_for_unsafe_methods_only() -> None:
    assert csrf_ok("GET", None, "token")
    assert csrf_ok("head", None, "token")
    assert not csrf_ok("POST", None, "token")
    assert not csrf_ok("DELETE", "other", "token")
    assert csrf_ok("PATCH", "token", "token")


def test_retry_after_counts_to_the_end_of_the_window_once_at_the_limit() -> None:
    window = timedelta(minutes=15)

    def wait(failures: int, now: datetime) -> int:
        return retry_after_s(failures=failures, window_started_at=T0, limit=5, window=window, now=now)

    assert wait(4, T0) == 0
    assert wait(5, T0) == 900
    assert wait(9, T0 + timedelta(minutes=14, seconds=59, milliseconds=500)) == 1
    assert wait(5, T0 + window) == 0


def test_token_lifetimes_are_a_count_and_a_unit() -> None:
    assert parse_duration("90d") == timedelta(days=90)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("30m") == timedelta(minutes=30)
    for bad in ("0d", "90", "1w", "-1d", "d"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_duration(bad)

"""The least-privilege rules (api.security.access) and the retention policy's pure parts (api.retention)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.config import ApiSettings
from api.retention import RetentionPolicy, file_remover, recording_files, run_daily, seconds_until
from api.routes.live import _EncodeOnce
from api.security.access import (
    call_agents,
    mask_number,
    masked_snapshot,
    request_scope,
    sees_call,
)
from api.security.tokens import Principal, Role

AGENT = Principal(name="agent1001", role=Role.AGENT, seat="agent1001")
SUPERVISOR = Principal(name="alice", role=Role.SUPERVISOR)
QUEUES = {"fr": "q-fr", "ar": "q-ar", "en": "q-en"}


def test_agents_see_the_calls_of_their_seat_and_supervisors_all() -> None:
    assert call_agents(SUPERVISOR) is None
    assert call_agents(AGENT) == ("PJSIP/agent1001", "agent1001")
    assert call_agents(Principal(name="x", role=Role.AGENT)) == ()  # no seat: nothing
    assert sees_call(AGENT, "PJSIP/agent1001") and not sees_call(AGENT, "PJSIP/agent1002")
    assert not sees_call(AGENT, None) and sees_call(SUPERVISOR, None)
    assert call_agents(Principal(name="admin", role=Role.ADMIN)) is None


def test_the_request_scope_follows_queue_membership_and_fails_closed() -> None:
    assert request_scope(SUPERVISOR, member_queues=None, queues_by_language=QUEUES) is None
    scope = request_scope(AGENT, member_queues={"q-fr", "q-ar", "q-gone"}, queues_by_language=QUEUES)
    assert scope is not None and scope.languages == {"fr", "ar"}
    assert scope.admits(language="fr", created_by="portal")
    assert not scope.admits(language="en", created_by="portal")
    assert not scope.admits(language=None, created_by="portal")
    assert scope.admits(language="en", created_by="agent1001")  # their own
    unknown = request_scope(AGENT, member_queues=None, queues_by_language=QUEUES)
    assert unknown is not None and unknown.languages == frozenset()
    by_skills = request_scope(AGENT, member_queues=None, queues_by_language=QUEUES, skill_languages=["en"])
    assert by_skills is not None and by_skills.languages == {"en"}
    membership_wins = request_scope(AGENT, member_queues=set(), queues_by_language=QUEUES, skill_languages=["en"])
    assert membership_wins is not None and membership_wins.languages == frozenset()  # logged out in Asterisk


@pytest.mark.parametrize(
    ("number", "masked"),
    [("+33612345678", "•••678"), ("0612", "•••"), ("", ""), ("anonymous", "•••ous"), ("12345", "•••")],
)
def test_numbers_keep_their_last_three_digits(number: str, masked: str) -> None:
    assert mask_number(number) == masked


def test_a_masked_snapshot_keeps_everything_but_the_numbers() -> None:
    snapshot: dict[str, object] = {
        "at": "now",
        "queues": [
            {
                "name": "q-fr",
                "waiting": [{"number": "+33612345678", "position": 1, "wait_s": 12}],
                "members": [{"interface": "PJSIP/agent1001", "caller": "+212600000042", "state": "on_call"}],
                "offered_today": 3,
            }
        ],
    }
    masked = masked_snapshot(snapshot)
    assert masked == {
        "at": "now",
        "queues": [
            {
                "name": "q-fr",
                "waiting": [{"number": "•••678", "position": 1, "wait_s": 12}],
                "members": [{"interface": "PJSIP/agent1001", "caller": "•••042", "state": "on_call"}],
                "offered_today": 3,
            }
        ],
    }
    assert snapshot["queues"][0]["waiting"][0]["number"] == "+33612345678"  # type: ignore[index]  # unchanged
    encode = _EncodeOnce(masked_snapshot)
    assert "+336" not in encode(snapshot) and encode(snapshot) is encode(snapshot)


def test_pseudonyms_are_keyed_and_stable_or_a_fixed_marker_without_a_key() -> None:
    keyed = RetentionPolicy(recordings_days=90, numbers_days=365, audit_days=730, key=b"k1")
    other = RetentionPolicy(recordings_days=90, numbers_days=365, audit_days=730, key=b"k2")
    assert keyed.pseudonym("+33612345678") == keyed.pseudonym("+33612345678")
    assert keyed.pseudonym("+33612345678") != keyed.pseudonym("+33612345679")
    assert keyed.pseudonym("+33612345678") != other.pseudonym("+33612345678")
    assert keyed.pseudonym("+33612345678").startswith("anon:") and len(keyed.pseudonym("x")) == 29
    assert RetentionPolicy(recordings_days=1, numbers_days=1, audit_days=1).pseudonym("+33612345678") == "anon"
    now = datetime(2026, 11, 30, tzinfo=UTC)
    cutoffs = keyed.cutoffs(now)
    assert (now - cutoffs.recordings_before, now - cutoffs.numbers_before) == (timedelta(90), timedelta(365))


def test_the_channel_cutoffs_come_from_the_settings() -> None:
    settings = ApiSettings(retention_quarantine_days=12, login_window_minutes=20, retention_audit_days=800)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    cutoffs = RetentionPolicy.from_settings(settings).cutoffs(now)
    assert (cutoffs.now, now - cutoffs.quarantine_before, now - cutoffs.audit_before) == (
        now, timedelta(days=12), timedelta(days=800)
    )  # fmt: skip
    assert now - cutoffs.login_failures_before == timedelta(minutes=40)  # twice the window, as api.crud.login_limits
    assert RetentionPolicy(recordings_days=1, numbers_days=1, audit_days=1).quarantine_days == 30


def test_the_next_run_is_at_the_hour_in_the_call_centers_time_zone() -> None:
    # Casablanca is UTC+1 in November: 03:00 local is 02:00 UTC
    assert seconds_until(datetime(2026, 11, 30, 1, 0, tzinfo=UTC), hour=3, timezone="Africa/Casablanca") == 3600
    assert seconds_until(datetime(2026, 11, 30, 2, 0, tzinfo=UTC), hour=3, timezone="Africa/Casablanca") == 86400
    # Paris leaves summer time on 2026-10-25: from 03:00 local on the 24th to 03:00 on the 25th is 25 hours
    assert seconds_until(datetime(2026, 10, 24, 1, 0, tzinfo=UTC), hour=3, timezone="Europe/Paris") == 25 * 3600


async def test_recording_files_stay_inside_the_recordings_directory(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "a.gsm").write_bytes(b"x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.wav"
    outside.write_bytes(b"x")
    assert {path.name for path in recording_files(tmp_path, str(tmp_path / "a"))} == {"a.wav", "a.gsm"}
    assert recording_files(tmp_path, str(tmp_path / ".." / f"{tmp_path.name}-outside")) == []
    assert await file_remover(tmp_path)([str(tmp_path / "a"), str(tmp_path / "missing")]) == 2
    assert not (tmp_path / "a.wav").exists() and outside.exists()


async def test_the_daily_loop_runs_at_each_hour_and_survives_a_failed_run() -> None:
    now = [datetime(2026, 11, 30, 1, 0, tzinfo=UTC)]
    slept: list[float] = []
    ran: list[datetime] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)
        if len(slept) == 3:
            raise asyncio.CancelledError

    async def job(at: datetime) -> None:
        ran.append(at)
        if len(ran) == 1:
            raise RuntimeError("database away")

    with pytest.raises(asyncio.CancelledError):
        await run_daily(job, clock=lambda: now[0], hour=3, timezone="Africa/Casablanca", sleep=sleep)
    assert slept == [3600, 86400, 86400]
    assert ran == [datetime(2026, 11, 30, 2, 0, tzinfo=UTC), datetime(2026, 12, 1, 2, 0, tzinfo=UTC)]

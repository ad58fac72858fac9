"""Retention (issue 13) against the real PostgreSQL: recordings and caller numbers of old calls and requests
purged or pseudonymised, reports answering the same figures before and after, archived complaints and open
requests kept, audit entries expired, the advisory lock, and `ivr retention run`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.cli import retention_main
from api.crud import audit
from api.crud.retention import LOCK_KEY
from api.db import make_engine
from api.models import AuditEntry, Call, CallerLanguage, RequestRow
from api.request_config import RequestConfig
from api.retention import RetentionPolicy, run_once
from api.schemas.audit import AuditAction, AuditCreate
from api.security.tokens import Role
from tests.db.conftest import FixedClock, call
from tests.db.test_requests import voicemail_call
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import empty_tables

Auth = dict[Role, dict[str, str]]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OLD = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)  # past both periods (90 d recordings, 365 d numbers)
MIDDLE = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # past the recordings' period only
RECENT = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # a Monday, kept whole
POLICY = RetentionPolicy(recordings_days=90, numbers_days=365, audit_days=730, key=b"test key")
REPORTS = [
    ("/reports/ministry", {"group_by": "month"}),
    ("/reports/ministry", {"group_by": "week", "language": "fr"}),
    ("/reports/summary", {"group_by": "day"}),
    ("/reports/summary", {"group_by": "language", "threshold": "17"}),
    ("/reports/summary", {"group_by": "queue"}),
]


@pytest.fixture
async def recordings(app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[Path]:
    await empty_tables(database_url, "request_events", "requests", "callbacks", "queue_events")
    app.state.request_config = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=tmp_path)
    yield tmp_path


def sessions_of(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = app.state.sessions
    return sessions


async def post_at(client: httpx.AsyncClient, clock: FixedClock, auth: Auth, when: datetime, *records: Any) -> None:
    """Post records as the agi side would at `when` (a voicemail's request is opened at the API's time)."""
    clock.now = when + timedelta(minutes=5)
    response = await client.post("/calls", json=list(records), headers=auth[Role.AGI])
    assert response.status_code == 200, response.text


async def figures(client: httpx.AsyncClient, auth: Auth) -> list[Any]:
    answers = []
    period = {"from": "2025-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
    for path, params in REPORTS:
        response = await client.get(path, params={**period, **params}, headers=auth[Role.SUPERVISOR])
        assert response.status_code == 200, response.text
        body = response.json()
        body.pop("generated_at", None)
        answers.append(body)
    return answers


async def seed(client: httpx.AsyncClient, clock: FixedClock, auth: Auth, recordings: Path) -> None:
    for name in ("old", "middle", "recent"):
        (recordings / f"{name}.wav").write_bytes(b"RIFF....WAVE " + name.encode())
    await post_at(
        client, clock, auth, OLD,
        call("r.old.1", started_at=OLD.isoformat(), caller_number="+33600000001", agent="PJSIP/agent1001"),
        call("r.old.2", started_at=(OLD + timedelta(hours=1)).isoformat(), caller_number="+33600000001",
             language="ar", queue="q-ar", wait_seconds=40.0),
        voicemail_call("r.old.vm", OLD, caller_number="+33600000002", voicemail_path=str(recordings / "old")),
        voicemail_call("r.old.open", OLD, caller_number="+33600000003", voicemail_path=str(recordings / "nofile")),
    )  # fmt: skip
    await post_at(
        client, clock, auth, MIDDLE,
        call("r.mid.1", started_at=MIDDLE.isoformat(), caller_number="+33600000004"),
        voicemail_call("r.mid.vm", MIDDLE, caller_number="+33600000004", voicemail_path=str(recordings / "middle")),
    )  # fmt: skip
    await post_at(
        client, clock, auth, RECENT,
        call("r.new.1", started_at=RECENT.isoformat(), caller_number="+33600000001"),
        voicemail_call("r.new.vm", RECENT, caller_number="+33600000005", voicemail_path=str(recordings / "recent")),
    )  # fmt: skip
    # the old voicemail's request is closed: done with, so its number may go
    listed = (await client.get("/requests", params={"due": "all"}, headers=auth[Role.SUPERVISOR])).json()["items"]
    old_vm = next(item["reference"] for item in listed if item["linkedid"] == "r.old.vm")
    closed = await client.post(f"/requests/{old_vm}/status", json={"status": "closed"}, headers=auth[Role.SUPERVISOR])
    assert closed.status_code == 200, closed.text


async def test_a_purge_keeps_every_report_figure_and_forgets_what_identifies_callers(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, auth: Auth, recordings: Path
) -> None:
    await seed(client, clock, auth, recordings)
    clock.now = NOW
    before = await figures(client, auth)

    report = await run_once(sessions_of(app), policy=POLICY, now=NOW, recordings_dir=recordings)

    assert report is not None
    assert (report.files_removed, report.call_recordings, report.request_recordings) == (
        2,
        3,
        3,
    )  # the open request's recording too: its file was already gone
    assert await figures(client, auth) == before
    async with sessions_of(app)() as session:
        calls = {row.linkedid: row for row in (await session.scalars(select(Call))).all()}
        requests = {row.linkedid or row.source: row for row in (await session.scalars(select(RequestRow))).all()}
        languages = set((await session.scalars(select(CallerLanguage.caller_number))).all())
    # recordings: gone past 90 days (file and references), kept when recent
    assert sorted(path.name for path in recordings.iterdir()) == ["recent.wav"]
    assert [calls[key].voicemail_path for key in ("r.old.vm", "r.mid.vm")] == [None, None]
    assert calls["r.new.vm"].voicemail_path == str(recordings / "recent")
    assert requests["r.mid.vm"].voicemail_path is None
    # numbers: pseudonymised past 365 days, the same number giving the same pseudonym; recent ones kept
    old_one, old_two = calls["r.old.1"].caller_number, calls["r.old.2"].caller_number
    assert old_one == old_two == POLICY.pseudonym("+33600000001") and old_one.startswith("anon:")
    assert "+33600000001" not in old_one and calls["r.old.1"].caller_name == ""
    assert calls["r.new.1"].caller_number == "+33600000001" and calls["r.new.1"].caller_name == "Test Caller"
    assert calls["r.mid.1"].caller_number == "+33600000004"
    # everything else of an old call stays: it is what the reports count
    assert (calls["r.old.1"].agent, calls["r.old.1"].outcome, calls["r.old.1"].talk_seconds) == (
        "PJSIP/agent1001", "answered", 60.0
    )  # fmt: skip
    # requests: a closed old one pseudonymised; an open one still being worked keeps its contact
    assert requests["r.old.vm"].caller_number == POLICY.pseudonym("+33600000002")
    assert requests["r.old.open"].caller_number == "+33600000003"
    assert languages == {"+33600000001", "+33600000004", "+33600000005"}  # learnt from a call within 365 days


async def test_a_second_run_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, auth: Auth, recordings: Path
) -> None:
    await seed(client, clock, auth, recordings)
    assert await run_once(sessions_of(app), policy=POLICY, now=NOW, recordings_dir=recordings) is not None
    again = await run_once(sessions_of(app), policy=POLICY, now=NOW, recordings_dir=recordings)
    assert again is not None and set(vars(again).values()) == {0}


async def test_archived_complaints_keep_their_number_and_recording(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, auth: Auth, recordings: Path
) -> None:
    clock.now = OLD
    complaint = voicemail_call("r.arch", OLD, caller_number="+33600000007", voicemail_path=str(recordings / "arch"),
                               route="queue", request_type=3)  # fmt: skip
    (recordings / "arch.wav").write_bytes(b"RIFF....WAVE complaint")
    await post_at(client, clock, auth, OLD, complaint)
    async with sessions_of(app)() as session:
        archived = (await session.scalars(select(RequestRow).where(RequestRow.linkedid == "r.arch"))).one()
    assert archived.archived, "a type-3 voicemail makes an archived complaint"

    assert await run_once(sessions_of(app), policy=POLICY, now=NOW, recordings_dir=recordings) is not None

    async with sessions_of(app)() as session:
        request = (await session.scalars(select(RequestRow).where(RequestRow.linkedid == "r.arch"))).one()
        the_call = (await session.scalars(select(Call).where(Call.linkedid == "r.arch"))).one()
    assert (request.caller_number, request.voicemail_path) == ("+33600000007", str(recordings / "arch"))
    assert (recordings / "arch.wav").exists()
    assert the_call.caller_number.startswith("anon:") and the_call.voicemail_path is None


async def test_audit_entries_expire_after_their_own_period_and_only_through_the_job(
    app: FastAPI, recordings: Path, database_url: str
) -> None:
    old = NOW - timedelta(days=731)
    entry = AuditCreate(actor="retention-test", role="agent", action=AuditAction.READ_CALL, object_id="call:1")
    async with sessions_of(app)() as session:
        await audit.record(session, entry=entry, now=old)
        await audit.record(session, entry=entry, now=NOW - timedelta(days=700))
    report = await run_once(sessions_of(app), policy=POLICY, now=NOW, recordings_dir=recordings)
    assert report is not None and report.audit_expired >= 1
    async with sessions_of(app)() as session:
        left = (await session.scalars(select(AuditEntry.at).where(AuditEntry.actor == "retention-test"))).all()
    assert left == [NOW - timedelta(days=700)]


async def test_a_run_while_another_process_holds_the_lock_does_nothing(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, auth: Auth, recordings: Path, database_url: str
) -> None:
    await seed(client, clock, auth, recordings)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as other:  # another API process, in the middle of its run
            await other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            assert await run_once(sessions_of(app), policy=POLICY, now=NOW, recordings_dir=recordings) is None
            await other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    finally:
        await engine.dispose()
    assert (recordings / "old.wav").exists()
    assert await run_once(sessions_of(app), policy=POLICY, now=NOW, recordings_dir=recordings) is not None
    assert not (recordings / "old.wav").exists()


async def test_ivr_retention_run_applies_the_settings(
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    auth: Auth,
    recordings: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await seed(client, clock, auth, recordings)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("IVR_VOICEMAIL_DIR", str(recordings))
    monkeypatch.setenv("IVR_API_RETENTION_RECORDINGS_DAYS", "30")  # the middle one's too, then
    monkeypatch.delenv("IVR_API_PSEUDONYM_KEY", raising=False)
    # the CLI runs its own event loop: run it in a thread, as cron would run it in a process
    import asyncio

    code = await asyncio.to_thread(retention_main, ["run"], now=NOW)
    assert code == 0
    printed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert printed["files_removed"] == "2" and printed["numbers_pseudonymised"] == "3"
    async with sessions_of(app)() as session:
        old = (await session.scalars(select(Call).where(Call.linkedid == "r.old.1"))).one()
    assert old.caller_number == "anon"  # no key configured: a fixed marker

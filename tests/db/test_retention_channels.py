"""Retention of what the channels keep (issue 17 data, api.crud.retention_channels) against the real PostgreSQL:
every kind of personal data written old and recent, one run at a fixed `now`, then exactly what went and what
stayed, kind by kind; a second run changes nothing; `ivr retention run` prints the counts and reads the
quarantine setting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.models import CitizenNotification, MailMessage, RequestAttachment
from api.cli import retention_main
from api.db import make_engine
from api.models import DispositionRow, LoginFailure, RateLimitRow, RequestRow
from api.retention import RetentionPolicy, run_once
from tests.support.database import empty_tables

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OLD = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)  # past both periods (90 d recordings, 365 d numbers)
MIDDLE = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # past the recordings' period only
RECENT = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
POLICY = RetentionPolicy(recordings_days=90, numbers_days=365, audit_days=730, key=b"test key", quarantine_days=30,
                         login_window=timedelta(minutes=15))  # fmt: skip
TABLES = (
    "request_events", "requests", "request_attachments", "mail_messages", "citizen_notifications", "rate_limits",
    "login_failures", "dispositions", "callbacks", "queue_events", "calls", "caller_languages",
)  # fmt: skip
# name: (created at, status, archived)
REQUESTS = {
    "old_closed": (OLD, "closed", False),
    "old_answered": (OLD, "answered", False),
    "mid_closed": (MIDDLE, "closed", False),
    "old_open": (OLD, "in_progress", False),
    "old_archived": (OLD, "closed", True),
    "recent_closed": (RECENT, "closed", False),
}


@dataclass(frozen=True)
class Seeded:
    ids: dict[str, int]  # request name -> id


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await empty_tables(database_url, *TABLES)
    engine = make_engine(database_url)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


def address(name: str) -> str:
    return f"{name.replace('_', '.')}@citizen.example"


async def seed(sessions: async_sessionmaker[AsyncSession]) -> Seeded:
    ids: dict[str, int] = {}
    async with sessions() as session:
        for number, (name, (created, status, archived)) in enumerate(REQUESTS.items()):
            request = RequestRow(reference=f"7{number:07d}", source="email", channel="email", request_type=3,
                                 type_key="other", status=status, archived=archived, contact=address(name),
                                 description=f"the request of {name}", created_by="email", created_at=created,
                                 due_at=created + timedelta(days=3), updated_at=created)  # fmt: skip
            session.add(request)
            await session.flush()
            ids[name] = request.id
            session.add_all([
                RequestAttachment(request_id=request.id, origin="email", filename=f"{name}.jpg",
                                  media_type="image/jpeg", size=4, sha256="0" * 64, content=b"JPEG",
                                  created_by="email", created_at=created),
                RequestAttachment(request_id=request.id, origin="paper", filename=f"{name}-scan.pdf",
                                  media_type="application/pdf", size=4, sha256="1" * 64, content=b"%PDF",
                                  created_by="desk", created_at=created),
                MailMessage(direction="in", message_id=f"<in.{name}@citizen.example>", request_id=request.id,
                            sender=address(name), recipients="intake@cityhall.example", subject=f"About {name}",
                            outcome="request", raw=f"From: {address(name)}\r\n\r\nphoto".encode(), at=created),
                MailMessage(direction="out", message_id=f"<out.{name}@cityhall.example>", request_id=request.id,
                            sender="intake@cityhall.example", recipients=address(name), subject="[Ref 1] received",
                            outcome="failed", reason=f"550 <{address(name)}>: mailbox full",
                            raw=f"To: {address(name)}\r\n\r\nreceived".encode(), at=created),
                CitizenNotification(request_id=request.id, channel="sms", recipient="+212600000001", language="fr",
                                    kind="closed", body=f"Dear {name}, your request is closed", outcome="given_up",
                                    error="no route to +212600000001", at=created, attempts=3),
            ])  # fmt: skip
        # a notification still being tried on a done-with request: it must still reach the citizen
        session.add(CitizenNotification(request_id=ids["old_closed"], channel="email", recipient="late@citizen.example",
                                        language="fr", kind="closed", body="still to send", outcome="failed",
                                        at=OLD, attempts=1, next_try_at=NOW + timedelta(hours=1)))  # fmt: skip
        # mail that made no request: refused (the quarantine), automatic, never processed
        unlinked = (("refused", 31), ("ignored", 45), ("received", 200), ("refused", 29))  # outcome, days old
        for outcome, days in unlinked:
            session.add(MailMessage(direction="in", message_id=f"<{outcome}.{days}@spam.example>",
                                    sender=f"{outcome}@spam.example", recipients="intake@cityhall.example",
                                    subject="win", outcome=outcome, reason="too many parts", raw=b"hostile",
                                    at=NOW - timedelta(days=days)))  # fmt: skip
        session.add_all([
            RateLimitRow(key="portal:203.0.113.7", hits=[NOW - timedelta(minutes=20)], allowed=True,
                         expires_at=NOW - timedelta(minutes=10)),
            RateLimitRow(key="portal:203.0.113.8", hits=[NOW - timedelta(minutes=5)], allowed=True,
                         expires_at=NOW + timedelta(minutes=5)),
            LoginFailure(scope="address", key="198.51.100.1", window_started_at=NOW - timedelta(minutes=31),
                         failures=3),
            LoginFailure(scope="user", key="amina", window_started_at=NOW - timedelta(minutes=10), failures=1),
            DispositionRow(linkedid="d.old", uniqueid="d.old", seat="agent1001", outcome="answered",
                           caller_number="+33611111111", created_by="agent1001", created_at=OLD),
            DispositionRow(linkedid="d.new", uniqueid="d.new", seat="agent1001", outcome="answered",
                           caller_number="+33622222222", created_by="agent1001", created_at=RECENT),
        ])  # fmt: skip
        await session.commit()
    return Seeded(ids)


async def test_every_kind_of_channel_data_goes_or_stays_as_the_policy_says(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    seeded = await seed(sessions)
    name_of = {request_id: name for name, request_id in seeded.ids.items()}

    report = await run_once(sessions, policy=POLICY, now=NOW, recordings_dir=tmp_path)

    assert report is not None
    done_old, done_all = ("old_closed", "old_answered"), ("old_closed", "old_answered", "mid_closed")
    kept_whole = ("old_open", "old_archived", "recent_closed")
    async with sessions() as session:
        files = (await session.scalars(select(RequestAttachment))).all()
        mails = (await session.scalars(select(MailMessage).order_by(MailMessage.id))).all()
        told = (await session.scalars(select(CitizenNotification).order_by(CitizenNotification.id))).all()
        limits = set((await session.scalars(select(RateLimitRow.key))).all())
        failures = set((await session.scalars(select(LoginFailure.key))).all())
        dispositions = {row.linkedid: row.caller_number for row in (await session.scalars(select(DispositionRow)))}
        requests = {row.id: row for row in (await session.scalars(select(RequestRow))).all()}

    # attachments (photos, paper scans): gone with the recordings for requests done with; archived, open and
    # recent requests keep theirs
    assert sorted({name_of[row.request_id] for row in files}) == sorted(kept_whole)
    assert len(files) == 2 * len(kept_whole)
    # e-mails of requests done with: raw gone past 90 days, addresses, subject and reason past 365 days; the row
    # and its Message-ID stay (threading, counts)
    linked = [row for row in mails if row.request_id is not None]
    assert len(linked) == 2 * len(REQUESTS)
    for row in linked:
        name = name_of[row.request_id or 0]
        assert row.message_id.startswith(f"<{row.direction}.{name}@")
        assert (row.raw == b"") == (name in done_all), (name, row.direction)
        scrubbed = (row.sender, row.recipients, row.subject, row.reason) == ("", "", "", "")
        assert scrubbed == (name in done_old), (name, row.direction)
        if name not in done_old:
            assert address(name) in (row.sender, row.recipients)
    # mail that made no request: deleted after the 30-day quarantine, the recent refusal kept raw
    unlinked = [(row.outcome, row.raw, row.sender) for row in mails if row.request_id is None]
    assert unlinked == [("refused", b"hostile", "refused@spam.example")]
    # notifications of requests done with past 365 days: recipient, body and error gone; one still being tried kept
    for note in told:
        name = name_of[note.request_id]
        if note.next_try_at is not None:
            assert (note.recipient, note.body) == ("late@citizen.example", "still to send")
            continue
        expected = ("", "", "") if name in done_old else ("+212600000001", f"Dear {name}, your request is closed",
                                                          "no route to +212600000001")  # fmt: skip
        assert (note.recipient, note.body, note.error) == expected, name
        assert (note.kind, note.outcome, note.channel, note.at) == ("closed", "given_up", "sms", REQUESTS[name][0])
    # counters: past their window gone, live ones kept
    assert limits == {"portal:203.0.113.8"}
    assert failures == {"amina"}
    # the number an agent's disposition noted: pseudonymised as the call's would be, recent kept
    assert dispositions == {"d.old": POLICY.pseudonym("+33611111111"), "d.new": "+33622222222"}
    # the requests themselves: contacts of those done with cleared (the existing rule), the archived one whole
    contacts = {name_of[request_id]: row.contact for request_id, row in requests.items()}
    assert contacts == {name: "" if name in done_old else address(name) for name in REQUESTS}
    assert requests[seeded.ids["old_archived"]].description == "the request of old_archived"
    # and the counts say the same
    assert (report.attachments_removed, report.mail_raw_cleared, report.mail_addresses_cleared) == (6, 6, 4)
    assert (report.mail_quarantine_removed, report.notifications_scrubbed) == (3, 2)
    assert (report.rate_limits_expired, report.login_failures_expired, report.numbers_pseudonymised) == (1, 1, 1)

    again = await run_once(sessions, policy=POLICY, now=NOW, recordings_dir=tmp_path)
    assert again is not None and set(vars(again).values()) == {0}


async def test_ivr_retention_run_prints_the_channel_counts_and_reads_the_quarantine_setting(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await seed(sessions)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("IVR_VOICEMAIL_DIR", str(tmp_path))
    monkeypatch.setenv("IVR_API_RETENTION_QUARANTINE_DAYS", "7")  # the 29-day-old refusal too, then

    assert await asyncio.to_thread(retention_main, ["run"], now=NOW) == 0

    printed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert {key: printed[key] for key in ("attachments_removed", "mail_quarantine_removed", "notifications_scrubbed",
                                          "rate_limits_expired", "login_failures_expired")} == {
        "attachments_removed": "6", "mail_quarantine_removed": "4", "notifications_scrubbed": "2",
        "rate_limits_expired": "1", "login_failures_expired": "1",
    }  # fmt: skip
    async with sessions() as session:
        left = (await session.scalars(select(MailMessage).where(MailMessage.request_id.is_(None)))).all()
    assert left == []

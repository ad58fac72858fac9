"""Durable citizen notifications (api.channels.notify) on a real PostgreSQL with a real SMTP server on loopback:
the mail server down during a request's changes never fails them and loses nothing; back up, the retry worker
delivers each notification exactly once with its first Message-ID, even with two API processes on one database;
a notification failing for 48 hours is given up; one a dead process left pending is sent by the worker loop. A
notification is committed with the change that causes it: a change whose commit fails leaves none, and a process
dying just after that commit leaves it pending for the worker, which delivers it once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.models import CitizenNotification
from api.channels.notify import Notifier, deliver_due, run_worker
from api.channels.outbound import SmtpSender
from api.config import ApiSettings
from api.main import create_app
from api.models import RequestEvent, RequestRow
from api.request_config import RequestConfig
from api.security.tokens import Role
from tests.db.conftest import FixedClock
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import empty_tables
from tests.support.dying import Died, dying_at
from tests.support.mail import capturing_smtp
from tests.support.poll import eventually
from tests.support.ports import free_port

FORM = {"request_type": 3, "description": "Dépôt d'ordures devant l'école", "contact": "amina@example.org",
        "language": "fr"}  # fmt: skip


def notifier(port: int) -> Notifier:
    return Notifier(mail_from="requests@cityhall.example", portal_url="https://portal.example",
                    mail=SmtpSender("127.0.0.1", port, timeout_s=5), languages=("fr",))  # fmt: skip


@pytest.fixture
def smtp_port() -> int:
    return free_port()  # nothing listens there until a test starts its capture: the mail server is down


@pytest.fixture
async def city(app: FastAPI, database_url: str, tmp_path: Path, smtp_port: int) -> AsyncIterator[FastAPI]:
    await empty_tables(database_url, "request_events", "requests", "rate_limits", "request_attachments",
                       "citizen_notifications", "request_satisfaction", "mail_messages")  # fmt: skip
    app.state.request_config = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=tmp_path,
                                             portal_limit=20)  # fmt: skip
    app.state.notifier = notifier(smtp_port)
    yield app


async def notifications(sessions: async_sessionmaker[AsyncSession]) -> list[CitizenNotification]:
    async with sessions() as session:
        return list((await session.scalars(select(CitizenNotification).order_by(CitizenNotification.id))).all())


async def test_mail_down_loses_nothing_and_two_processes_deliver_each_notification_once(
    city: FastAPI, client: httpx.AsyncClient, auth: dict[Role, dict[str, str]], clock: FixedClock,
    settings: ApiSettings, smtp_port: int,
) -> None:  # fmt: skip
    created = await client.post("/portal/requests", json=FORM)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    moved = await client.post(f"/requests/{reference}/status", json={"status": "in_progress"},
                              headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    recorded = clock.now
    stored = await notifications(city.state.sessions)
    assert [(row.kind, row.outcome, row.attempts) for row in stored] == [("received", "failed", 1),
                                                                         ("in_progress", "failed", 1)]  # fmt: skip
    assert all(row.next_try_at == recorded + timedelta(minutes=1) and "Error" in row.error for row in stored)
    message_ids = [row.message_id for row in stored]
    assert all(message_ids) and len(set(message_ids)) == 2

    assert await deliver_due(city.state.sessions, city.state.notifier, now=recorded + timedelta(seconds=30)) == 0
    shown = await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])
    assert [(told["outcome"], told["next_try_at"]) for told in shown.json()["notifications"]] == [
        ("failed", (recorded + timedelta(minutes=1)).isoformat().replace("+00:00", "Z"))
    ] * 2  # fmt: skip

    other = create_app(settings, clock=FixedClock(recorded))  # a second API process on the same database
    async with other.router.lifespan_context(other), capturing_smtp(smtp_port) as (capture, _):
        other.state.notifier = notifier(smtp_port)
        later = recorded + timedelta(minutes=2)
        tried = await asyncio.gather(deliver_due(city.state.sessions, city.state.notifier, now=later),
                                     deliver_due(other.state.sessions, other.state.notifier, now=later))  # fmt: skip
        assert sum(tried) == 2
        assert sorted(str(message["Message-ID"]) for message in capture.messages) == sorted(message_ids)
        assert all(f"[Ref {reference}]" in str(message["Subject"]) for message in capture.messages)
        for sessions, sender in ((city.state.sessions, city.state.notifier), (other.state.sessions, notifier(0))):
            assert await deliver_due(sessions, sender, now=later + timedelta(hours=3)) == 0
        assert len(capture.messages) == 2
    sent = await notifications(city.state.sessions)
    assert [(row.outcome, row.attempts, row.sent_at, row.next_try_at, row.error) for row in sent] == [
        ("sent", 2, later, None, ""), ("sent", 2, later, None, "")
    ]  # fmt: skip
    shown = await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])
    assert shown.status_code == 200
    assert [(told["kind"], told["outcome"], told["attempts"]) for told in shown.json()["notifications"]] == [
        ("received", "sent", 2), ("in_progress", "sent", 2)
    ]  # fmt: skip


async def test_a_notification_failing_for_48_hours_is_given_up(city: FastAPI, client: httpx.AsyncClient,
                                                              clock: FixedClock) -> None:  # fmt: skip
    assert (await client.post("/portal/requests", json=FORM)).status_code == 201
    recorded = clock.now
    sessions, sender = city.state.sessions, city.state.notifier
    assert await deliver_due(sessions, sender, now=recorded + timedelta(hours=47, minutes=30)) == 1
    [row] = await notifications(sessions)
    assert (row.outcome, row.attempts) == ("failed", 2)
    assert row.next_try_at == recorded + timedelta(hours=47, minutes=35)
    assert await deliver_due(sessions, sender, now=recorded + timedelta(hours=47, minutes=59)) == 1
    [row] = await notifications(sessions)
    assert (row.outcome, row.attempts, row.next_try_at) == ("given_up", 3, None)
    assert await deliver_due(sessions, sender, now=recorded + timedelta(days=5)) == 0


async def test_a_notification_left_pending_by_a_dead_process_is_sent_by_the_worker(
    city: FastAPI, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    created = await client.post("/portal/requests", json={**FORM, "contact": "+212600000001"})
    assert created.status_code == 201, created.text
    sms = city.state.notifier.sms
    assert len(sms.sent) == 1  # the acknowledgement, at once
    sessions = city.state.sessions
    [acknowledged] = await notifications(sessions)
    async with sessions() as session:  # what a process that died between its commit and its try leaves
        session.add(CitizenNotification(request_id=acknowledged.request_id, channel="sms", recipient="+212600000001",
                                        language="fr", kind="in_progress", body="Votre demande ...",
                                        outcome="pending", error="", at=clock.now, attempts=0,
                                        next_try_at=clock.now))  # fmt: skip
        await session.commit()
    worker = asyncio.create_task(run_worker(sessions, lambda: city.state.notifier, clock=clock, interval_s=0.05))

    async def all_sent() -> list[tuple[str, int, datetime | None]] | None:
        told = [(row.outcome, row.attempts, row.sent_at) for row in await notifications(sessions)]
        return told if all(outcome == "sent" for outcome, _, _ in told) else None

    try:  # the row, not the gateway, says it is done: the send comes before the commit
        told = await eventually(all_sent, timeout_s=5, what="the pending SMS sent and recorded")
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert told == [("sent", 1, clock.now)] * 2
    assert sms.sent[1:] == [("+212600000001", "Votre demande ...")]


def history_of(action: str) -> Callable[[object], bool]:
    return lambda row: isinstance(row, RequestEvent) and row.action == action


async def _status_of(sessions: async_sessionmaker[AsyncSession], reference: str) -> str | None:
    async with sessions() as session:
        return await session.scalar(select(RequestRow.status).where(RequestRow.reference == reference))


async def test_a_status_change_whose_commit_fails_leaves_no_notification(
    city: FastAPI, client: httpx.AsyncClient, auth: dict[Role, dict[str, str]]
) -> None:
    created = await client.post("/portal/requests", json=FORM)
    reference = created.json()["reference"]
    with dying_at("before_commit", writes=history_of("status")), pytest.raises(Died):
        await client.post(f"/requests/{reference}/status", json={"status": "in_progress"},
                          headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert await _status_of(city.state.sessions, reference) == "new"
    assert [row.kind for row in await notifications(city.state.sessions)] == ["received"]


@pytest.mark.parametrize("action", ["created", "status"])
async def test_a_process_dying_just_after_a_change_leaves_its_notification_to_the_worker(
    city: FastAPI, client: httpx.AsyncClient, auth: dict[Role, dict[str, str]], clock: FixedClock, smtp_port: int,
    action: str,
) -> None:  # fmt: skip
    sessions = city.state.sessions
    async with capturing_smtp(smtp_port) as (capture, _):  # the mail server up: only the dying loses a try
        # the process dies just after the opening's commit, or the move's
        with dying_at("after_commit", writes=history_of(action)), pytest.raises(Died):
            created = await client.post("/portal/requests", json=FORM)
            reference = created.json()["reference"]
            await client.post(f"/requests/{reference}/status", json={"status": "in_progress"},
                              headers=auth[Role.SUPERVISOR])  # fmt: skip
        kind = "received" if action == "created" else "in_progress"
        stored = await notifications(sessions)
        assert [(row.kind, row.outcome, row.attempts) for row in stored][-1] == (kind, "pending", 0)
        assert all(message["Message-ID"] != stored[-1].message_id for message in capture.messages)
        worker = asyncio.create_task(run_worker(sessions, lambda: city.state.notifier, clock=clock,
                                                interval_s=0.05))  # fmt: skip

        async def delivered() -> list[str] | None:
            rows = await notifications(sessions)
            return [row.outcome for row in rows] if all(row.outcome == "sent" for row in rows) else None

        try:
            await eventually(delivered, timeout_s=5, what="the dead process's notification sent by the worker")
            assert await deliver_due(sessions, city.state.notifier, now=clock.now + timedelta(hours=3)) == 0
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
    [message] = [message for message in capture.messages if message["Message-ID"] == stored[-1].message_id]
    assert len(capture.messages) == len(stored)  # each once, the dead process's included
    assert str(message["To"]) == FORM["contact"]

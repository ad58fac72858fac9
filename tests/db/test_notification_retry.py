"""A given-up citizen notification asked again (POST /requests/{reference}/notifications/{id}/retry) on a real
PostgreSQL with a real SMTP server on loopback: only who owns the request may (404 for who cannot read it, 403 for
who reads it without owning it), only a given-up one (409), audited; it is back in the queue with a fresh budget
of tries, and the worker sends it with its first Message-ID. Staff see each notification's state and reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.models import CitizenNotification
from api.channels.notify import Notifier, deliver_due, run_worker
from api.channels.outbound import SmtpSender
from api.crud.agent_skills import remember_skills
from api.models import AuditEntry
from api.request_config import RequestConfig
from api.security.tokens import Role
from callcenter.loading import load_callcenter
from tests.db.conftest import FixedClock, bearer
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import empty_tables, issue_tokens
from tests.support.mail import capturing_smtp
from tests.support.poll import eventually
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
FORM = {"request_type": 3, "description": "Passeport perdu à Lyon", "contact": "amina@example.org", "language": "fr"}
Auth = dict[Role, dict[str, str]]
GIVE_UP = timedelta(hours=47, minutes=59)  # a try failing then would next fall past the 48 hours: given up


@pytest.fixture
def smtp_port() -> int:
    return free_port()  # nothing listens there until a test starts its capture: the mail server is down


async def prepared(app: FastAPI, database_url: str, config: RequestConfig, smtp_port: int) -> FastAPI:
    await empty_tables(database_url, "request_events", "requests", "rate_limits", "citizen_notifications",
                       "mail_messages", "agent_skills")  # fmt: skip
    app.state.request_config = config
    app.state.notifier = Notifier(mail_from="requests@consulat.example", portal_url="https://portal.example",
                                  mail=SmtpSender("127.0.0.1", smtp_port, timeout_s=5), languages=("fr",))  # fmt: skip
    return app


async def notifications(sessions: async_sessionmaker[AsyncSession]) -> list[CitizenNotification]:
    async with sessions() as session:
        return list((await session.scalars(select(CitizenNotification).order_by(CitizenNotification.id))).all())


async def given_up(client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, form: dict[str, object]) -> str:
    """A request whose acknowledgement failed at once (the mail server is down) and again 47h59 later: given up."""
    created = await client.post("/portal/requests", json=form)
    assert created.status_code == 201, created.text
    assert await deliver_due(app.state.sessions, app.state.notifier, now=clock.now + GIVE_UP) == 1
    clock.now += GIVE_UP + timedelta(minutes=1)
    reference: str = created.json()["reference"]
    return reference


def retry(reference: str, notification_id: int) -> str:
    return f"/requests/{reference}/notifications/{notification_id}/retry"


async def test_the_owner_retries_a_given_up_mail_once_audited_and_the_worker_sends_it(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, clock: FixedClock, database_url: str, tmp_path: Path,
    smtp_port: int,
) -> None:  # fmt: skip
    config = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=tmp_path, portal_limit=20)
    city = await prepared(app, database_url, config, smtp_port)
    created = await client.post("/portal/requests", json=FORM)
    reference = created.json()["reference"]
    [failing] = await notifications(city.state.sessions)
    refused = await client.post(retry(reference, failing.id), headers=auth[Role.SUPERVISOR])
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert "failing, and tried again by itself" in refused.json()["detail"]

    assert await deliver_due(city.state.sessions, city.state.notifier, now=clock.now + GIVE_UP) == 1
    clock.now += GIVE_UP + timedelta(minutes=1)
    other = await client.post("/portal/requests", json={**FORM, "contact": "+212600000002"})  # an SMS, sent
    [_, texted] = await notifications(city.state.sessions)
    shown = (await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])).json()["notifications"]
    assert [(told["id"], told["kind"], told["channel"], told["recipient"], told["outcome"], told["attempts"],
             told["reason"], told["can_retry"]) for told in shown] == [
        (failing.id, "received", "email", "amina@example.org", "given_up", 2, "unreachable", True)]  # fmt: skip

    assert (await client.post(retry(reference, texted.id), headers=auth[Role.SUPERVISOR])).status_code == 404
    assert (await client.post(retry(reference, 2**62), headers=auth[Role.SUPERVISOR])).status_code == 404
    assert (await client.post(retry("999999999", failing.id), headers=auth[Role.SUPERVISOR])).status_code == 404
    sent = await client.post(retry(other.json()["reference"], texted.id), headers=auth[Role.SUPERVISOR])
    assert sent.status_code == 409 and "already sent" in sent.json()["detail"]
    assert (await client.post(retry(reference, failing.id), headers=auth[Role.OFFICIAL])).status_code == 403
    assert (await client.post(retry(reference, failing.id), headers=auth[Role.OFFICER])).status_code == 404
    assert (await client.post(retry(reference, failing.id), headers=auth[Role.AGENT])).status_code == 404  # not hers
    async with city.state.sessions() as session:  # the agent's seat logged in to the French queue: hers now
        await remember_skills(session, seat="test-agent", skills={"fr": "native"}, now=clock.now)
        await session.commit()
    asked = await client.post(retry(reference, failing.id), headers=auth[Role.AGENT])
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert (body["outcome"], body["attempts"], body["requeued_by"], body["can_retry"]) == (
        "pending", 0, "test-agent", False)  # fmt: skip
    assert body["next_try_at"] == body["requeued_at"] == clock.now.isoformat().replace("+00:00", "Z")
    again = await client.post(retry(reference, failing.id), headers=auth[Role.SUPERVISOR])
    assert again.status_code == 409 and "waiting for its next try" in again.json()["detail"]
    async with city.state.sessions() as session:
        audited = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "retry_notification"))).all()
    assert [(entry.actor, entry.role, entry.object_id, entry.detail) for entry in audited] == [
        ("test-agent", "agent", f"request:{reference}", f"notification={failing.id} kind=received channel=email")]

    # a fresh budget: still down, the first try after the retry fails and waits a minute (not given up at once)
    requeued = clock.now
    assert await deliver_due(city.state.sessions, city.state.notifier, now=requeued) == 1
    [row, _] = await notifications(city.state.sessions)
    assert (row.outcome, row.attempts, row.next_try_at) == ("failed", 1, requeued + timedelta(minutes=1))
    clock.now = requeued + timedelta(minutes=1)
    worker = asyncio.create_task(run_worker(city.state.sessions, lambda: city.state.notifier, clock=clock,
                                            interval_s=0.05))  # fmt: skip
    try:
        async with capturing_smtp(smtp_port) as (capture, _):
            await eventually(lambda: len(capture.messages) == 1, timeout_s=10, what="the retried mail delivered")

            async def recorded() -> CitizenNotification | None:
                first = (await notifications(city.state.sessions))[0]
                return first if first.outcome == "sent" else None

            done = await eventually(recorded, timeout_s=10, what="the retried mail recorded as sent")
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert str(capture.messages[0]["Message-ID"]) == failing.message_id  # the message meant 48 hours ago
    assert (done.attempts, done.sent_at, done.error) == (2, requeued + timedelta(minutes=1), "")
    assert len(capture.messages) == 1


async def test_in_the_workflow_its_department_and_the_desk_retry_an_agent_only_reads(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, clock: FixedClock, database_url: str, tmp_path: Path,
    smtp_port: int,
) -> None:  # fmt: skip
    config = RequestConfig(callcenter=load_callcenter(ROOT / "examples" / "cityhall.toml"), recordings_dir=tmp_path,
                           portal_limit=20)  # fmt: skip
    city = await prepared(app, database_url, config, smtp_port)
    people = {name: bearer(secret) for name, secret in (await issue_tokens(
        database_url, {"y.tazi": Role.OFFICER, "n.idrissi": Role.OFFICER}, now=clock.now)).items()}  # fmt: skip
    form = {"request_type": 1, "description": "Ordures rue des Lilas", "contact": "citoyen@example.org",
            "language": "fr", "category": "dechets"}  # fmt: skip  routed at once to "proprete"
    reference = await given_up(client, city, clock, form)
    [row] = await notifications(city.state.sessions)
    async with city.state.sessions() as session:
        await remember_skills(session, seat="test-agent", skills={"fr": "native"}, now=clock.now)
        await session.commit()

    read = (await client.get(f"/requests/{reference}", headers=auth[Role.AGENT])).json()["notifications"]
    assert [(told["outcome"], told["can_retry"]) for told in read] == [("given_up", False)]
    assert (await client.post(retry(reference, row.id), headers=auth[Role.AGENT])).status_code == 403
    assert (await client.post(retry(reference, row.id), headers=people["n.idrissi"])).status_code == 404  # hygiene
    seen = (await client.get(f"/complaints/{reference}", headers=people["y.tazi"])).json()["notifications"]
    assert [(told["recipient"], told["reason"], told["can_retry"]) for told in seen] == [
        ("citoyen@example.org", "unreachable", True)]  # fmt: skip
    assert (await client.post(retry(reference, row.id), headers=people["y.tazi"])).status_code == 200
    desk = (await client.get(f"/complaints/{reference}", headers=auth[Role.DESK])).json()["notifications"]
    assert [(told["outcome"], told["requeued_by"], told["can_retry"]) for told in desk] == [("pending", "y.tazi",
                                                                                           False)]  # fmt: skip


class FlakySms:
    """An SMS gateway that refuses its first `failures` messages; keeps each try's (number, reference)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.tries: list[tuple[str, str]] = []

    async def send(self, number: str, text: str, *, reference: str) -> None:
        self.tries.append((number, reference))
        if len(self.tries) <= self.failures:
            raise ConnectionRefusedError("gateway away")


async def test_every_try_of_one_sms_carries_its_own_stable_reference(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, clock: FixedClock, database_url: str, tmp_path: Path,
    smtp_port: int,
) -> None:  # fmt: skip
    config = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=tmp_path, portal_limit=20)
    city = await prepared(app, database_url, config, smtp_port)
    city.state.notifier.sms = gateway = FlakySms(failures=2)
    first = await client.post("/portal/requests", json={**FORM, "contact": "+212600000003"})
    second = await client.post("/portal/requests", json={**FORM, "contact": "+212600000004"})
    assert first.status_code == second.status_code == 201
    assert await deliver_due(city.state.sessions, city.state.notifier, now=clock.now + timedelta(minutes=1)) == 2
    references = [reference for _, reference in gateway.tries]
    assert [number for number, _ in gateway.tries] == ["+212600000003", "+212600000004"] * 2
    assert references[0] == references[2] != references[1] == references[3]
    assert all(reference.startswith("ivr-") and len(reference) <= 40 for reference in references)
    stored = await notifications(city.state.sessions)
    assert [(row.outcome, row.message_id) for row in stored] == [("sent", references[0]), ("sent", references[1])]
    shown = (await client.get(f"/requests/{first.json()['reference']}", headers=auth[Role.SUPERVISOR])).json()
    assert [(told["channel"], told["outcome"], told["attempts"]) for told in shown["notifications"]] == [
        ("sms", "sent", 2)]  # fmt: skip

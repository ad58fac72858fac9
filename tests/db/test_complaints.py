"""The complaint workflow through the API on a real PostgreSQL: a web-form complaint routed by category, sent
back by the wrong department with a reason, re-routed, answered, approved and closed, with its history and the
`on_transition` hooks; the rights of each role; the append-only history; the consular posts through the same
code; dashboards, CSV export and the Open311 read API."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.models import CitizenNotification
from api.channels.notify import Notifier, deliver_due, transition_recorder
from api.channels.outbound import SmtpSender
from api.complaints import TransitionEvent
from api.db import make_engine
from api.models import RequestRow
from api.request_config import RequestConfig
from api.security.tokens import Role
from api.workflow_models import WorkflowEvent
from callcenter.loading import load_callcenter
from tests.db.conftest import FixedClock, bearer
from tests.support.database import issue_tokens
from tests.support.dying import Died, dying_at
from tests.support.mail import Capture, capturing_smtp

ROOT = Path(__file__).resolve().parents[2]
CITYHALL = load_callcenter(ROOT / "examples" / "cityhall.toml")
CONSULAR = load_callcenter(ROOT / "callcenter" / "callcenter.toml")
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris, a working day
PEOPLE = {
    "accueil": Role.DESK,
    "b.lahlou": Role.OFFICER,  # hygiene agent
    "n.idrissi": Role.OFFICER,  # hygiene head
    "i.zahraoui": Role.OFFICER,  # cleanliness secretary
    "y.tazi": Role.OFFICER,  # cleanliness agent
    "f.ouali": Role.OFFICER,  # cleanliness agent
    "k.benjelloun": Role.OFFICER,  # cleanliness head
    "r.alaoui": Role.OFFICER,  # urbanism head
    "maire": Role.OFFICIAL,
    "adjoint.proprete": Role.OFFICIAL,
    "agent1005": Role.AGENT,
    "consul.paris": Role.OFFICER,
    "agent.bruxelles": Role.OFFICER,
}
FORM = {"request_type": 1, "description": "Des sacs d'ordures rue des Lilas depuis une semaine",
        "contact": "citoyen@example.org", "language": "fr", "category": "nuisibles"}  # fmt: skip


@pytest.fixture(scope="module")
def people(database: tuple[str, dict[Role, str]]) -> dict[str, dict[str, str]]:
    issued = asyncio.run(issue_tokens(database[0], PEOPLE, now=MONDAY - timedelta(days=30)))
    return {name: bearer(secret) for name, secret in issued.items()}


@pytest.fixture
def heard() -> list[TransitionEvent]:
    return []


def _config(callcenter: Any, tmp_path: Path, heard: list[TransitionEvent]) -> RequestConfig:
    async def hook(event: TransitionEvent) -> None:
        heard.append(event)

    async def broken(event: TransitionEvent) -> None:
        raise RuntimeError("the SMS gateway is down")

    return RequestConfig(callcenter=callcenter, recordings_dir=tmp_path, portal_limit=50,
                         on_transition=[broken, hook])  # fmt: skip


@pytest.fixture
async def mailbox(app: FastAPI) -> AsyncIterator[Capture]:
    """The citizen's mail server: what the city hall's notifications (api.channels.notify) deliver over SMTP."""
    async with capturing_smtp() as (capture, port):
        app.state.notifier = Notifier(mail_from="requests@cityhall.example", portal_url="https://portal.example",
                                      mail=SmtpSender("127.0.0.1", port), languages=("fr", "ar"))  # fmt: skip
        yield capture


@pytest.fixture
async def city(
    app: FastAPI, clock: FixedClock, tmp_path: Path, heard: list[TransitionEvent], mailbox: Capture
) -> AsyncIterator[None]:
    clock.now = MONDAY
    config = _config(CITYHALL, tmp_path, heard)
    config.record_transition.append(transition_recorder(app.state.sessions, app.state.notifier))  # as api.deps wires it
    app.state.request_config = config
    yield


async def _move(client: httpx.AsyncClient, reference: str, who: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(f"/complaints/{reference}/transitions", json=body, headers=who)


async def _ok(client: httpx.AsyncClient, reference: str, who: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await _move(client, reference, who, **body)
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


async def _file(client: httpx.AsyncClient, **fields: Any) -> str:
    response = await client.post("/portal/requests", json=FORM | fields)
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


@pytest.mark.usefixtures("city")
async def test_a_complaint_goes_wrong_comes_back_and_is_answered_approved_and_closed(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], auth: dict[Role, dict[str, str]],
    clock: FixedClock, heard: list[TransitionEvent], mailbox: Capture,
) -> None:  # fmt: skip
    reference = await _file(client)  # the citizen picked "pests": hygiene gets it
    detail = (await client.get(f"/complaints/{reference}", headers=people["b.lahlou"])).json()
    assert (detail["stage"], detail["department"], detail["channel"]) == ("assigned", "hygiene", "web")
    assert detail["actions"] == ["take", "send_back"]
    assert (await client.get(f"/complaints/{reference}", headers=people["y.tazi"])).status_code == 404  # not yet
    # hygiene says it is not theirs, and must say why
    assert (await _move(client, reference, people["b.lahlou"], action="send_back")).status_code == 422
    clock.now += timedelta(hours=2)
    detail = await _ok(client, reference, people["b.lahlou"], action="send_back", comment="Des ordures, pas des rats")
    assert (detail["stage"], detail["department"]) == ("sent_back", None)
    assert (await client.get(f"/complaints/{reference}", headers=people["b.lahlou"])).status_code == 404
    desk = (await client.get("/complaints", params={"view": "desk"}, headers=people["accueil"])).json()["items"]
    assert [item["reference"] for item in desk] == [reference]
    clock.now += timedelta(hours=1)
    detail = await _ok(client, reference, people["accueil"], action="route", department="proprete",
                       category="dechets", district="Centre")  # fmt: skip
    assert (detail["stage"], detail["category"], detail["district"]) == ("assigned", "dechets", "Centre")
    queue = (await client.get("/complaints", params={"view": "queue"}, headers=people["y.tazi"])).json()["items"]
    assert [item["reference"] for item in queue] == [reference]
    # the secretary hands it to an agent; that agent answers; the head approves; it is closed
    clock.now += timedelta(hours=1)
    await _ok(client, reference, people["i.zahraoui"], action="take", assignee="y.tazi")
    answer = "Les sacs ont été ramassés mardi matin."
    refused = await _move(client, reference, people["f.ouali"], action="propose", comment=answer)
    assert refused.status_code == 403, refused.text  # another agent of the department is not the assignee
    clock.now += timedelta(days=1)
    detail = await _ok(client, reference, people["y.tazi"], action="propose", comment=answer)
    assert (detail["stage"], detail["answer"]) == ("answer_proposed", answer)
    approvals = (await client.get("/complaints", params={"view": "approval"}, headers=people["k.benjelloun"])).json()
    assert [item["reference"] for item in approvals["items"]] == [reference]
    assert (await client.get("/complaints", params={"view": "approval"}, headers=people["y.tazi"])).json() == {
        "items": []
    }
    assert (await _move(client, reference, people["y.tazi"], action="approve")).status_code == 403
    clock.now += timedelta(hours=3)
    await _ok(client, reference, people["k.benjelloun"], action="approve")
    status = await client.get(f"/requests/status/{reference}", headers=auth[Role.AGI])
    assert status.json()["status"] == "answered"  # the IVR tells a caller what the workflow says
    detail = await _ok(client, reference, people["y.tazi"], action="close")
    assert detail["stage"] == "closed" and detail["closed_at"] is not None
    assert (await client.get(f"/requests/status/{reference}", headers=auth[Role.AGI])).json()["status"] == "closed"
    steps = [(e["actor"], e["capacity"], e["action"], e["from_stage"], e["to_stage"], e["department"])
             for e in detail["history"]]  # fmt: skip
    assert steps == [
        ("routing", "routing", "route", None, "assigned", "hygiene"),
        ("b.lahlou", "agent", "send_back", "assigned", "sent_back", None),
        ("accueil", "desk", "route", "sent_back", "assigned", "proprete"),
        ("i.zahraoui", "secretary", "take", "assigned", "in_progress", "proprete"),
        ("y.tazi", "assignee", "propose", "in_progress", "answer_proposed", "proprete"),
        ("k.benjelloun", "head", "approve", "answer_proposed", "answer_approved", "proprete"),
        ("y.tazi", "assignee", "close", "answer_approved", "closed", "proprete"),
    ]
    assert detail["history"][1]["comment"] == "Des ordures, pas des rats"
    # every step reached the hooks (a failing hook before it changed nothing), with what the citizen is told
    assert [(event.action, event.to_stage) for event in heard] == [
        ("route", "assigned"), ("send_back", "sent_back"), ("route", "assigned"), ("take", "in_progress"),
        ("propose", "answer_proposed"), ("approve", "answer_approved"), ("close", "closed"),
    ]  # fmt: skip
    assert heard[-1].answer == answer and heard[-1].contact == "citoyen@example.org" and heard[-1].language == "fr"
    # the citizen was told, by e-mail in French, of each step that is theirs to know (not the internal ones)
    told = [message.get_content() for message in mailbox.messages]
    assert all(message["To"] == "citoyen@example.org" for message in mailbox.messages)
    assert len(told) == 4, told
    assert "Nous avons bien reçu votre demande" in told[0]
    assert "transmise au service compétent" in told[1]
    assert "en cours de traitement" in told[2]
    assert "clôturée" in told[3] and answer in told[3] and "https://portal.example" in told[3]
    # the citizen rates the answer once, then reopens within the period; it goes back to the same department
    tracked = (await client.get(f"/portal/requests/{reference}")).json()  # the portal's "follow my request"
    assert (tracked["stage"], tracked["status"], tracked["answer"]) == ("closed", "closed", answer)
    assert not {"contact", "description", "assignee", "department", "location_text"} & set(tracked)
    unknown, malformed = [await client.get(f"/portal/requests/{ref}") for ref in ("999999999", "x%27--")]
    assert unknown.status_code == malformed.status_code == 404 and unknown.json() == malformed.json()
    token = re.search(r"satisfaction=([\w-]+)", told[3])
    assert token is not None
    answer_in = {"token": token.group(1), "rating": 4}
    assert (await client.post(f"/portal/requests/{reference}/satisfaction", json=answer_in)).status_code == 204
    rated = (await client.get(f"/complaints/{reference}", headers=people["y.tazi"])).json()
    assert rated["satisfaction"] == 4 and rated["history"][-1]["action"] == "rate"  # what the dashboards read
    clock.now += timedelta(days=31)
    late = await client.post(f"/portal/complaints/{reference}/reopen", json={"comment": "Encore des sacs"})
    assert late.status_code == 409, late.text
    clock.now -= timedelta(days=2)
    assert (await client.post(f"/portal/complaints/{reference}/reopen", json={"comment": "Encore"})).status_code == 200
    detail = (await client.get(f"/complaints/{reference}", headers=people["y.tazi"])).json()
    assert (detail["stage"], detail["department"], detail["satisfaction"]) == ("reopened", "proprete", None)
    assert detail["history"][-1]["capacity"] == "citizen"


@pytest.mark.usefixtures("city")
async def test_rights_are_refused_where_they_must_be(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], auth: dict[Role, dict[str, str]]
) -> None:
    reference = await _file(client, category=None)  # no category: it waits at the desk
    detail = (await client.get(f"/complaints/{reference}", headers=people["accueil"])).json()
    assert (detail["stage"], detail["department"]) == ("received", None)
    assert detail["actions"] == ["route", "reject", "duplicate", "pass_outside"]
    # call-center agents and the agi service have no workflow; officials read dashboards only
    for who in (auth[Role.AGENT], auth[Role.AGI], people["agent1005"]):
        assert (await client.get("/complaints", headers=who)).status_code == 403
        assert (await _move(client, reference, who, action="route", department="proprete")).status_code == 403
    assert (await client.get("/complaints", headers=people["maire"])).status_code == 403
    assert (await client.get(f"/complaints/{reference}", headers=people["maire"])).status_code == 404
    # an officer sees nothing outside their departments, and cannot route
    assert (await client.get(f"/complaints/{reference}", headers=people["k.benjelloun"])).status_code == 404
    assert (await _move(client, reference, people["k.benjelloun"], action="route", department="proprete")
            ).status_code == 404  # fmt: skip
    assert (await _move(client, reference, people["accueil"], action="route", department="nowhere")).status_code == 422
    assert (await _move(client, reference, people["accueil"], action="reject")).status_code == 422  # no reason
    assert (await _move(client, reference, people["accueil"], action="duplicate", duplicate_of="99999999")
            ).status_code == 422  # fmt: skip
    await _ok(client, reference, people["accueil"], action="route", department="urbanisme", category="construction")
    assert (await _move(client, reference, people["accueil"], action="route", department="proprete")).status_code == 409
    for action in ("take", "approve"):
        assert (await _move(client, reference, people["accueil"], action=action)).status_code == 403, action
    assert (await _move(client, reference, people["accueil"], action="close")).status_code == 409  # not approved
    for wrong in ("y.tazi", "k.benjelloun"):  # other departments' people do not even see it
        assert (await _move(client, reference, people[wrong], action="take")).status_code == 404
    await _ok(client, reference, people["r.alaoui"], action="take")
    # the supervisor acts as the desk, the admin too; neither approves for a department
    assert (await _move(client, reference, auth[Role.SUPERVISOR], action="approve")).status_code == 403
    other = await _file(client, category="terrasses")
    done = await _ok(client, other, auth[Role.SUPERVISOR], action="reject", comment="Hors compétence municipale")
    assert done["stage"] == "rejected"
    assert (await _move(client, other, auth[Role.ADMIN], action="reopen", comment="x")).status_code == 409


def _took(row: object) -> bool:
    return isinstance(row, WorkflowEvent) and row.action == "take"


async def _told(app: FastAPI, reference: str) -> list[tuple[str, str]]:
    async with app.state.sessions() as session:
        rows = await session.scalars(
            select(CitizenNotification).join(RequestRow, RequestRow.id == CitizenNotification.request_id)
            .where(RequestRow.reference == reference).order_by(CitizenNotification.id)
        )  # fmt: skip
        return [(row.kind, row.outcome) for row in rows]


@pytest.mark.usefixtures("city")
async def test_a_transition_and_its_notification_are_committed_together_or_not_at_all(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, dict[str, str]], mailbox: Capture,
    heard: list[TransitionEvent],
) -> None:  # fmt: skip
    reference = await _file(client)  # routed to hygiene at once; the acknowledgement sent
    assert await _told(app, reference) == [("received", "sent")]
    recorders = app.state.request_config.record_transition

    async def unrecordable(session: AsyncSession, event: TransitionEvent) -> None:
        raise RuntimeError("the notification cannot be recorded")

    recorders.insert(0, unrecordable)  # recording fails: the transition fails with it, nothing written
    try:
        with pytest.raises(RuntimeError, match="cannot be recorded"):
            await _move(client, reference, people["b.lahlou"], action="take")
    finally:
        recorders.remove(unrecordable)
    detail = (await client.get(f"/complaints/{reference}", headers=people["b.lahlou"])).json()
    assert (detail["stage"], len(detail["history"])) == ("assigned", 1)
    with dying_at("before_commit", writes=_took), pytest.raises(Died):  # the database refuses the commit
        await _move(client, reference, people["b.lahlou"], action="take")
    detail = (await client.get(f"/complaints/{reference}", headers=people["b.lahlou"])).json()
    assert detail["stage"] == "assigned" and await _told(app, reference) == [("received", "sent")]
    heard.clear()
    with dying_at("after_commit", writes=_took), pytest.raises(Died):  # committed, then the process dies
        await _move(client, reference, people["b.lahlou"], action="take")
    detail = (await client.get(f"/complaints/{reference}", headers=people["b.lahlou"])).json()
    assert detail["stage"] == "in_progress" and heard == []  # nothing after the commit ran
    assert await _told(app, reference) == [("received", "sent"), ("in_progress", "pending")]
    assert len(mailbox.messages) == 1
    worker = app.state.sessions, app.state.notifier
    assert await deliver_due(*worker, now=MONDAY + timedelta(days=1)) == 1
    assert await deliver_due(*worker, now=MONDAY + timedelta(days=2)) == 0
    assert await _told(app, reference) == [("received", "sent"), ("in_progress", "sent")]
    assert len(mailbox.messages) == 2 and "en cours de traitement" in mailbox.messages[1].get_content()


async def test_the_history_is_append_only_in_postgresql(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO workflow_history (request_id, reference, at, actor, capacity, action, to_stage) "
                "VALUES (0, '0', now(), 'test', 'desk', 'route', 'assigned')"
            ))  # fmt: skip
        for statement in ("UPDATE workflow_history SET comment = 'changed'", "DELETE FROM workflow_history",
                          "TRUNCATE workflow_history"):  # fmt: skip
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def test_consular_posts_run_the_same_code(
    app: FastAPI, client: httpx.AsyncClient, clock: FixedClock, tmp_path: Path, people: dict[str, dict[str, str]],
    auth: dict[Role, dict[str, str]], heard: list[TransitionEvent],
) -> None:  # fmt: skip
    clock.now = MONDAY
    app.state.request_config = _config(CONSULAR, tmp_path, heard)
    body = {"request_type": 3, "description": "Passeport en attente depuis 3 mois", "service": "paris",
            "language": "ar"}  # fmt: skip
    opened = await client.post("/requests", json=body, headers=auth[Role.SUPERVISOR])
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    consul = people["consul.paris"]
    detail = (await client.get(f"/complaints/{reference}", headers=consul)).json()
    assert (detail["department"], detail["category"], detail["channel"]) == ("cg-paris", "complaint", "phone")
    assert (await client.get(f"/complaints/{reference}", headers=people["agent.bruxelles"])).status_code == 404
    await _ok(client, reference, consul, action="take")
    await _ok(client, reference, consul, action="propose", comment="Votre passeport est prêt.")
    await _ok(client, reference, consul, action="approve")
    assert (await _ok(client, reference, consul, action="close"))["stage"] == "closed"
    services = (await client.get("/open311/v2/services.json")).json()
    assert {service["service_code"] for service in services} == {"consular-service", "complaint", "suggestion"}


@pytest.mark.usefixtures("city")
async def test_dashboards_export_and_open311(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], clock: FixedClock
) -> None:
    hygiene = await _file(client, category="nuisibles")
    urbanism = await _file(client, category="permis", language="ar")
    clock.now += timedelta(days=3)  # hygiene's stage clock (1 working day while assigned) has run out
    await _ok(client, urbanism, people["r.alaoui"], action="take")
    board = (await client.get("/complaints/dashboard", headers=people["maire"])).json()
    by_department = {count["key"]: count["count"] for count in board["by_department"]}
    assert by_department["hygiene"] >= 1 and by_department["urbanisme"] >= 1
    assert board["overdue"] >= 1
    stages = {item["stage"] for item in board["median_hours_per_stage"]}
    assert "assigned" in stages
    deputy = (await client.get("/complaints/dashboard", headers=people["adjoint.proprete"])).json()
    assert {count["key"] for count in deputy["by_department"]} <= {"services-techniques", "proprete", "hygiene"}
    assert (await client.get("/complaints/dashboard", headers=people["y.tazi"])).status_code == 403  # an agent
    exported = await client.get("/complaints/export.csv", headers=people["maire"])
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {hygiene, urbanism} <= {row["reference"] for row in rows}
    assert "description" not in rows[0] and "contact" not in rows[0]
    # Open311 GeoReport v2: public, without personal data
    services = (await client.get("/open311/v2/services.json", params={"lang": "ar"})).json()
    assert {"service_code": "dechets", "service_name": "جمع النفايات", "group": "النظافة"}.items() <= {
        key: value for service in services if service["service_code"] == "dechets" for key, value in service.items()
    }.items()
    listing = (await client.get("/open311/v2/requests.json", params={"service_code": "permis"})).json()
    assert urbanism in {item["service_request_id"] for item in listing}
    one = (await client.get(f"/open311/v2/requests/{urbanism}.json")).json()
    assert len(one) == 1 and one[0]["status"] == "open" and one[0]["status_notes"] == "in_progress"
    assert one[0]["agency_responsible"] == "Urbanisme" and one[0]["expected_datetime"] is not None
    assert not {"description", "contact", "caller_number", "answer"} & set(one[0])
    assert (await client.get("/open311/v2/requests/00000000.json")).status_code == 404
    closed = (await client.get("/open311/v2/requests.json", params={"status": "closed"})).json()
    assert urbanism not in {item["service_request_id"] for item in closed}
    assert MONDAY.tzinfo is UTC


@pytest.mark.usefixtures("city")
async def test_the_dashboard_charts_series_count_every_week_and_rating_in_sql(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], clock: FixedClock, database_url: str
) -> None:
    paris = timedelta(hours=1)  # Europe/Paris in March 2031 (summer time starts on the 30th)
    week1 = datetime(2031, 3, 3, tzinfo=UTC) - paris  # Monday 3 March 2031, 00:00 in Paris
    week3, week4 = week1 + timedelta(weeks=2), week1 + timedelta(weeks=3)
    clock.now = week1 + timedelta(hours=10)
    pests = await _file(client, category="nuisibles")  # hygiene; left waiting: overdue by week 3
    clock.now += timedelta(days=1)
    permit = await _file(client, category="permis")  # urbanism; taken in week 3: in progress, on time
    clock.now = week3 + timedelta(minutes=30)  # Monday 00:30 in Paris, still Sunday in UTC: week 3, not week 2
    late_night = await _file(client, category="nuisibles")
    clock.now = week3 + timedelta(hours=11)
    await _ok(client, permit, people["r.alaoui"], action="take")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            for reference, rating in ((pests, 5), (permit, 2), (late_night, 5)):
                await connection.execute(text("UPDATE requests SET satisfaction = :rating WHERE reference = :ref"),
                                         {"rating": rating, "ref": reference})  # fmt: skip
    finally:
        await engine.dispose()
    period = {"from": week1.isoformat(), "to": week4.isoformat()}

    async def board(who: str, **query: str) -> dict[str, Any]:
        response = await client.get("/complaints/dashboard", params=query or period, headers=people[who])
        assert response.status_code == 200, response.text
        shown: dict[str, Any] = response.json()
        return shown

    mayor = await board("maire")
    assert mayor["total"] == 3 and mayor["overdue"] == 1
    assert [(week["week"], week["received"], week["overdue"]) for week in mayor["weekly"]] == [
        ("2031-03-03", 2, 1), ("2031-03-10", 0, 0), ("2031-03-17", 1, 0)]  # fmt: skip
    assert [(item["rating"], item["count"]) for item in mayor["satisfaction_distribution"]] == [
        (1, 0), (2, 1), (3, 0), (4, 0), (5, 2)]  # fmt: skip
    deputy = await board("adjoint.proprete")  # the technical services only: no urbanism
    assert [(week["received"], week["overdue"]) for week in deputy["weekly"]] == [(1, 1), (0, 0), (1, 0)]
    assert [item["count"] for item in deputy["satisfaction_distribution"]] == [0, 0, 0, 0, 2]
    quiet = await board("maire", **{"from": week4.isoformat(), "to": (week4 + timedelta(days=3)).isoformat()})
    assert quiet["total"] == 0 and quiet["weekly"] == [{"week": "2031-03-24", "received": 0, "overdue": 0}]
    assert [item["count"] for item in quiet["satisfaction_distribution"]] == [0, 0, 0, 0, 0]

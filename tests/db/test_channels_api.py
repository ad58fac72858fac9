"""The web form with photos and a place, paper mail at the desk, a request's files, and the citizen told of each
step in their language on their channel, through the API on a real PostgreSQL. Outbound mail is captured by a
fake sender here (the SMTP path itself: tests/db/test_mail_intake.py)."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from api.channels.models import CitizenNotification
from api.channels.notify import Notifier
from api.channels.outbound import LogOnlySms
from api.db import make_engine
from api.request_config import RequestConfig
from api.security.tokens import Role
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import empty_tables

Auth = dict[Role, dict[str, str]]


@dataclass
class CapturedMail:
    """A mail server that keeps what it is given."""

    sent: list[EmailMessage] = field(default_factory=list)

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def texts(self) -> list[str]:
        bodies = [message.get_body(preferencelist=("plain",)) for message in self.sent]
        return [body.get_content() for body in bodies if body is not None]


@dataclass
class Outbox:
    mail: CapturedMail
    sms: LogOnlySms


@pytest.fixture
async def outbox(app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[Outbox]:
    await empty_tables(database_url, "request_events", "requests", "rate_limits", "request_attachments",
                       "citizen_notifications", "request_satisfaction", "mail_messages")  # fmt: skip
    app.state.request_config = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=tmp_path,
                                             portal_limit=20)
    captured = Outbox(CapturedMail(), LogOnlySms())
    app.state.notifier = Notifier(mail_from="requests@cityhall.example", portal_url="https://portal.example",
                                  mail=captured.mail, sms=captured.sms, languages=("fr", "ar"))  # fmt: skip
    yield captured


def jpeg(size: tuple[int, int] = (120, 80), *, noise: bool = False) -> bytes:
    image = Image.new("RGB", size, (40, 120, 200))
    if noise:
        generator = random.Random(17)
        image = Image.frombytes("RGB", size, generator.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG" if not noise else "PNG")
    return out.getvalue()


FORM = {"request_type": "3", "description": "Dépôt d'ordures devant l'école", "contact": "amina@example.org",
        "language": "fr"}  # fmt: skip


async def test_a_web_form_with_a_photo_and_the_phones_position_reaches_staff(
    client: httpx.AsyncClient, auth: Auth, outbox: Outbox
) -> None:
    polyglot = jpeg() + b"<html><script>alert(1)</script></html>"
    form = {**FORM, "latitude": "33.5731", "longitude": "-7.5898", "location_text": "Rue 12, Maarif", "channel": "pwa"}
    created = await client.post("/portal/requests/form", data=form,
                                files=[("photos", ("../../photo.jpg", polyglot, "image/jpeg"))])  # fmt: skip
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    detail = (await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])).json()
    assert (detail["source"], detail["channel"], detail["location_text"]) == ("portal", "pwa", "Rue 12, Maarif")
    assert (detail["latitude"], detail["longitude"]) == (33.5731, -7.5898)
    listing = (await client.get(f"/requests/{reference}/attachments", headers=auth[Role.SUPERVISOR])).json()
    (photo,) = listing["items"]
    assert (photo["filename"], photo["media_type"], photo["origin"]) == ("photo.jpg", "image/jpeg", "web")
    opened = await client.get(f"/requests/{reference}/attachments/{photo['id']}", headers=auth[Role.SUPERVISOR])
    assert opened.status_code == 200 and opened.headers["content-type"] == "image/jpeg"
    assert opened.headers["content-disposition"].startswith("inline;")
    assert b"<script>" not in opened.content and Image.open(io.BytesIO(opened.content)).size == (120, 80)
    assert (await client.get(f"/requests/{reference}/attachments/{photo['id']}")).status_code == 401
    # the acknowledgement, in French, by e-mail
    assert outbox.mail.sent[0]["To"] == "amina@example.org" and f"[Ref {reference}]" in outbox.mail.sent[0]["Subject"]
    assert "Nous avons bien reçu votre demande" in outbox.mail.texts()[0]


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("plan.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "plan.svg: not one of"),
        ("photo.jpg", b"<!doctype html><script>alert(1)</script>", "photo.jpg: not one of"),
        ("scan.pdf", b"%PDF-1.7\n1 0 obj\n%%EOF", "scan.pdf: only photos"),
        ("broken.jpg", jpeg()[:200], "broken.jpg: the picture is damaged"),
    ],
)
async def test_a_form_with_a_file_that_is_not_a_photo_is_refused_whole(
    client: httpx.AsyncClient, auth: Auth, outbox: Outbox, name: str, content: bytes, says: str
) -> None:
    refused = await client.post("/portal/requests/form", data=FORM, files=[("photos", (name, content, "image/jpeg"))])
    assert refused.status_code == 422 and says in refused.json()["detail"], refused.text
    listing = await client.get("/requests", params={"due": "all"}, headers=auth[Role.SUPERVISOR])
    assert listing.json()["items"] == []


async def test_photos_may_exceed_the_json_body_limit_on_the_upload_routes_only(
    client: httpx.AsyncClient, auth: Auth, outbox: Outbox
) -> None:
    big = jpeg((800, 800), noise=True)
    assert len(big) > 1024 * 1024  # over the 1 MiB every other route keeps
    created = await client.post("/portal/requests/form", data=FORM, files=[("photos", ("big.png", big, "image/png"))])
    assert created.status_code == 201, created.text
    too_big = await client.post("/portal/requests", json={**FORM, "description": "x" * len(big)})
    assert too_big.status_code == 413


async def test_paper_mail_is_entered_by_desk_staff_with_its_scan(
    client: httpx.AsyncClient, auth: Auth, outbox: Outbox
) -> None:
    scan = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    form = {"request_type": "3", "description": "Lettre: nuisances sonores", "contact": "+212612345678",
            "language": "ar", "location_text": "Derb Sultan"}  # fmt: skip
    files = [("scans", ("lettre.pdf", scan, "application/pdf"))]
    assert (await client.post("/requests/paper", data=form, files=files)).status_code == 401
    created = await client.post("/requests/paper", data=form, files=files, headers=auth[Role.AGENT])
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    detail = (await client.get(f"/requests/{reference}", headers=auth[Role.SUPERVISOR])).json()
    assert (detail["source"], detail["channel"], detail["created_by"]) == ("paper", "paper", "test-agent")
    (stored,) = (await client.get(f"/requests/{reference}/attachments", headers=auth[Role.SUPERVISOR])).json()["items"]
    opened = await client.get(f"/requests/{reference}/attachments/{stored['id']}", headers=auth[Role.SUPERVISOR])
    assert opened.content == scan and opened.headers["content-disposition"].startswith("attachment;")
    # no e-mail address: the acknowledgement goes by SMS, in Arabic
    assert outbox.sms.sent == [("+212612345678", outbox.sms.sent[0][1])]
    assert "لقد توصلنا بطلبكم" in outbox.sms.sent[0][1] and reference in outbox.sms.sent[0][1]
    # the reception desk receives letters too; a department's officer does not enter them
    by_desk = await client.post("/requests/paper", data=form, headers=auth[Role.DESK])
    assert by_desk.status_code == 201, by_desk.text
    assert (await client.post("/requests/paper", data=form, headers=auth[Role.OFFICER])).status_code == 403


async def test_each_status_change_is_told_and_closing_asks_for_satisfaction_once(
    client: httpx.AsyncClient, auth: Auth, outbox: Outbox, database_url: str
) -> None:
    reference = (await client.post("/portal/requests", json={**FORM, "request_type": 3})).json()["reference"]
    staff = auth[Role.SUPERVISOR]
    for status, note in (("in_progress", ""), ("answered", "Le camion passera jeudi."), ("closed", "")):
        moved = await client.post(f"/requests/{reference}/status", json={"status": status, "note": note}, headers=staff)
        assert moved.status_code == 200, moved.text
    texts = outbox.mail.texts()
    assert len(texts) == 4  # received, then three steps
    assert "est maintenant : en cours de traitement" in texts[1]
    assert "Message du service : Le camion passera jeudi." in texts[2]
    # one thread in the citizen's mailbox: each message answers the one before
    assert outbox.mail.sent[0]["In-Reply-To"] is None
    assert [message["In-Reply-To"] for message in outbox.mail.sent[1:]] == [
        message["Message-ID"] for message in outbox.mail.sent[:-1]]  # fmt: skip
    link = next(line for line in texts[3].split() if line.startswith("https://portal.example/"))
    query = parse_qs(urlsplit(link).query)
    assert query["ref"] == [reference]
    answer = {"token": query["satisfaction"][0], "rating": 4, "comment": "rapide"}
    assert (await client.post(f"/portal/requests/{reference}/satisfaction", json=answer)).status_code == 204
    assert (await client.post(f"/portal/requests/{reference}/satisfaction", json=answer)).status_code == 409
    forged = {**answer, "token": "x" * 32}
    assert (await client.post(f"/portal/requests/{reference}/satisfaction", json=forged)).status_code == 409
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            kinds = (await connection.execute(select(CitizenNotification.kind, CitizenNotification.outcome)
                                              .order_by(CitizenNotification.id))).all()  # fmt: skip
    finally:
        await engine.dispose()
    assert [tuple(row) for row in kinds] == [("received", "sent"), ("in_progress", "sent"), ("answered", "sent"),
                                             ("closed", "sent")]  # fmt: skip


async def test_a_mail_server_that_fails_is_recorded_and_the_change_still_happens(
    client: httpx.AsyncClient, auth: Auth, outbox: Outbox, app: FastAPI
) -> None:
    app.state.notifier = Notifier(mail_from="requests@cityhall.example", portal_url="https://portal.example")
    created = await client.post("/portal/requests", json={**FORM, "request_type": 3})
    assert created.status_code == 201
    reference = created.json()["reference"]
    moved = await client.post(f"/requests/{reference}/status", json={"status": "in_progress"},
                              headers=auth[Role.SUPERVISOR])  # fmt: skip
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"

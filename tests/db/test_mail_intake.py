"""The e-mail channel for real: an SMTP client (smtplib) on loopback delivers to the intake (aiosmtpd) which
stores into PostgreSQL; the acknowledgement goes out over SMTP to a second aiosmtpd on loopback that captures it;
the citizen's reply to it threads onto the same request; hostile mail is refused with its reason and kept."""

from __future__ import annotations

import asyncio
import io
import os
import smtplib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.mail_server import IntakeHandler, start_intake
from api.channels.models import CitizenNotification, MailMessage, RequestAttachment
from api.channels.notify import Notifier
from api.channels.outbound import SmtpSender
from api.channels.settings import ChannelSettings
from api.db import make_engine
from api.models import RequestEvent, RequestRow
from api.request_config import RequestConfig
from callcenter.loading import load_callcenter
from tests.db.conftest import T0
from tests.support.database import empty_tables
from tests.support.mail import Capture, port_of
from tests.support.poll import eventually
from tests.support.ports import free_port
from tests.support.processes import stop_process

INTAKE = "requests@cityhall.example"
CITIZEN = "amina@example.org"


@dataclass
class Mailboxes:
    intake_port: int
    capture: Capture
    sessions: async_sessionmaker[AsyncSession]


@pytest.fixture
async def mail(database_url: str, tmp_path: Path) -> AsyncIterator[Mailboxes]:
    await empty_tables(database_url, "request_events", "requests", "mail_messages", "request_attachments",
                       "citizen_notifications", "request_satisfaction")  # fmt: skip
    engine = make_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
    capture = Capture()
    loop = asyncio.get_running_loop()
    outside = await loop.create_server(lambda: SMTP(capture), host="127.0.0.1", port=0)
    config = RequestConfig(callcenter=load_callcenter(), recordings_dir=tmp_path)
    settings = ChannelSettings(mail_address=INTAKE, mail_max_bytes=2 * 1024 * 1024)
    notifier = Notifier(mail_from=INTAKE, portal_url="https://portal.example",
                        mail=SmtpSender("127.0.0.1", port_of(outside)), languages=("fr", "ar"))  # fmt: skip
    handler = IntakeHandler(sessions, config=config, settings=settings, notifier=notifier, clock=lambda: T0)
    intake = await start_intake(handler, host="127.0.0.1", port=0, max_bytes=settings.mail_max_bytes)
    try:
        yield Mailboxes(port_of(intake), capture, sessions)
    finally:
        intake.close()
        outside.close()
        await intake.wait_closed()
        await outside.wait_closed()
        await engine.dispose()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue() + b"<script>alert(1)</script>"  # trailing bytes a re-encoding must drop


def citizen_mail(subject: str, text: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Amina B. <{CITIZEN}>"
    message["To"] = INTAKE
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(text)  # before the headers: it clears any Content-* header
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def deliver(port: int, message: EmailMessage, *, to: str = INTAKE) -> tuple[int, str]:
    """One SMTP transaction from a citizen's mail server; the server's final answer (RCPT's when it refuses)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo("mx.example.org")
        smtp.mail(CITIZEN)
        code, answer = smtp.rcpt(to)
        if code != 250:
            return code, answer.decode()
        code, answer = smtp.data(message.as_bytes())
        return code, answer.decode()


def declare_size(port: int, size: int) -> tuple[str, int]:
    """The SIZE the server announces, and its answer to a message declared `size` bytes long (RFC 1870)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo("mx.example.org")
        code, _ = smtp.mail(CITIZEN, [f"SIZE={size}"])
        return smtp.esmtp_features.get("size", ""), code


async def rows(sessions: async_sessionmaker[AsyncSession], query: object) -> list[object]:
    async with sessions() as session:
        return list((await session.scalars(query)).all())  # type: ignore[call-overload]


async def test_a_mail_becomes_a_request_with_its_photo_and_the_reply_threads_onto_it(mail: Mailboxes) -> None:
    first = citizen_mail("Dépôt sauvage rue des Oliviers", "Des ordures s'accumulent depuis une semaine.",
                         Content_Language="fr")  # fmt: skip
    first.add_attachment(photo_bytes(), maintype="image", subtype="png", filename="../../ordures.png")
    code, answer = await asyncio.to_thread(deliver, mail.intake_port, first)
    assert code == 250, answer
    assert "opened" in answer
    (request,) = await rows(mail.sessions, select(RequestRow))
    assert isinstance(request, RequestRow)
    assert (request.source, request.channel, request.contact, request.language) == ("email", "email", CITIZEN, "fr")
    assert "Dépôt sauvage" in request.description and "ordures" in request.description
    assert request.reference in answer
    (photo,) = await rows(mail.sessions, select(RequestAttachment))
    assert isinstance(photo, RequestAttachment)
    assert (photo.filename, photo.media_type, photo.origin) == ("ordures.png", "image/png", "email")
    assert b"<script>" not in photo.content
    assert Image.open(io.BytesIO(photo.content)).size == (64, 48)

    # The acknowledgement, in French, tagged and threaded on the citizen's message.
    ack = await eventually(lambda: mail.capture.messages[:1], timeout_s=10, what="the acknowledgement")
    assert ack[0]["To"] == CITIZEN
    assert f"[Ref {request.reference}]" in ack[0]["Subject"]
    assert ack[0]["In-Reply-To"] == first["Message-ID"]
    body = ack[0].get_body(preferencelist=("plain",))
    assert body is not None and "Nous avons bien reçu votre demande" in body.get_content()

    # The citizen answers the acknowledgement (their client keeps the tag and names the message it answers).
    reply = citizen_mail(f"Re: {ack[0]['Subject']}", "J'ajoute : il y a aussi des gravats.\n\n> Nous avons bien reçu",
                         In_Reply_To=str(ack[0]["Message-ID"]))  # fmt: skip
    code, answer = await asyncio.to_thread(deliver, mail.intake_port, reply)
    assert (code, answer) == (250, f"OK: added to request {request.reference}")
    assert len(await rows(mail.sessions, select(RequestRow))) == 1
    notes = await rows(mail.sessions, select(RequestEvent.note).where(RequestEvent.action == "email"))
    assert notes == [f"e-mail from {CITIZEN}: J'ajoute : il y a aussi des gravats."]

    # Without the tag (a client that rewrote the subject), In-Reply-To alone still finds the request.
    untagged = citizen_mail("encore", "Toujours rien.", In_Reply_To=str(ack[0]["Message-ID"]))
    code, answer = await asyncio.to_thread(deliver, mail.intake_port, untagged)
    assert (code, answer) == (250, f"OK: added to request {request.reference}")
    stored = await rows(mail.sessions, select(MailMessage.outcome).order_by(MailMessage.id))
    assert stored == ["request", "sent", "reply", "reply"]  # in, ack out, two replies: every one kept


async def test_the_same_message_delivered_twice_is_one_request(mail: Mailboxes) -> None:
    message = citizen_mail("Lampadaire en panne", "Avenue Hassan II, devant le numéro 12.")
    for _ in range(2):
        code, answer = await asyncio.to_thread(deliver, mail.intake_port, message)
        assert code == 250, answer
    assert len(await rows(mail.sessions, select(RequestRow))) == 1
    assert len(await rows(mail.sessions, select(MailMessage).where(MailMessage.direction == "in"))) == 2


@pytest.mark.parametrize(
    ("filename", "maintype", "subtype", "content", "reason"),
    [
        ("plan.svg", "image", "svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
         "plan.svg: not one of the accepted files"),
        ("photo.jpg", "image", "jpeg", b"<html><body>not a photo</body></html>", "photo.jpg: not one of"),
        ("facture.exe", "application", "octet-stream", b"MZ\x90\x00" + b"\x00" * 64, "facture.exe: not one of"),
        ("doc.pdf", "application", "pdf", b"%PDF-1.4\n<html><script>x</script>\n%%EOF", "doc.pdf: not a well-formed"),
    ],
)
async def test_hostile_mail_is_refused_with_its_reason_and_kept(
    mail: Mailboxes, filename: str, maintype: str, subtype: str, content: bytes, reason: str
) -> None:
    message = citizen_mail("Voir pièce jointe", "Merci")
    message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    code, answer = await asyncio.to_thread(deliver, mail.intake_port, message)
    assert code == 550 and answer.startswith(f"5.7.1 attachment refused: {reason}"), answer
    assert await rows(mail.sessions, select(RequestRow)) == []
    (kept,) = await rows(mail.sessions, select(MailMessage))
    assert isinstance(kept, MailMessage)
    assert kept.outcome == "refused" and reason in kept.reason
    assert kept.raw.replace(b"\r\n", b"\n").rstrip() == message.as_bytes().rstrip()  # as sent (SMTP's CRLFs aside)
    assert mail.capture.messages == []


async def test_other_recipients_oversized_and_automatic_mail(mail: Mailboxes) -> None:
    stranger = citizen_mail("x", "y")
    code, answer = await asyncio.to_thread(deliver, mail.intake_port, stranger, to="mayor@elsewhere.example")
    assert code == 550 and "no such mailbox" in answer
    announced, code = await asyncio.to_thread(declare_size, mail.intake_port, 3_000_000)
    assert (announced, code) == (str(2 * 1024 * 1024), 552)
    robot = citizen_mail("Absence du bureau", "Je suis absente.", Auto_Submitted="auto-replied")
    code, answer = await asyncio.to_thread(deliver, mail.intake_port, robot)
    assert code == 250 and "not answered" in answer
    assert await rows(mail.sessions, select(RequestRow)) == []
    assert mail.capture.messages == []  # no acknowledgement to a robot: no mail loop
    assert await rows(mail.sessions, select(CitizenNotification)) == []
    assert await rows(mail.sessions, select(MailMessage.outcome)) == ["ignored"]


async def test_ivr_mail_serve_is_its_own_process(mail: Mailboxes, database_url: str) -> None:
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "IVR_MAIL_ADDRESS": INTAKE,
                   "IVR_MAIL_LISTEN_PORT": str(port), "IVR_SMTP_HOST": ""}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ivr", "mail", "serve", env=environment, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), 30)
        assert banner.decode().startswith(f"E-mail intake: smtp://127.0.0.1:{port} for <{INTAKE}>")
        code, answer = await asyncio.to_thread(deliver, port, citizen_mail("Bruit la nuit", "Chantier à 2 h."))
        assert code == 250 and "opened" in answer, answer
    finally:
        assert await stop_process(process) == 0
    (request,) = await rows(mail.sessions, select(RequestRow))
    assert isinstance(request, RequestRow) and request.channel == "email" and request.reference in answer

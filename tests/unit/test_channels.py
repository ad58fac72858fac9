"""The channels' pure parts: what an e-mail means (api.channels.mail_intake), which files pass
(api.channels.attachments), the words sent to citizens (api.channels.notify), who gets a chat (api.channels.chat)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from api.channels.attachments import AttachmentRefused, check_attachment, safe_filename
from api.channels.chat import AgentSeat, choose_agent
from api.channels.mail_intake import Automatic, MailLimits, ParsedMail, Refused, read_mail, reference_in, tagged_subject
from api.channels.notify import message_text, text_language
from api.channels.outbound import build_mail


def mail(text: str = "Bonjour", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Amina <amina@Example.ORG>"
    message["Subject"] = "Trottoir encombré"
    message["Message-ID"] = "<m1@example.org>"
    message.set_content(text)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def png(size: tuple[int, int] = (10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("subject", "reference"),
    [("Re: [Ref 12345678] Votre demande", "12345678"), ("TR: [réf. 87654321]", "87654321"),
     ("[REF:#11112222] x", "11112222"), ("Ref 12345678 without brackets", None), ("[Ref 123] too short", None)],
)  # fmt: skip
def test_the_reference_tag_is_found_in_the_usual_reply_subjects(subject: str, reference: str | None) -> None:
    assert reference_in(subject) == reference


def test_a_tagged_subject_carries_the_tag_once() -> None:
    assert tagged_subject("Re: [Ref 12345678] Votre demande", "12345678") == "[Ref 12345678] Re:  Votre demande"
    assert reference_in(tagged_subject("Votre demande", "12345678")) == "12345678"


def test_a_reply_keeps_its_new_words_and_leaves_the_quote() -> None:
    text = "Merci, c'est réglé.\n\nLe 2 déc. 2026, Mairie a écrit :\n> Votre demande 12345678\n> est traitée."
    parsed = read_mail(mail(text, In_Reply_To="<ack@cityhall.example>", References="<a@x> <b@x>").as_bytes())
    assert isinstance(parsed, ParsedMail)
    assert parsed.text == "Merci, c'est réglé."
    assert parsed.thread_ids == ("<ack@cityhall.example>", "<a@x>", "<b@x>")
    assert (parsed.sender, parsed.sender_name, parsed.message_id) == ("amina@example.org", "Amina", "<m1@example.org>")


def test_html_only_mail_is_read_as_words() -> None:
    message = mail()
    message.set_content("<p>Le <b>lampadaire</b> est cassé</p>", subtype="html")
    parsed = read_mail(message.as_bytes())
    assert isinstance(parsed, ParsedMail) and parsed.text.split() == ["Le", "lampadaire", "est", "cassé"]


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [({"Auto_Submitted": "auto-replied"}, True), ({"Precedence": "bulk"}, True), ({"List_Id": "<l.example>"}, True),
     ({"Auto_Submitted": "no"}, False)],
)  # fmt: skip
def test_automatic_mail_is_recognised(headers: dict[str, str], automatic: bool) -> None:
    assert isinstance(read_mail(mail(**headers).as_bytes()), Automatic) is automatic


def test_mail_without_a_sender_or_with_too_many_parts_is_refused() -> None:
    anonymous = read_mail(b"Subject: hello\r\n\r\nbody\r\n")
    assert isinstance(anonymous, Refused) and "no sender" in anonymous.reason
    crowded = mail()
    for index in range(5):
        crowded.add_attachment(png(), maintype="image", subtype="png", filename=f"{index}.png")
    refused = read_mail(crowded.as_bytes(), limits=MailLimits(max_parts=4))
    assert isinstance(refused, Refused) and "too many parts" in refused.reason
    few = read_mail(crowded.as_bytes(), limits=MailLimits(max_attachments=3))
    assert isinstance(few, Refused) and "too many attachments (5; at most 3)" in few.reason


def test_pictures_are_re_encoded_and_bombs_refused() -> None:
    checked = check_attachment("C:\\Users\\a\\IMG 1.PNG", png() + b"trailing")
    assert (checked.filename, checked.media_type) == ("IMG 1.png", "image/png")
    assert not checked.content.endswith(b"trailing") and len(checked.sha256) == 64
    with pytest.raises(AttachmentRefused, match="too large"):
        check_attachment("big.png", png((3000, 3000)), max_pixels=1_000_000)
    with pytest.raises(AttachmentRefused, match="larger than 1 MB"):
        check_attachment("big.png", b"x" * (1024 * 1024 + 1), max_bytes=1024 * 1024)
    with pytest.raises(AttachmentRefused, match="empty"):
        check_attachment("none.png", b"")
    assert safe_filename("../../..", extension="jpg") == "file.jpg"


def test_texts_fall_back_to_a_language_we_have() -> None:
    assert text_language("ar", ("fr",)) == "ar"
    assert text_language("nl", ("zgh", "fr")) == "fr"
    assert text_language(None, ("de",)) == "en"
    text = message_text("rejected", language="fr", reference="12345678", comment="Hors compétence", link="")
    assert text == "Votre demande 12345678 est maintenant : rejetée.\n\nMessage du service : Hors compétence"
    assert message_text("a_new_step", language="en", reference="1") == "Your request 1 is now: a new step."


def test_outbound_mail_threads_on_what_it_answers() -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    message = build_mail(sender="r@city.example", to="a@example.org", subject="s", text="t", now=now,
                         domain="city.example", in_reply_to="<c@x>", references=("<a@x>", "<b@x>"))  # fmt: skip
    assert message["In-Reply-To"] == "<c@x>" and message["References"] == "<a@x> <b@x> <c@x>"
    assert message["Auto-Submitted"] == "auto-replied" and str(message["Message-ID"]).endswith("@city.example>")


def test_a_chat_goes_to_the_least_busy_agent_of_its_language() -> None:
    def seat(number: int, languages: set[str], busy: int) -> AgentSeat:
        agent = AgentSeat(id=number, name=f"a{number}", languages=frozenset(languages), ready_since=number,
                          outbox=asyncio.Queue())  # fmt: skip
        agent.conversations.update(range(100 * number, 100 * number + busy))
        return agent

    agents = [seat(1, {"fr"}, 2), seat(2, {"fr", "ar"}, 1), seat(3, {"ar"}, 0), seat(4, {"fr"}, 1)]
    assert choose_agent(agents, "fr") is agents[1]  # fewest, then ready longest
    assert choose_agent(agents, "ar") is agents[2]
    assert choose_agent(agents, "de") is None


@given(st.binary(max_size=2000))
@settings(max_examples=100, deadline=None)
def test_any_bytes_are_read_or_refused_never_raised(noise: bytes) -> None:
    assert isinstance(read_mail(noise), ParsedMail | Refused | Automatic)


@given(st.integers(min_value=0, max_value=2000), st.binary(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_a_damaged_real_message_is_read_or_refused(at: int, damage: bytes) -> None:
    message = mail("Texte")
    message.add_attachment(png(), maintype="image", subtype="png", filename="p.png")
    raw = message.as_bytes()
    assert isinstance(read_mail(raw[:at] + damage + raw[at + len(damage):]), ParsedMail | Refused | Automatic)

"""What an e-mail sent to the intake address means, decided from its bytes alone (sans-I/O: no socket, no
database): a new request, a reply to one, an automatic message to ignore, or a refusal with its reason.

Rules:
- Parsed with the standard library (`email`, policy=default). The raw bytes are never changed: the caller keeps
  them whatever the outcome, so a refused message can still be read by a person.
- A reply is recognised by the reference tag in its subject ("[Ref 12345678]", which every message we send
  carries), or else by In-Reply-To/References naming a message we sent or received for a request.
- Refused (hostile or unusable): no sender address, more MIME parts than `max_parts`, an attachment that is not
  an accepted file (api.channels.attachments), too many attachments, nothing written and nothing attached.
- Automatic mail (Auto-Submitted other than "no", Precedence bulk/junk/list, a null sender) is ignored: no request
  and no acknowledgement, so two robots never answer each other forever (RFC 3834).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses

from api.channels.attachments import AttachmentRefused, CheckedAttachment, check_attachment

REFERENCE_TAG = re.compile(r"\[\s*(?:ref|réf)\.?\s*:?\s*#?\s*(\d{6,12})\s*\]", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
MAX_TEXT_CHARS = 4000


@dataclass(frozen=True)
class MailLimits:
    max_parts: int = 40
    max_attachments: int = 10
    max_attachment_bytes: int = 8 * 1024 * 1024


@dataclass(frozen=True)
class ParsedMail:
    sender: str  # the address alone, lower-cased domain
    sender_name: str
    subject: str
    text: str
    message_id: str  # "<...>" or "" when the sender gave none
    thread_ids: tuple[str, ...]  # In-Reply-To then References, each "<...>"
    reference: str | None  # from the subject's tag
    language: str | None  # Content-Language's primary subtag
    attachments: tuple[CheckedAttachment, ...] = field(default=())


@dataclass(frozen=True)
class Refused:
    reason: str
    sender: str = ""
    subject: str = ""
    message_id: str = ""


@dataclass(frozen=True)
class Automatic:
    sender: str
    subject: str
    message_id: str


def reference_in(subject: str) -> str | None:
    found = REFERENCE_TAG.search(subject)
    return found.group(1) if found else None


def tagged_subject(subject: str, reference: str) -> str:
    """The subject of a message about a request: its tag, once."""
    clean = REFERENCE_TAG.sub("", subject).strip()
    return f"[Ref {reference}] {clean}".strip()


def read_mail(raw: bytes, *, limits: MailLimits | None = None) -> ParsedMail | Refused | Automatic:
    """What `raw` means; never raises (a message the parser chokes on is refused, and still kept by the caller)."""
    try:
        return _read(raw, limits or MailLimits())
    except Exception as error:
        return Refused(f"the message cannot be read ({type(error).__name__})")


def _read(raw: bytes, limits: MailLimits) -> ParsedMail | Refused | Automatic:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    subject = _header(message, "subject")[:400]
    message_id = _first_id(_header(message, "message-id"))
    sender_name, sender = _sender(message)
    if not sender:
        return Refused("the message has no sender address (From)", subject=subject, message_id=message_id)
    if _automatic(message):
        return Automatic(sender=sender, subject=subject, message_id=message_id)

    def refused(reason: str) -> Refused:
        return Refused(reason, sender=sender, subject=subject, message_id=message_id)

    parts = list(message.walk())
    if len(parts) > limits.max_parts:
        return refused(f"the message has too many parts ({len(parts)}; at most {limits.max_parts})")
    text = _body_text(message)
    attachments = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue  # an attached message: its own text is not ours to read
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        try:
            attachments.append(check_attachment(part.get_filename(), content, allow_pdf=True,
                                                max_bytes=limits.max_attachment_bytes))  # fmt: skip
        except AttachmentRefused as error:
            return refused(f"attachment refused: {error}")
    if len(attachments) > limits.max_attachments:
        return refused(f"too many attachments ({len(attachments)}; at most {limits.max_attachments})")
    if not text.strip() and not subject.strip() and not attachments:
        return refused("the message is empty")
    replied = MESSAGE_ID.findall(_header(message, "in-reply-to"))
    thread = tuple(replied + MESSAGE_ID.findall(_header(message, "references")))
    body = message.get_body(preferencelist=("plain", "html"))
    declared = _header(message, "content-language") or (_header(body, "content-language") if body else "")
    language = declared.split(",")[0].strip().split("-")[0].lower() or None
    return ParsedMail(sender=sender, sender_name=sender_name, subject=subject, text=text[:MAX_TEXT_CHARS],
                      message_id=message_id, thread_ids=thread, reference=reference_in(subject),
                      language=language, attachments=tuple(attachments))  # fmt: skip


def _header(message: MIMEPart, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of counts as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _first_id(value: str) -> str:
    found = MESSAGE_ID.search(value)
    return found.group(0) if found else ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    for name, address in getaddresses([_header(message, "from")]):
        if "@" in address and " " not in address and len(address) <= 254:
            local, _, domain = address.rpartition("@")
            try:
                Address(username=local, domain=domain)
            except (ValueError, IndexError):
                continue
            return name[:128], f"{local}@{domain.lower()}"
    return "", ""


def _automatic(message: EmailMessage) -> bool:
    auto = _header(message, "auto-submitted").lower()
    precedence = _header(message, "precedence").lower()
    return (auto not in ("", "no")) or precedence in ("bulk", "junk", "list") or bool(_header(message, "list-id"))


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset or a broken encoding
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if body.get_content_type() == "text/html":
        content = re.sub(r"<[^>]*>", " ", content)  # the words only: the HTML itself is never shown
    return _without_quote(content.replace("\x00", "")).strip()


def _without_quote(text: str) -> str:
    """A reply's new words: the quoted message below (lines starting with ">", and the "On ... wrote:" line
    before them) is already on the request."""
    lines = text.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith(">"):
            if kept and re.search(r"(wrote|écrit|a écrit|كتب)\s*:\s*$", kept[-1]):
                kept.pop()
            rest = lines[index + 1:]
            if all(not later.strip() or later.startswith(">") for later in rest):
                break
            continue
        kept.append(line)
    return "\n".join(kept)

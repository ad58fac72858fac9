"""`ivr mail serve`: the e-mail intake, an SMTP server (aiosmtpd) that turns each message into a request or a
reply on one. A thin adapter: the meaning of a message is api.channels.mail_intake's, the storing
api.crud.channels'.

Rules:
- Only the intake address is accepted as a recipient (550 for any other: this is no relay).
- The message is stored raw and committed before the answer: 250 means it is safely kept. A refused message is
  kept too, and the refusal (550 with the reason) reaches the sender through their own mail server's bounce.
- A database that cannot be reached answers 451: the sending server keeps the message and retries.
- SIZE is announced and enforced by aiosmtpd (552 beyond IVR_MAIL_MAX_BYTES).
- Put it behind the organisation's MTA (which does TLS, SPF/DKIM and spam filtering) or on a public port with
  your own TLS termination; it listens on loopback by default.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import datetime

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.mail_intake import Automatic, MailLimits, Refused, read_mail
from api.channels.notify import Notifier, Outbox
from api.channels.settings import ChannelSettings
from api.crud import calendar_overrides, channels
from api.request_config import RequestConfig

log = logging.getLogger(__name__)


def smtp_text(text: str) -> str:
    """One printable ASCII line (an SMTP reply cannot carry more)."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in " ".join(text.split()))[:400]


class IntakeHandler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        config: RequestConfig,
        settings: ChannelSettings,
        notifier: Notifier,
        clock: Callable[[], datetime],
        limits: MailLimits | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.settings = settings
        self.notifier = notifier
        self.clock = clock
        self.limits = limits or MailLimits()
        self.languages = tuple(language.code for language in config.callcenter.languages)

    async def handle_RCPT(  # noqa: N802  aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() != self.settings.mail_address.lower():
            return f"550 5.1.1 <{smtp_text(address)}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            return await self.receive(raw, recipients=list(envelope.rcpt_tos))
        except (SQLAlchemyError, OSError) as error:
            log.warning("mail intake: storing a message failed, the sender will retry: %s", error)
            return "451 4.3.0 temporary failure storing the message; please try again later"

    async def receive(self, raw: bytes, *, recipients: list[str]) -> str:
        """Store `raw`, then make or thread its request; the SMTP reply."""
        now = self.clock()
        outcome = read_mail(raw, limits=self.limits)
        async with self.sessions() as session:
            if isinstance(outcome, Refused):
                await channels.store_inbound(session, raw=raw, sender=outcome.sender, recipients=recipients,
                                             subject=outcome.subject, message_id=outcome.message_id,
                                             outcome="refused", reason=outcome.reason, now=now)  # fmt: skip
                log.info("mail intake: refused a message from %s: %s", outcome.sender, outcome.reason)
                return f"550 5.7.1 {smtp_text(outcome.reason)}"
            if isinstance(outcome, Automatic):
                await channels.store_inbound(session, raw=raw, sender=outcome.sender, recipients=recipients,
                                             subject=outcome.subject, message_id=outcome.message_id,
                                             outcome="ignored", reason="automatic message", now=now)  # fmt: skip
                return "250 OK: automatic message kept, not answered"
            stored = await channels.store_inbound(session, raw=raw, sender=outcome.sender, recipients=recipients,
                                                  subject=outcome.subject, message_id=outcome.message_id,
                                                  outcome="received", now=now)  # fmt: skip
            request = await channels.thread_of(session, mail=outcome)
            if request is not None:
                await channels.thread_reply(session, request=request, mail=outcome, stored=stored, now=now)
                return f"250 OK: added to request {request.reference}"
            language = outcome.language if outcome.language in self.languages else self.languages[0]
            config = self.config.with_overrides(await calendar_overrides.in_force(session))  # deadlines count them
            outbox = Outbox(self.notifier)  # the acknowledgement, recorded in the opening's transaction
            request = await channels.open_from_mail(session, config=config, mail=outcome, stored=stored,
                                                    request_type=self.settings.mail_request_type, language=language,
                                                    now=now, outbox=outbox)  # fmt: skip
            reply = f"250 OK: request {request.reference} opened"
            await outbox.deliver(session, now=now)  # after reading `request`: a failed try rolls its session back
            return reply


async def start_intake(handler: IntakeHandler, *, host: str, port: int, max_bytes: int) -> asyncio.Server:
    """The SMTP server on host:port (port 0: any free one, read it from the server's sockets)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, data_size_limit=max_bytes, enable_SMTPUTF8=True, hostname="ivr-mail-intake"),
        host=host,
        port=port,
    )


async def serve_forever(server: asyncio.Server) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()

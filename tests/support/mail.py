"""The outside world's mail server for tests: an aiosmtpd on loopback that keeps every message it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Capture:
    """The outside world's mail server: keeps what it is sent."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        assert isinstance(raw, bytes)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def port_of(server: asyncio.Server) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


@asynccontextmanager
async def capturing_smtp(port: int = 0) -> AsyncIterator[tuple[Capture, int]]:
    """A capturing SMTP server on a loopback port (0: a free one): (what it received, its port)."""
    capture = Capture()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(capture), host="127.0.0.1", port=port)
    try:
        yield capture, port_of(server)
    finally:
        server.close()
        await server.wait_closed()

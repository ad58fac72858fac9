"""The seats' secure WebSocket on the SIP edge (issue 20) opens only for the agent page's origin: a page of another
site open in an agent's browser, or a client that sends no Origin, is refused at the handshake with a 403 and
never reaches SIP. Kamailio alone, with the sandbox's origins (this machine, any port) as the allowed ones.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin, Subprotocol

from sandbox.edge import EdgeOptions, running_edge, unavailable_reason
from tests.support.ports import free_port

from .conftest import _unavailable

SIP = Subprotocol("sip")


def _origin(value: str | None) -> Origin | None:
    return None if value is None else Origin(value)


def _insecure() -> ssl.SSLContext:
    """The sandbox's edge has a self-signed certificate: this test is about the origin, not the certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _handshake(url: str, origin: str | None) -> int:
    """The handshake's status: 101 when the WebSocket opened, else the HTTP status Kamailio answered."""
    try:
        async with connect(url, ssl=_insecure(), origin=_origin(origin), subprotocols=[SIP], open_timeout=5) as ws:
            assert ws.subprotocol == "sip"
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


async def test_only_the_agent_pages_origin_opens_the_seats_websocket(tmp_path: Path) -> None:
    if reason := unavailable_reason():
        _unavailable(reason)
    box = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
    options = EdgeOptions(
        port=free_port(socket.SOCK_DGRAM), boxes=(box,), wss_port=free_port(socket.SOCK_STREAM),
        rpc_port=free_port(socket.SOCK_STREAM),
    )  # fmt: skip
    with running_edge(tmp_path / "edge", options, log=tmp_path / "kamailio.log"):
        assert await _handshake(options.wss_url, "http://127.0.0.1:8000") == 101
        assert await _handshake(options.wss_url, "https://localhost") == 101
        for hostile in (
            "https://evil.example",
            "http://127.0.0.1:8000.evil.example",  # the allowed origin as a prefix only
            "http://evil.example/http://127.0.0.1:8000",
            "null",  # a sandboxed iframe or a file:// page
            None,
        ):
            assert await _handshake(options.wss_url, hostile) == 403, hostile
    log = (tmp_path / "kamailio.log").read_text(errors="replace")
    assert "origin 'https://evil.example' is not the agent page's" in log

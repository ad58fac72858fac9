"""Who is on the other end: the client's address, behind trusted proxies only.

Rules:
- The direct peer (the TCP connection's address) is the client, unless it is one of the configured trusted
  proxies (IVR_API_TRUSTED_PROXIES: addresses or networks, none by default).
- Behind a trusted proxy, X-Forwarded-For is read from the right: each proxy appends the address it saw, so the
  rightmost entry that is not itself a trusted proxy is the client. Entries left of it were written by the client
  and prove nothing; a client rotating them stays the same client. When every entry is a trusted proxy, the
  leftmost is the client.
- X-Forwarded-Proto (its last value) is taken from a trusted proxy too, so HSTS and redirects know that the
  browser used https although the proxy spoke http to us.
- uvicorn's own proxy-header handling is turned off (api.main.PROXY_HEADERS): by default it believes any
  X-Forwarded-For sent from 127.0.0.1, which let a local client pick its address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An address as X-Forwarded-For entries write it: bare, or with a port ("1.2.3.4:80", "[::1]:80")."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 from a dual-stack socket is 10.0.0.1
    return address


def is_trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in trusted if network.version == address.version)


def client_address(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The client's address: `peer` unless it is a trusted proxy, then the rightmost untrusted X-Forwarded-For
    hop (`forwarded_for`: every X-Forwarded-For header value, in order)."""
    if not trusted or not is_trusted(parse_address(peer), trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if not is_trusted(address, trusted):
            return str(address) if address is not None else hop[:64]  # a proxy wrote something odd: keep it short
    if hops:
        leftmost = parse_address(hops[0])
        return str(leftmost) if leftmost is not None else peer
    return peer


class TrustedProxyMiddleware:
    """Rewrites the scope's client (and scheme) from the forwarded headers of trusted proxies, so that every
    route, the rate limits and the logs see the client's address."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.trusted:
            await self.app(scope, receive, send)
            return
        peer_host, peer_port = scope.get("client") or ("", 0)
        if not is_trusted(parse_address(peer_host), self.trusted):
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        forwarded = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
        # in place, as uvicorn's own proxy middleware does: its access log then names the client too
        scope["client"] = (client_address(peer_host, forwarded, self.trusted), peer_port)
        protos = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-proto"]
        if protos:
            proto = protos[-1].split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                secure = proto == "https"
                if scope["type"] == "websocket":
                    scope["scheme"] = "wss" if secure else "ws"
                else:
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


def limit_key(address: str) -> str:
    """The part of a client's address a rate limit counts: the address, or for IPv6 its /64 (one subscriber
    usually holds a whole /64, and could otherwise take a fresh address for every try)."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else address[:64]

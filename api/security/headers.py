"""Security headers on every HTTP response: pages, static files, JSON and problems alike.

Rules:
- Content-Security-Policy: everything from this origin only. The pages are plain ES modules and stylesheets under
  /ui (no inline script or style: api/web has none, and must keep it so); connect-src adds the live WebSocket of
  this host (ws: and wss:, for browsers that do not count them as 'self') and the configured sources
  (IVR_API_CSP_CONNECT_SRC: the agents' softphones reach Asterisk's WebRTC WebSocket, wss://HOST:8089/ws).
  frame-ancestors 'none' (and X-Frame-Options DENY for older browsers): no page may be framed (clickjacking).
- A response that sets its own Content-Security-Policy keeps it (ReDoc's, api.routes.docs).
- X-Content-Type-Options nosniff, Referrer-Policy no-referrer (a page address may carry a request reference).
- Strict-Transport-Security only on a request that came over https (directly, or from a trusted proxy's
  X-Forwarded-Proto, api.net), and only when IVR_API_HSTS_SECONDS > 0: over plain http it means nothing, and
  sending it from a test host on http would be wrong.
- The Host header only goes into the policy when it is a plain host[:port]; otherwise the policy keeps 'self'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PLAIN_HOST = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$")

# Everything but connect-src, which depends on the host and the settings.
BASE_POLICY = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",  # blob: a request's photos, fetched with the staff's credentials (requests.js)
    "font-src 'self' data:",
    "media-src 'self' blob:",
    "manifest-src 'self'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


def content_security_policy(host: str | None, connect_src: Sequence[str] = (), *, style_src: str = "'self'") -> str:
    """The policy for a page served to `host` (the request's Host header)."""
    connect = ["'self'"]
    if host and PLAIN_HOST.match(host):
        connect += [f"ws://{host}", f"wss://{host}"]
    connect += list(connect_src)
    directives = [d if not d.startswith("style-src ") else f"style-src {style_src}" for d in BASE_POLICY]
    return "; ".join([*directives, f"connect-src {' '.join(connect)}"])


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, connect_src: Sequence[str] = (), hsts_seconds: int = 0) -> None:
        self.app = app
        self.connect_src = tuple(connect_src)
        self.hsts_seconds = hsts_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"host"), None)
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = content_security_policy(host, self.connect_src)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if secure and self.hsts_seconds > 0:
                    headers["Strict-Transport-Security"] = f"max-age={self.hsts_seconds}"
            await send(message)

        await self.app(scope, receive, send_with_headers)

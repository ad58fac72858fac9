"""Browser sessions of signed-in staff: the cookie, its lifetime, CSRF, and the sign-in rate limit's arithmetic.

Rules:
- The cookie holds 256 random bits; PostgreSQL keeps only their SHA-256 (as for bearer tokens: with that much
  entropy a fast hash is enough, and it is what the lookup indexes). A stolen database opens no session.
- The cookie is HttpOnly (page scripts never see it), SameSite=Strict (no other site's page or link makes the
  browser send it: the pages are all on the API's own origin, so Strict costs nothing) and Secure. Browsers treat
  http://localhost and http://127.0.0.1 as secure contexts and keep Secure cookies there, so the plain-http demo
  works as is; `IVR_API_COOKIE_SECURE=false` exists only for a test rig reaching the API by a non-loopback name
  over plain http, never for production.
- A session ends at the first of: sign-out, an admin disabling the user or resetting their password, `idle`
  without use (a page with the live socket open counts as use), or `absolute` after sign-in, however busy.
- Last use is written at most once per `TOUCH_INTERVAL`, not on every request.
- CSRF: every session has its own random CSRF token, given to the pages by GET /auth/me; a request authenticated
  by the cookie with an unsafe method must carry it in the X-CSRF-Token header (403 otherwise). SameSite=Strict
  already stops cross-site requests; the token also stops a same-site one (another app on a sibling subdomain).
  Bearer requests are exempt: no browser adds an Authorization header on its own.
- Sign-in attempts are counted per username and per client address in fixed windows kept in PostgreSQL (so every
  API process shares them); at the limit the answer is 429 with Retry-After, the password is not even checked.
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.security.tokens import hash_secret

SESSION_COOKIE = "ivr_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class LoginLimit:
    """At most `per_user` failures for one username and `per_address` from one address per `window`."""

    per_user: int
    per_address: int
    window: timedelta


def new_session_secret() -> str:
    return secrets.token_urlsafe(32)


def session_hash(secret: str) -> str:
    return hash_secret(secret)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(method: str, sent: str | None, expected: str) -> bool:
    """Safe methods need no token; the others need the session's, compared in constant time."""
    if method.upper() in SAFE_METHODS:
        return True
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def session_alive(
    *, last_used_at: datetime, expires_at: datetime, ended_at: datetime | None, now: datetime, policy: SessionPolicy
) -> bool:
    return ended_at is None and now < expires_at and now - last_used_at < policy.idle


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= TOUCH_INTERVAL


def retry_after_s(*, failures: int, window_started_at: datetime, limit: int, window: timedelta, now: datetime) -> int:
    """Whole seconds until another attempt is allowed (0: allowed now)."""
    ends = window_started_at + window
    if failures < limit or now >= ends:
        return 0
    return max(1, math.ceil((ends - now).total_seconds()))

"""Staff sign-in for the pages: a password in, an HttpOnly session cookie out (rules: api.security.sessions).

- POST /auth/login: wrong password, unknown or disabled user all get the same 401 after the same argon2 work
  (api.security.passwords); too many failures for the username or from the address: 429 with Retry-After, before
  any password is checked. The body must be JSON, which a cross-site form cannot send. The address is the
  client's as api.net finds it: the TCP peer, or behind a configured trusted proxy its X-Forwarded-For, never a
  header any client can set.
- GET /auth/me: who is calling, with the session's CSRF token for the pages to send back.
- POST /auth/logout: ends the session (CSRF-checked like any unsafe request) and clears the cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from api.config import ApiSettings
from api.crud import login_limits, staff_sessions, users
from api.deps import IdentityDep, NowDep, SessionDep, SettingsDep
from api.problems import documented
from api.schemas.users import LoginRequest, Me
from api.security.passwords import hash_in_thread, needs_rehash, verify_in_thread
from api.security.sessions import SESSION_COOKIE
from api.security.tokens import Role
from api.security.users import normalise_username

router = APIRouter(prefix="/auth", tags=["auth"])
WRONG = "wrong username or password"


def _set_cookie(response: Response, settings: ApiSettings, secret: str) -> None:
    # no Max-Age: the browser forgets it when it closes; the server ends it anyway (idle and absolute expiry)
    response.set_cookie(
        SESSION_COOKIE, secret, httponly=True, secure=settings.cookie_secure, samesite="strict", path="/"
    )


@router.post("/login", responses=documented(401, 429))
async def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Me:
    """Sign in with a username and a password: sets the session cookie and says who signed in."""
    username = normalise_username(body.username)
    address = request.client.host if request.client else "unknown"
    limit = settings.login_limit
    wait = await login_limits.retry_after(session, username=username, address=address, now=now, limit=limit)
    if wait:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many failed sign-ins; try later", headers={"Retry-After": str(wait)}
        )
    user = await users.get_user(session, username=username)
    matches = await verify_in_thread(user.password_hash if user is not None else None, body.password)
    if user is None or not matches or user.disabled:
        await login_limits.record_failure(session, username=username, address=address, now=now, window=limit.window)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG)
    await login_limits.clear_user_failures(session, username=username)
    if needs_rehash(user.password_hash):
        await users.rehash_password(session, user=user, password_hash=await hash_in_thread(body.password), now=now)
    secret, csrf = await staff_sessions.start_session(session, user=user, now=now, policy=settings.session_policy)
    _set_cookie(response, settings, secret)
    return Me(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        seat=user.seat,
        language=user.language,
        csrf_token=csrf,
        expires_at=now + settings.session_policy.absolute,
    )


@router.get("/me")
async def me(identity: IdentityDep, session: SessionDep) -> Me:
    """Who is calling: name, role, seat, language and, for a signed-in page, its CSRF token."""
    principal, signed_in = identity.principal, identity.signed_in
    user = await users.get_user(session, username=principal.name) if signed_in is not None else None
    return Me(
        username=principal.name,
        display_name=user.display_name if user is not None else principal.name,
        role=principal.role,
        seat=principal.seat,
        language=user.language if user is not None else None,
        csrf_token=signed_in.csrf_token if signed_in is not None else None,
        expires_at=signed_in.expires_at if signed_in is not None else None,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    identity: IdentityDep, response: Response, session: SessionDep, settings: SettingsDep, now: NowDep
) -> None:
    """Sign out: the session ends at once (its live sockets close within seconds) and the cookie is cleared."""
    if identity.signed_in is not None:
        await staff_sessions.end_session(session, session_id=identity.signed_in.session_id, now=now)
    response.delete_cookie(SESSION_COOKIE, httponly=True, secure=settings.cookie_secure, samesite="strict", path="/")

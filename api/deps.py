"""Every dependency of the routes: the database session, settings, the clock, the live service, the request
configuration, and who is calling (a bearer token or a session cookie -> the same Principal, then a role check).

Who is calling: a bearer token wins when one is sent (machines; a bad one is 401 even with a cookie); otherwise
the session cookie of a signed-in person, with the CSRF check for unsafe methods (api.security.sessions).

Settings, the clock, the session factory and the live service live on app.state, set once by create_app.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request, WebSocket, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.ami.service import LiveService
from api.channels.notify import Notifier, notifier_for, transition_recorder
from api.channels.settings import ChannelSettings
from api.complaints import offered_categories
from api.config import ApiSettings
from api.credential_watch import CredentialWatch
from api.crud import calendar_overrides, staff_sessions, tokens
from api.crud.staff_sessions import SignedIn
from api.metrics import HttpMetrics
from api.request_config import RequestConfig
from api.security.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_ok
from api.security.tokens import Principal, Role
from callcenter.overrides import CalendarOverrides

log = logging.getLogger(__name__)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        yield session


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def get_live(request: Request) -> LiveService:
    live: LiveService | None = getattr(request.app.state, "live", None)
    if live is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "live queue state is not running")
    return live


def get_notifier(request: Request) -> Notifier:
    """Built once from the environment (IVR_SMTP_*, IVR_MAIL_ADDRESS); tests put theirs on app.state first."""
    return app_notifier(request.app)


def app_notifier(app: FastAPI) -> Notifier:
    """The application's notifier (get_notifier; the notification worker of the lifespan asks it each round)."""
    notifier: Notifier | None = getattr(app.state, "notifier", None)
    if notifier is None:
        callcenter = app.state.callcenter
        languages = tuple(language.code for language in callcenter.languages) if callcenter else ("fr",)
        notifier = app.state.notifier = notifier_for(ChannelSettings(), languages)
    return notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]


def base_request_config(request: Request) -> RequestConfig:
    """Built on first use from the environment; tests put their own on `app.state.request_config` first."""
    config: RequestConfig | None = getattr(request.app.state, "request_config", None)
    if config is None:
        config = RequestConfig.from_environment(request.app.state.callcenter)
        # the citizen told of each workflow step on their channel, recorded in the step's own transaction (issue 17:
        # api.channels.notify)
        config.record_transition.append(transition_recorder(request.app.state.sessions, get_notifier(request)))
        request.app.state.request_config = config
    return config


async def get_request_config(request: Request, session: SessionDep) -> RequestConfig:
    """The request configuration with the closures entered on /ui/closures.html in its calendars, so deadlines
    count them; when PostgreSQL cannot say, the file's calendar (the route itself then answers 503 if it needs
    the database)."""
    config = base_request_config(request)
    try:
        overrides = await calendar_overrides.in_force(session)
        await session.rollback()  # the route starts on a fresh transaction, as if nothing had been read
    except (SQLAlchemyError, OSError) as error:  # an outage (api.problems); routes without the database go on
        log.warning("calendar overrides unreadable, deadlines count the file's closures only: %s", error)
        await session.close()
        overrides = CalendarOverrides()
    return config.with_overrides(overrides)


def get_optional_live(request: Request) -> LiveService | None:
    """The live service, or None (for the routes that report on it rather than use it: /health, /metrics)."""
    live: LiveService | None = getattr(request.app.state, "live", None)
    return live


def get_http_metrics(request: Request) -> HttpMetrics:
    metrics: HttpMetrics = request.app.state.http_metrics
    return metrics


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
LiveDep = Annotated[LiveService, Depends(get_live)]
RequestConfigDep = Annotated[RequestConfig, Depends(get_request_config)]
OptionalLiveDep = Annotated[LiveService | None, Depends(get_optional_live)]
HttpMetricsDep = Annotated[HttpMetrics, Depends(get_http_metrics)]

# -- who is calling -------------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="A token created with `ivr token create`")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The session of POST /auth/login")


@dataclass(frozen=True)
class Identity:
    principal: Principal
    signed_in: SignedIn | None  # None: a bearer token


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


async def identify(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Identity:
    """A bad, revoked, expired or (outside demo mode) demo token, or no live session: 401; a cookie without
    the session's CSRF token on an unsafe method: 403."""
    settings: ApiSettings = request.app.state.settings
    now: datetime = request.app.state.clock()
    if credentials is not None and credentials.credentials:
        principal = await tokens.principal_for_secret(
            session, secret=credentials.credentials, demo=settings.demo, now=now
        )
        if principal is None:
            raise _unauthorized("invalid, revoked or expired bearer token")
        return Identity(principal, None)
    if cookie:
        found = await staff_sessions.signed_in(session, secret=cookie, now=now, policy=settings.session_policy)
        if found is not None:
            if not csrf_ok(request.method, request.headers.get(CSRF_HEADER), found.csrf_token):
                raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
            return Identity(found.principal, found)
    raise _unauthorized("sign in, or send a bearer token")


async def authenticate(identity: Annotated[Identity, Depends(identify)]) -> Principal:
    return identity.principal


IdentityDep = Annotated[Identity, Depends(identify)]


def credential_watch(websocket: WebSocket) -> CredentialWatch:
    """The app's one watch over open sockets' credentials (api.credential_watch), made at first use."""
    watch: CredentialWatch | None = getattr(websocket.app.state, "credential_watch", None)
    if watch is None:
        state = websocket.app.state
        watch = state.credential_watch = CredentialWatch(state.sessions, state.settings, state.clock)
    return watch


class CredentialsUncheckableError(Exception):
    """The database did not answer a credentials lookup."""


async def socket_principal(websocket: WebSocket, secret: str | None) -> Principal | None:
    """The same lookups for a WebSocket, on a session of its own (an open socket must not hold a connection):
    the token `secret` when given, else the handshake's session cookie."""
    try:
        return await _socket_principal(websocket, secret)
    except (SQLAlchemyError, OSError) as error:
        raise CredentialsUncheckableError(str(error)) from error


async def _socket_principal(websocket: WebSocket, secret: str | None) -> Principal | None:
    sessions: async_sessionmaker[AsyncSession] = websocket.app.state.sessions
    settings: ApiSettings = websocket.app.state.settings
    now: datetime = websocket.app.state.clock()
    async with sessions() as session:
        if secret:
            return await tokens.principal_for_secret(session, secret=secret, demo=settings.demo, now=now)
        cookie = websocket.cookies.get(SESSION_COOKIE)
        origin = websocket.headers.get("origin")
        # a cookie rides along whoever opens the socket: only a page of our own origin may use it
        if not cookie or (origin is not None and urlsplit(origin).netloc != websocket.headers.get("host")):
            return None
        found = await staff_sessions.signed_in(session, secret=cookie, now=now, policy=settings.session_policy)
        return None if found is None else found.principal


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only `roles` (403 for any other valid token)."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role.value!r} may not do this")
        return principal

    return check


STAFF_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)

# the call plane's roles, not the complaint workflow's (desk, officer, official reach no call data)
AnyRoleDep = Annotated[Principal, Depends(require(Role.AGI, *STAFF_ROLES))]
AgiWriterDep = Annotated[Principal, Depends(require(Role.AGI, Role.ADMIN))]  # the agi service writing records
StaffDep = Annotated[Principal, Depends(require(*STAFF_ROLES))]
SupervisorDep = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.ADMIN))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
WaitingDep = Annotated[Principal, Depends(require(Role.AGI, Role.SUPERVISOR, Role.ADMIN))]  # queue waits, callbacks
StatusReaderDep = Annotated[Principal, Depends(require(Role.AGI, *STAFF_ROLES))]
LetterDep = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.DESK))]  # paper mail: the reception desk too

# -- query checks -----------------------------------------------------------------------------------------------


def require_offsets(**instants: datetime | None) -> None:
    """422 naming the query parameter when a period bound has no UTC offset (whose midnight would it be?)."""
    for name, instant in instants.items():
        if instant is not None and instant.utcoffset() is None:
            raise RequestValidationError(
                [
                    {
                        "type": "timezone_aware",
                        "loc": ("query", name),
                        "msg": "needs a UTC offset, e.g. 2026-01-01T00:00:00Z",
                    }
                ]
            )


def check_request_choice(config: RequestConfig, number: int, category: str | None = None) -> None:
    """422 for a request type the configuration does not have, or a category that type does not offer
    (api.complaints.offered_categories; GET /portal/config lists them). Every route opening a request asks this."""
    kind = config.callcenter.request_type(str(number))
    if kind is None:
        known = ", ".join(kind.digit for kind in config.callcenter.request_types)
        raise HTTPException(422, f"request_type {number} is not configured (known: {known})")
    if category is None:
        return
    offered = offered_categories(config.callcenter.complaints, type_key=kind.key)
    if not offered:
        raise HTTPException(422, f"category {category!r}: request_type {number} takes no category")
    if all(found.key != category for found in offered):
        raise HTTPException(422, f"category {category!r} is not a category of request_type {number} "
                                 "(GET /portal/config lists them)")  # fmt: skip

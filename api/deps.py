"""Every dependency of the routes: the database session, settings, the clock, the live service, the request
configuration, and who is calling (bearer token -> Principal, then a role check).

Settings, the clock, the session factory and the live service live on app.state, set once by create_app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.ami.service import LiveService
from api.config import ApiSettings
from api.crud import tokens
from api.metrics import HttpMetrics
from api.request_config import RequestConfig
from api.security.tokens import Principal, Role


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


def get_request_config(request: Request) -> RequestConfig:
    """Built on first use from the environment; tests put their own on `app.state.request_config` first."""
    config: RequestConfig | None = getattr(request.app.state, "request_config", None)
    if config is None:
        config = RequestConfig.from_environment(request.app.state.callcenter)
        request.app.state.request_config = config
    return config


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


async def authenticate(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """No token, an unknown or revoked one, or a demo one outside demo mode: 401."""
    principal = None
    if credentials is not None and credentials.credentials:
        principal = await tokens.principal_for_secret(
            session, secret=credentials.credentials, demo=request.app.state.settings.demo
        )
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


async def socket_principal(websocket: WebSocket, secret: str) -> Principal | None:
    """The same lookup for a WebSocket, on a session of its own: an open socket must not hold a connection."""
    sessions: async_sessionmaker[AsyncSession] = websocket.app.state.sessions
    async with sessions() as session:
        return await tokens.principal_for_secret(session, secret=secret, demo=websocket.app.state.settings.demo)


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only `roles` (403 for any other valid token)."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role.value!r} may not do this")
        return principal

    return check


STAFF_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)

AnyRoleDep = Annotated[Principal, Depends(require(*Role))]
AgiWriterDep = Annotated[Principal, Depends(require(Role.AGI, Role.ADMIN))]  # the agi service writing records
StaffDep = Annotated[Principal, Depends(require(*STAFF_ROLES))]
SupervisorDep = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.ADMIN))]
WaitingDep = Annotated[Principal, Depends(require(Role.AGI, Role.SUPERVISOR, Role.ADMIN))]  # queue waits, callbacks
StatusReaderDep = Annotated[Principal, Depends(require(Role.AGI, *STAFF_ROLES))]

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

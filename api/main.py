"""The API application and `ivr api`: wiring only.

Start-up order (in the lifespan, and up front in `main` so a refusal is a clear message, not a traceback):
database URL (embedded PostgreSQL unless DATABASE_URL) -> migrations -> access check. Outside demo mode the
API refuses to start while no usable token exists, and deletes demo tokens and demo staff accounts; with
IVR_DEMO=1 it creates the known demo tokens and demo staff accounts (api.demo_users) and `main` prints them,
with fresh random passwords, and the sign-in address.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import urlsplit

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.ami.follow import follow_file
from api.ami.service import AmiEnvironment, start_live
from api.body_limit import BodyLimitMiddleware
from api.channels.notify import run_worker  # durable citizen notifications
from api.complaints import demo_workflow_users
from api.config import ApiSettings
from api.crud.tokens import count_usable_tokens, delete_demo_tokens, ensure_demo_tokens
from api.crud.users import DEMO_USERS, count_enabled_admins, delete_demo_users, ensure_demo_users
from api.db import make_engine, resolve_database_url, run_migrations
from api.deps import app_notifier  # durable citizen notifications
from api.metrics import HttpMetrics, RequestObservabilityMiddleware
from api.net import TrustedProxyMiddleware
from api.problems import ParameterGuardMiddleware, install_problem_handlers, problem_openapi
from api.request_config import RequestSettings
from api.retention import start_daily, stop_daily
from api.routes import (
    agents,
    audit,
    auth,
    callbacks,
    callers,
    calls,
    channels,
    chat,
    health,
    live,
    reports,
    request_reports,
    requests,
    supervision,
    users,
)
from api.routes import metrics as metrics_route
from api.routes.complaints import router as complaints_router
from api.routes.desk import router as desk_router
from api.routes.dispositions import router as dispositions_router
from api.routes.docs import router as docs_router
from api.routes.guide import router as guide_router  # issue 16: the consular guide
from api.routes.guide_public import router as guide_public_router
from api.routes.guide_upkeep import router as guide_upkeep_router
from api.routes.notifications import router as notifications_router  # citizen notifications: retry
from api.routes.operations import router as operations_router
from api.routes.prompts import PROMPT_UPLOAD, PROMPT_UPLOAD_MAX_BYTES
from api.routes.prompts import router as prompts_router
from api.routes.softphone import router as softphone_router
from api.security.headers import SecurityHeadersMiddleware
from callcenter.config import CallCenter
from callcenter.loading import load_callcenter
from callcenter.logs import configure_logging

log = logging.getLogger(__name__)

# The live snapshot (~32 KB with 200 waiting callers) goes to every open page on each change. Compressing it per
# connection (permessage-deflate, which browsers offer) cost ~0.5 ms of CPU per page per change and put the p99
# AMI-event-to-page latency with 43 pages past 50 ms (benchmarks/wallboard.py: ~75 ms with it, ~20 ms without).
# The pages are on the call center's network: send plain frames.
WEBSOCKET_DEFLATE = False
# uvicorn's proxy headers believe X-Forwarded-For from 127.0.0.1 by default: a local client could pick any address
# (and so escape the portal's rate limit). api.net reads it from IVR_API_TRUSTED_PROXIES only.
PROXY_HEADERS = False


class StartupRefusedError(Exception):
    """The API will not serve: the message says what to do."""


def utc_now() -> datetime:
    return datetime.now(UTC)


async def prepare_database(
    engine: AsyncEngine,
    settings: ApiSettings,
    *,
    now: datetime,
    out: TextIO | None = None,
    callcenter: CallCenter | None = None,
) -> None:
    """Migrate, then make sure someone can authenticate (and that no demo secret can, outside demo mode). With
    `out` in demo mode, the demo staff get new passwords, printed there."""
    await run_migrations(engine)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        if settings.demo:
            tokens = await ensure_demo_tokens(session, now=now)
            workflow_people = demo_workflow_users(callcenter, taken={user.username for user in DEMO_USERS})
            passwords = await ensure_demo_users(session, now=now, new_passwords=out is not None, extra=workflow_people)
            if out is not None:
                print("IVR_DEMO=1: demo tokens (never use these in production):", file=out)
                for role, secret in tokens.items():
                    print(f"  {role.value:<10} {secret}", file=out)
                host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
                address = f"http://{host}:{settings.port}/ui/signin.html"
                print(f"Sign in at {address} (demo staff; new passwords at each start):", file=out)
                for username, (label, password) in passwords.items():
                    print(f"  {username:<11} {password}   {label}", file=out)
            return
        await delete_demo_tokens(session)
        await delete_demo_users(session)
        if await count_usable_tokens(session, now=now) == 0:
            raise StartupRefusedError(
                "no API token exists, so nobody could use the API. Create one with\n"
                "  ivr token create --role admin --name YOUR_NAME\n"
                "(and one with --role agi for the agi service), or run a demo with IVR_DEMO=1."
            )
        if out is not None and await count_enabled_admins(session) == 0:
            print(
                "note: no staff account can manage the others yet; create one with\n"
                "  ivr user create --role admin --username YOU --name 'Your Name'",
                file=out,
            )


def load_callcenter_once() -> CallCenter | None:
    """The call-center file, read once per process and handed down; None when it is broken (`ivr config` says
    why): the wallboard and the call records still work, request routes answer 500 until it is fixed."""
    try:
        return load_callcenter()
    except Exception:
        log.exception("cannot load the call-center file; agents cannot log in by language")
        return None


def csp_connect_src(settings: ApiSettings) -> list[str]:
    """The pages' extra connect-src: the configured sources and the softphone's WSS origin (api.security.headers)."""
    sources = list(settings.csp_connect_src)
    if settings.softphone_wss_url:
        wss = urlsplit(settings.softphone_wss_url)
        if wss.scheme in ("ws", "wss") and wss.netloc and f"{wss.scheme}://{wss.netloc}" not in sources:
            sources.append(f"{wss.scheme}://{wss.netloc}")
    return sources


def create_app(
    settings: ApiSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    ami: AmiEnvironment | None = None,
    callcenter: CallCenter | None = None,
) -> FastAPI:
    """The application; `callcenter` None: read the call-center file (IVR_CALLCENTER) once, at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.callcenter is None:
            app.state.callcenter = load_callcenter_once()
        url = await resolve_database_url(
            settings.database_url, var_dir=settings.var_dir, database=settings.embedded_database
        )
        engine = make_engine(url)
        try:
            await prepare_database(engine, settings, now=clock(), callcenter=app.state.callcenter)
            app.state.sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
            # live queue state; AMI only when `ami` has a secret, so the API also runs without Asterisk
            app.state.live = await start_live(
                app.state.sessions,
                timezone=settings.timezone,
                service_level_s=settings.service_level_seconds,
                clock=clock,
                ami=ami,
                queues_by_language=language_queues(app.state.callcenter),
            )
            follow_file(app.state.live, app.state.callcenter)  # the wallboard's cards follow the file
            # the daily retention job (api.retention); off when cron runs `ivr retention run` instead
            retention = (
                start_daily(app.state.sessions, settings, clock=clock, recordings_dir=RequestSettings().recordings_dir)
                if settings.retention_job
                else None
            )
            # citizen notifications left pending or failed, retried with backoff (api.channels.notify)
            notifications = asyncio.create_task(
                run_worker(app.state.sessions, lambda: app_notifier(app), clock=clock), name="notifications"
            )
            try:
                yield
            finally:
                await stop_daily(notifications)
                await stop_daily(retention)
                await app.state.live.stop()
                await chat.close_hub(app.state)  # the chat's LISTEN connection, if the chat was used
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Call center IVR: call records API",
        version="0.1.0",
        description="Call records posted by the agi service, remembered caller languages, and reports. "
        "Every route except /health and /auth/login needs `Authorization: Bearer <token>` (machines, see `ivr "
        "token create`) or the session cookie of POST /auth/login (people; then X-CSRF-Token on unsafe methods).",
        lifespan=lifespan,
        docs_url=None,  # api.routes.docs: served from vendored files, under the CSP
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.openapi = lambda: problem_openapi(app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.clock = clock
    app.state.callcenter = callcenter
    for router in (calls.router, callers.router, reports.router, health.router, metrics_route.router):
        app.include_router(router)
    for router in (agents.router, supervision.router, live.router, callbacks.router):
        app.include_router(router)
    app.include_router(requests.router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(request_reports.router)
    app.include_router(desk_router)  # the agent's page: day view, desk configuration
    app.include_router(dispositions_router)
    app.include_router(audit.router)
    app.include_router(softphone_router)  # the agent page's browser softphone: its seat's settings
    app.include_router(docs_router)
    app.include_router(channels.router)  # issue 17 B: web form with photos, paper mail, files, satisfaction
    app.include_router(chat.router)  # issue 17 B: the portal's chat and the staff's chat page (WebSockets)
    app.include_router(complaints_router)  # issue 17: departments, routing, workflow, dashboards, Open311
    app.include_router(operations_router)  # issue 21: calendar overrides, configuration reload
    app.include_router(guide_router)  # issue 16: the consular guide
    app.include_router(guide_upkeep_router)  # its synonyms, the articles used, the report
    app.include_router(guide_public_router)  # the public guide (/portal/guide/*)
    app.include_router(prompts_router)  # issue 18: voice prompts, recorded in the browser
    app.include_router(notifications_router)  # a given-up citizen notification sent again
    live.mount_web(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       larger=dict.fromkeys(channels.UPLOAD_PATHS, channels.UPLOAD_MAX_BYTES),
                       larger_under={PROMPT_UPLOAD: PROMPT_UPLOAD_MAX_BYTES})  # fmt: skip
    app.add_middleware(ParameterGuardMiddleware)
    extra_connect_src = csp_connect_src(settings)  # on every answer below, 413s and 400s included
    app.add_middleware(SecurityHeadersMiddleware, connect_src=extra_connect_src, hsts_seconds=settings.hsts_seconds)
    app.state.http_metrics = HttpMetrics()  # outermost: counts and logs every answer, 413s and 400s included
    app.add_middleware(RequestObservabilityMiddleware, metrics=app.state.http_metrics)
    # outermost last: everything inside sees the client's own address (api.net)
    app.add_middleware(TrustedProxyMiddleware, trusted=settings.trusted_proxies)
    return app


def language_queues(callcenter: CallCenter | None) -> dict[str, str]:
    """Language code -> queue, from the call-center file, the one source of truth."""
    return {language.code: language.queue for language in callcenter.languages} if callcenter else {}


DEMO_SECRET_PREFIX = "demo-only"  # noqa: S105  asterisk_conf/*.sandbox.conf: secrets that must never reach production


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ivr api", description="Serve the call records API.")
    parser.add_argument("--host", help="listen address (default 127.0.0.1, or IVR_API_HOST)")
    parser.add_argument("--port", type=int, help="listen port (default 8000, or IVR_API_PORT)")
    args = parser.parse_args(argv)
    settings = ApiSettings()
    configure_logging(settings.log_format, level=settings.log_level)
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    callcenter = load_callcenter_once()
    if callcenter is not None and callcenter.timezone and "IVR_API_TIMEZONE" not in os.environ:
        overrides["timezone"] = str(callcenter.timezone)
    settings = settings.model_copy(update=overrides)
    ami = AmiEnvironment()
    if ami.secret.startswith(DEMO_SECRET_PREFIX) and not settings.demo:
        print(
            "ivr api: refusing to start: IVR_AMI_SECRET is the sandbox's demo secret; outside IVR_DEMO=1 give the "
            "API the secret of manager_secrets.conf on your Asterisk",
            file=sys.stderr,
        )
        return 2

    async def prepare() -> str:
        url = await resolve_database_url(
            settings.database_url, var_dir=settings.var_dir, database=settings.embedded_database
        )
        engine = make_engine(url)
        try:
            await prepare_database(engine, settings, now=utc_now(), out=sys.stdout, callcenter=callcenter)
        finally:
            await engine.dispose()
        return url

    try:
        url = asyncio.run(prepare())
    except StartupRefusedError as refusal:
        print(f"ivr api: refusing to start: {refusal}", file=sys.stderr)
        return 2
    import uvicorn

    app = create_app(settings.model_copy(update={"database_url": url}), ami=ami, callcenter=callcenter)
    # uvicorn re-raises SIGTERM after its graceful shutdown; with the default handler the process would die
    # without running atexit, and the embedded PostgreSQL would never learn that this handle is gone.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    uvicorn.run(  # logging as configured above (uvicorn's own config off); one line per request: api.metrics
        app, host=settings.host, port=settings.port, log_config=None, access_log=False,
        ws_per_message_deflate=WEBSOCKET_DEFLATE, proxy_headers=PROXY_HEADERS,
    )  # fmt: skip
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)

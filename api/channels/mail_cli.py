"""`ivr mail serve`: wiring only (settings, database, call center, then api.channels.mail_server)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.mail_server import IntakeHandler, serve_forever, start_intake
from api.channels.notify import notifier_for
from api.channels.settings import ChannelSettings
from api.config import ApiSettings
from api.db import make_engine, resolve_database_url, run_migrations
from api.request_config import RequestConfig
from callcenter.logs import configure_logging


def utc_now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ivr mail", description="The e-mail intake: an SMTP server.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="receive mail for IVR_MAIL_ADDRESS and turn it into requests")
    serve.add_argument("--host", help="listen address (default IVR_MAIL_LISTEN_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default IVR_MAIL_LISTEN_PORT, 2525)")
    args = parser.parse_args(argv)
    api_settings = ApiSettings()
    configure_logging(api_settings.log_format, level=api_settings.log_level)
    settings = ChannelSettings()
    try:
        config = RequestConfig.from_environment()
    except Exception as error:
        print(f"ivr mail: cannot load the call-center file: {error}", file=sys.stderr)
        return 2
    host = args.host or settings.mail_listen_host
    port = args.port or settings.mail_listen_port

    async def run() -> None:
        url = await resolve_database_url(api_settings.database_url, var_dir=api_settings.var_dir,
                                         database=api_settings.embedded_database)  # fmt: skip
        engine = make_engine(url)
        try:
            await run_migrations(engine)
            sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
            languages = tuple(language.code for language in config.callcenter.languages)
            handler = IntakeHandler(sessions, config=config, settings=settings,
                                    notifier=notifier_for(settings, languages), clock=utc_now)  # fmt: skip
            server = await start_intake(handler, host=host, port=port, max_bytes=settings.mail_max_bytes)
            print(f"E-mail intake: smtp://{host}:{port} for <{settings.mail_address}>"
                  + ("" if settings.smtp_host else " (no IVR_SMTP_HOST: acknowledgements are not mailed)"),
                  flush=True)  # fmt: skip
            await serve_forever(server)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return 0

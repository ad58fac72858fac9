"""`ivr token create|list|revoke`: manage API bearer tokens in the same database the API uses; `ivr retention
run`: apply the retention policy once (api.retention), for cron when the API's own daily job is off."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from api.config import ApiSettings
from api.crud.tokens import create_token, list_tokens, revoke_tokens
from api.db import make_engine, resolve_database_url, run_migrations
from api.request_config import RequestSettings
from api.retention import RetentionPolicy, run_once
from api.security.tokens import Role


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivr token", description="Manage API bearer tokens.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a token and print its secret (shown only once)")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", required=True, help="who or what uses it, e.g. agi-1 or alice")
    commands.add_parser("list", help="list tokens (never their secrets)")
    revoke = commands.add_parser("revoke", help="revoke every active token with this name")
    revoke.add_argument("--name", required=True)
    return parser


async def _run(args: argparse.Namespace, settings: ApiSettings, now: datetime) -> int:
    url = await resolve_database_url(
        settings.database_url, var_dir=settings.var_dir, database=settings.embedded_database
    )
    engine = make_engine(url)
    try:
        await run_migrations(engine)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            if args.command == "create":
                name = args.name.strip()
                if not name or len(name) > 128:
                    print("ivr token: --name must be 1 to 128 characters", file=sys.stderr)
                    return 2
                secret = await create_token(session, name=name, role=Role(args.role), now=now)
                print(secret)
                print(
                    f"token for {name!r} ({args.role}) created; store it now, it is not shown again",
                    file=sys.stderr,
                )
                return 0
            if args.command == "list":
                for token in await list_tokens(session):
                    state = "revoked" if token.revoked_at else ("demo" if token.demo else "active")
                    print(f"{token.id}\t{token.name}\t{token.role}\t{state}\t{token.created_at.isoformat()}")
                return 0
            revoked = await revoke_tokens(session, name=args.name, now=now)
            print(f"revoked {revoked} token(s) named {args.name!r}", file=sys.stderr)
            return 0 if revoked else 1
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return asyncio.run(_run(args, ApiSettings(), datetime.now(UTC)))


def retention_main(argv: list[str], *, now: datetime | None = None) -> int:
    """`ivr retention run`: 0 when applied (or already being applied by another process), 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="ivr retention", description="Apply the data retention policy once.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="purge recordings, pseudonymise numbers, expire audit entries now")
    parser.parse_args(argv)
    return asyncio.run(_retention(ApiSettings(), now or datetime.now(UTC)))


async def _retention(settings: ApiSettings, now: datetime) -> int:
    url = await resolve_database_url(
        settings.database_url, var_dir=settings.var_dir, database=settings.embedded_database
    )
    engine = make_engine(url)
    try:
        await run_migrations(engine)
        report = await run_once(
            async_sessionmaker(engine, expire_on_commit=False),
            policy=RetentionPolicy.from_settings(settings),
            now=now,
            recordings_dir=RequestSettings().recordings_dir,
        )
    finally:
        await engine.dispose()
    if report is None:
        print("ivr retention: another process is applying retention now; nothing done", file=sys.stderr)
        return 0
    for name, count in vars(report).items():
        print(f"{name}\t{count}")
    return 0

"""`ivr token create|list|revoke`: manage API bearer tokens in the same database the API uses."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from api.config import ApiSettings
from api.crud.tokens import create_token, list_tokens, revoke_tokens
from api.db import make_engine, resolve_database_url, run_migrations
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

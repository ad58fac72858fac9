"""`ivr db migrate|current` and `ivr backup create|verify` as an operator runs them (issue 21): the database from
DATABASE_URL, the files from the same environment variables as the services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.ops_cli import backup_main, db_main
from tests.support.database import throwaway_database


@pytest.fixture
def empty_url() -> Iterator[str]:
    with throwaway_database("ivr_ops_cli", migrate=False) as url:
        yield url


def test_migrate_then_back_up_and_verify_from_the_command_line(
    empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_url)
    monkeypatch.setenv("IVR_VOICEMAIL_DIR", str(tmp_path / "recordings"))
    monkeypatch.setenv("IVR_RECORDED_PROMPTS_DIR", str(tmp_path / "prompts"))
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "m.wav").write_bytes(b"RIFF")
    assert db_main(["current"]) == 0
    assert capsys.readouterr().out.strip() == "empty"
    assert db_main(["migrate"]) == 0
    assert "empty -> 0" in capsys.readouterr().err
    assert db_main(["current"]) == 0
    head = capsys.readouterr().out.strip()
    assert head.isdigit()

    backup = tmp_path / "backup"
    assert backup_main(["create", str(backup)]) == 0
    assert f"schema {head}" in capsys.readouterr().err
    assert backup_main(["verify", str(backup)]) == 0
    (backup / "files" / "recordings" / "m.wav").write_bytes(b"RIFX")
    assert backup_main(["verify", str(backup)]) == 1
    assert "m.wav: checksum mismatch" in capsys.readouterr().err
    assert backup_main(["restore", str(backup)]) == 1  # refused before anything is touched

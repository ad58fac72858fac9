"""`ivr outbox list|retry`: an operator sees the backlog and the quarantine, and replays a quarantined record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from callcenter.records import CallRecord, Outcome
from ivr.adapters.outbox import Outbox
from ivr.delivery import spool_name
from ivr_cli import main as ivr


def quarantined_spool(tmp_path: Path) -> Outbox:
    outbox = Outbox(tmp_path)
    for n in (1, 2):
        outbox.put_sync(CallRecord(linkedid=f"1700000000.{n}", started_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
                                   outcome=Outcome.ANSWERED, version=7))  # fmt: skip
    claim = outbox.claim(spool_name("1700000000.1", 7))
    assert claim is not None
    outbox.quarantine(claim, "the API answered 500 (after 8 attempts)")
    return outbox


def test_list_shows_the_backlog_and_each_quarantined_record_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quarantined_spool(tmp_path)
    assert ivr(["outbox", "--spool", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "1 waiting" in out and "1 quarantined" in out
    assert "quarantined 1700000000.1@7.json: " in out and "the API answered 500 (after 8 attempts)" in out


def test_retry_puts_records_back_and_names_the_unknown_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox = quarantined_spool(tmp_path)
    assert ivr(["outbox", "--spool", str(tmp_path), "retry", "1700000000.1@7.json", "nope.json"]) == 1
    assert "no quarantined record nope.json" in capsys.readouterr().err
    assert [r.linkedid for r in outbox.records()] == ["1700000000.1", "1700000000.2"]
    assert ivr(["outbox", "--spool", str(tmp_path), "retry", "--all"]) == 0  # nothing left: still fine
    with pytest.raises(SystemExit):
        ivr(["outbox", "--spool", str(tmp_path), "retry"])

"""The durable outbox: whole records or nothing, one file per call, claims that survive a crashed sender."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from callcenter.records import CallRecord, Outcome
from ivr.adapters.outbox import Outbox


def record(linkedid: str = "1700000000.1", outcome: Outcome = Outcome.ANSWERED) -> CallRecord:
    return CallRecord(linkedid=linkedid, started_at=datetime(2026, 11, 24, 9, tzinfo=UTC), outcome=outcome)


async def test_put_writes_one_whole_file_per_call(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    await outbox.put(record(outcome=Outcome.ABANDONED_IVR))
    await outbox.put(record(outcome=Outcome.ANSWERED))
    [path] = outbox.pending()
    assert path.name == "1700000000.1.json"
    assert [r.outcome for r in outbox.records()] == [Outcome.ANSWERED]
    assert not list(tmp_path.glob(".*.tmp"))


def test_claim_send_done(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    path = outbox.put_sync(record())
    claimed = outbox.claim(path)
    assert claimed is not None and claimed.suffix == ".sending"
    assert outbox.claim(path) is None  # a second sender finds it gone
    assert outbox.pending() == []
    assert outbox.load(claimed) == record()
    outbox.done(claimed)
    assert outbox.records() == []


def test_release_gives_the_file_back_unless_a_newer_version_arrived(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    claimed = outbox.claim(outbox.put_sync(record()))
    assert claimed is not None
    outbox.release(claimed)
    assert [p.name for p in outbox.pending()] == ["1700000000.1.json"]
    claimed = outbox.claim(outbox.pending()[0])
    assert claimed is not None
    outbox.put_sync(record(outcome=Outcome.VOICEMAIL))  # the call was spooled again meanwhile
    outbox.release(claimed)
    assert [r.outcome for r in outbox.records()] == [Outcome.VOICEMAIL]


def test_stale_claims_of_a_crashed_sender_are_released(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, stale_after=60)
    claimed = outbox.claim(outbox.put_sync(record()))
    assert claimed is not None
    assert outbox.pending() == []
    old = time.time() - 120
    os.utime(claimed, (old, old))
    assert [p.name for p in outbox.pending()] == ["1700000000.1.json"]


def test_a_corrupt_file_is_set_aside_with_its_reason(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    bad = tmp_path / "broken.json"
    bad.write_text('{"linkedid": "x", "outcome": "exploded"')
    assert outbox.load(bad) is None
    assert not bad.exists()
    assert (tmp_path / "rejected" / "broken.json").exists()
    assert "Invalid JSON" in (tmp_path / "rejected" / "broken.reason.txt").read_text()
    assert outbox.load(tmp_path / "vanished.json") is None

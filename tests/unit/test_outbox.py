"""The durable outbox's file layer: whole records or nothing, one file per call version, leases held by flock,
refusals remembered beside the record, quarantine and replay."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from callcenter.records import CallRecord, Outcome
from ivr.adapters.outbox import Outbox
from ivr.delivery import DeliveryState, Policy, Quarantine, spool_name


def record(linkedid: str = "1700000000.1", outcome: Outcome = Outcome.ANSWERED, version: int = 5) -> CallRecord:
    return CallRecord(
        linkedid=linkedid, started_at=datetime(2026, 11, 24, 9, tzinfo=UTC), outcome=outcome, version=version
    )


async def test_put_writes_one_whole_file_per_call_version(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    await outbox.put(record(outcome=Outcome.ABANDONED_IVR, version=1))
    await outbox.put(record(outcome=Outcome.ANSWERED, version=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1700000000.1@1.json", "1700000000.1@2.json"]
    assert [r.outcome for r in outbox.records()] == [Outcome.ABANDONED_IVR, Outcome.ANSWERED]
    await outbox.put(record(outcome=Outcome.VOICEMAIL, version=2))  # the same version again replaces it
    assert [r.outcome for r in outbox.records()] == [Outcome.ABANDONED_IVR, Outcome.VOICEMAIL]
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_lease_excludes_every_other_sender_until_it_ends(tmp_path: Path) -> None:
    first, second = Outbox(tmp_path), Outbox(tmp_path)  # two agi processes sharing the spool
    first.put_sync(record())
    name = spool_name("1700000000.1", 5)
    claim = first.claim(name)
    assert claim is not None
    assert second.claim(name) is None
    assert first.load(claim) == record()
    first.release(claim)  # e.g. the process died: the kernel ends the lease with it
    other = second.claim(name)
    assert other is not None
    second.done(other)
    assert first.claim(name) is None and first.records() == []


def test_a_file_settled_by_another_sender_is_not_claimed_again(tmp_path: Path) -> None:
    first, second = Outbox(tmp_path), Outbox(tmp_path)
    first.put_sync(record())
    name = spool_name("1700000000.1", 5)
    claim = first.claim(name)
    assert claim is not None
    fd = os.open(tmp_path / name.file_name, os.O_RDONLY)  # the second sender opened it before the first settled
    first.quarantine(claim, "test")
    os.close(fd)
    assert second.claim(name) is None  # moved away: nothing to claim
    assert list(first.quarantined()) == [name.file_name]


def test_refusals_are_counted_beside_the_record_then_it_is_quarantined(tmp_path: Path) -> None:
    now = [1000.0]
    outbox = Outbox(tmp_path, policy=Policy(max_attempts=2, base_delay_s=10), clock=lambda: now[0])
    outbox.put_sync(record())
    name = spool_name("1700000000.1", 5)
    claim = outbox.claim(name)
    assert claim is not None
    assert outbox.refused(claim, "the API answered 500") == DeliveryState(1, 1010.0, "the API answered 500")
    [candidate] = outbox.candidates()
    assert candidate.state.attempts == 1  # read back by any process, after a restart too
    claim = outbox.claim(name)
    assert claim is not None and claim.state.attempts == 1
    assert isinstance(outbox.refused(claim, "the API answered 500"), Quarantine)
    assert outbox.candidates() == [] and outbox.records() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quarantine"]  # the state file went too
    reason = outbox.quarantined()[name.file_name]
    assert "500" in reason and "2 attempts" in reason
    assert outbox.stats().quarantined == 1


def test_an_operator_replays_a_quarantined_record(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put_sync(record())
    name = spool_name("1700000000.1", 5)
    claim = outbox.claim(name)
    assert claim is not None
    outbox.quarantine(claim, "the API answered 422")
    assert outbox.records() == []
    assert not outbox.retry("nothing.json") and not outbox.retry("../etc/passwd")
    assert outbox.retry(name.file_name)
    assert outbox.records() == [record()] and outbox.quarantined() == {}
    [candidate] = outbox.candidates()
    assert candidate.state == DeliveryState()


def test_a_corrupt_file_is_quarantined_with_its_reason(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    (tmp_path / "broken.json").write_text('{"linkedid": "x", "outcome": "exploded"')
    [candidate] = outbox.candidates()
    claim = outbox.claim(candidate.name)
    assert claim is not None
    assert outbox.load(claim) is None
    assert "Invalid JSON" in outbox.quarantined()["broken.json"]
    assert outbox.claim(spool_name("vanished", 1)) is None


def test_claims_left_by_the_outbox_before_leases_are_given_back(tmp_path: Path) -> None:
    (tmp_path / "1700000000.1.sending").write_text(record().model_dump_json())
    (tmp_path / "1700000000.2.sending").write_text("old")
    (tmp_path / "1700000000.2.json").write_text(record("1700000000.2").model_dump_json())
    outbox = Outbox(tmp_path)
    assert sorted(c.name.file_name for c in outbox.candidates()) == ["1700000000.1.json", "1700000000.2.json"]
    assert [r.linkedid for r in outbox.records()] == ["1700000000.1", "1700000000.2"]


def test_stats_count_the_backlog_and_its_age(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, clock=lambda: 5000.0)
    assert outbox.stats().count == 0
    outbox.put_sync(record())
    outbox.put_sync(record("1700000000.2"))
    os.utime(tmp_path / "1700000000.1@5.json", (4000, 4000))
    stats = outbox.stats()
    assert (stats.count, stats.oldest_age_s, stats.quarantined, stats.disk_full) == (2, 1000.0, 0, False)


def test_old_temporaries_of_killed_writers_are_swept_at_start(tmp_path: Path) -> None:
    (tmp_path / ".1700000000.1@5.json.dead.tmp").write_text('{"linkedid": "17')  # kill -9 mid-write, long ago
    os.utime(tmp_path / ".1700000000.1@5.json.dead.tmp", (0, 0))
    (tmp_path / ".1700000000.2@5.json.live.tmp").write_text("")  # another process writing right now
    Outbox(tmp_path)  # the real clock: the live one is seconds old, the dead one decades
    assert sorted(p.name for p in tmp_path.iterdir()) == [".1700000000.2@5.json.live.tmp"]


def test_settling_a_claim_never_deletes_a_file_written_after_it(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put_sync(record(outcome=Outcome.ABANDONED_QUEUE))
    claim = outbox.claim(spool_name("1700000000.1", 5))
    assert claim is not None
    outbox.put_sync(record(outcome=Outcome.ANSWERED))  # the same version written again while it was being posted
    outbox.done(claim)
    assert [r.outcome for r in outbox.records()] == [Outcome.ANSWERED]  # posted next pass, not lost


def test_a_lease_ends_once(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put_sync(record())
    claim = outbox.claim(spool_name("1700000000.1", 5))
    assert claim is not None
    outbox.release(claim)
    other = os.open(tmp_path, os.O_RDONLY)  # may get the number the lease's descriptor had
    try:
        outbox.release(claim)  # a second release (a pass cut short after settling) closes nothing else
        os.fstat(other)
    finally:
        os.close(other)

"""The outbox under the faults of issue 13: a poison record, an unreadable file, a claim older than the stale limit,
short writes, a full disk. Each test drives the real sender and spool (files in tmp_path) against a fake API."""

from __future__ import annotations

import asyncio
import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from callcenter.records import CallRecord, Outcome
from ivr.adapters.outbox import Outbox
from ivr.adapters.record_sender import OutboxSender
from ivr.delivery import Policy
from tests.unit.test_api_client import TOKEN, FakeApi, record, sender_for

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0.timestamp()

    def __call__(self) -> float:
        return self.now


async def test_a_record_that_always_gets_a_5xx_is_quarantined_while_the_rest_flows(tmp_path: Path) -> None:
    clock = Clock()
    policy = Policy(max_attempts=3, base_delay_s=10, max_delay_s=60)
    outbox, api = Outbox(tmp_path, policy=policy, clock=clock), FakeApi()
    api.crash_on = "crash"  # the API answers 500 to any batch holding this agent's record
    await outbox.put(record(0, agent="crash"))  # the oldest: first in every batch
    for n in range(1, 4):
        await outbox.put(record(n))
    sender = sender_for(outbox, api)
    await sender.send_pending()
    assert sorted(api.received) == [f"1700000000.{n}" for n in range(1, 4)]  # the rest flowed at once

    await outbox.put(record(4))
    report = await sender.send_pending()  # the poison record waits for its own retry time; the new one goes
    assert report.sent == 1 and api.received[-1] == "1700000000.4"
    for _ in range(2):
        assert (await sender.send_pending()).sent == 0  # not due: not even posted
        clock.now += 61
        await sender.send_pending()
    assert [r.linkedid for r in outbox.records()] == []
    [(name, reason)] = outbox.quarantined().items()
    assert name.startswith("1700000000.0@") and "500" in reason and "3 attempts" in reason
    await sender.aclose()


async def test_an_unreadable_file_is_quarantined_and_blocks_nothing(tmp_path: Path) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    unreadable = tmp_path / "1600000000.1.json"
    unreadable.mkdir()  # reading it fails with EISDIR (as root, a chmod 000 file would still be readable)
    os.utime(unreadable, (0, 0))  # the oldest in the spool
    await outbox.put(record(1))
    sender = sender_for(outbox, api)
    try:
        report = await sender.send_pending()
    finally:
        await sender.aclose()
    assert report.sent == 1 and api.received == ["1700000000.1"]
    assert not unreadable.exists()
    assert "unreadable" in outbox.quarantined()["1600000000.1.json"]


async def test_a_claim_cannot_be_taken_by_a_second_sender_however_old_the_file(tmp_path: Path) -> None:
    await Outbox(tmp_path).put(record(1))
    for path in tmp_path.glob("*.json"):
        os.utime(path, (0, 0))  # spooled long ago (an API outage over 300 s): rename would keep this mtime
    entered, never = asyncio.Event(), asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        await never.wait()
        return httpx.Response(200)

    first = OutboxSender(Outbox(tmp_path), api_url="http://api.test", token=TOKEN, transport=httpx.MockTransport(slow))
    second_api = FakeApi()
    second = sender_for(Outbox(tmp_path), second_api)  # another agi process sharing the spool
    posting = asyncio.create_task(first.send_pending())
    await asyncio.wait_for(entered.wait(), timeout=5)
    assert (await second.send_pending()).sent == 0
    assert second_api.requests == 0  # not posted twice
    posting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await posting
    assert (await second.send_pending()).sent == 1  # the first sender's lease ended with it
    await first.aclose()
    await second.aclose()


def test_a_short_write_is_continued_and_the_directory_is_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write, real_fsync = os.write, os.fsync
    fsynced_directories: list[bool] = []

    def short_write(fd: int, data: bytes | memoryview) -> int:
        return real_write(fd, bytes(data[:7]))  # the kernel may write fewer bytes than asked

    def watching_fsync(fd: int) -> None:
        fsynced_directories.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "write", short_write)
    monkeypatch.setattr(os, "fsync", watching_fsync)
    outbox = Outbox(tmp_path)
    outbox.put_sync(record(1, caller_name="x" * 200))
    monkeypatch.undo()
    assert [r.caller_name for r in outbox.records()] == ["x" * 200]
    assert True in fsynced_directories  # the rename made durable, not only the bytes


async def test_a_full_disk_keeps_the_call_flowing_and_the_record_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    real_write = os.write

    def full(fd: int, data: bytes | memoryview) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    await outbox.put(record(1))  # does not raise: the call's hangup handler goes on
    assert [r.linkedid for r in outbox.records()] == ["1700000000.1"]
    stats = outbox.stats()
    assert (stats.disk_full, stats.count, stats.write_failures) == (True, 1, 1)
    monkeypatch.setattr(os, "write", real_write)  # space freed
    sender = sender_for(outbox, api)
    assert (await sender.send_pending()).sent == 1
    assert api.received == ["1700000000.1"]
    assert not outbox.stats().disk_full and outbox.records() == []
    await sender.aclose()


async def test_an_older_version_spooled_late_is_dropped_for_the_newer(tmp_path: Path) -> None:
    outbox, api = Outbox(tmp_path), FakeApi()
    newer = record(1, outcome=Outcome.ANSWERED, version=2)
    older = CallRecord.model_validate({**newer.model_dump(), "outcome": Outcome.ABANDONED_QUEUE, "version": 1})
    await outbox.put(newer)
    await outbox.put(older)  # e.g. another agi process's spool replayed late
    sender = sender_for(outbox, api)
    assert (await sender.send_pending()).sent == 1
    assert api.bodies == [[{"linkedid": "1700000000.1", "version": 2, "outcome": "answered"}]]
    assert outbox.records() == []
    await sender.aclose()


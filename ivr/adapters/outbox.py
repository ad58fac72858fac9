"""Durable local outbox for call records: a spool directory, one JSON file per version of a call's record.

Rules (the decisions are ivr/delivery.py's pure functions; leases and quarantine are ivr/adapters/spool.py's, the
file primitives ivr/adapters/spool_files.py's; this file puts call records on them):
- `put` never loses a record once it returns: it is written durably (whole or not at all, fsynced, renamed into
  place, the directory fsynced), so a crash leaves either nothing or a whole record, never half of one.
- Group commit: records put while a group is being written wait and go together in the next group (one thread
  hop and one directory fsync per group, each record still fsynced whole before its rename); `put` returns only
  once its record's group is durable, so nothing is acknowledged that a crash could still lose.
- A disk that cannot take the record (full, failing) never costs the call: `put` keeps the record in memory,
  raises the alarm (an error log and `stats().disk_full`) and writes it at the next `flush_held`.
- One file per call version (`<linkedid>@<version>.json`): a newer version is a new file, never a rewrite of a
  file a sender may be posting, and the API keeps the newest version of each call (callcenter.records).
- Claims are flock(2) leases on the file itself, held by the sender process that opened it: the kernel frees
  them the moment that process dies (kill -9 included), so there is no clock to misjudge and several agi
  processes on one host can share one spool. A file deleted or moved meanwhile is not claimed (not posted twice).
- Refusals are remembered beside the record (`<name>.state`, attempts and next retry time); a record that used
  up its attempts, or cannot be read or parsed, moves to `quarantine/` with `<name>.reason` beside it and never
  blocks the rest. An operator lists and replays them with `ivr outbox list|retry`.
- Plain files, not SQLite: any number of processes can write without a lock, an operator can read or replay the
  spool with `ls` and `cat`, and the write path is one small file per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from callcenter.records import CallRecord
from ivr.adapters import spool_files as files
from ivr.adapters.spool import Claim as Claim
from ivr.adapters.spool import Spool
from ivr.delivery import (
    Answer,
    Backlog,
    Held,
    PassReport,
    Policy,
    Quarantine,
    backlog,
    plan_pass,
    spool_name,
)

log = logging.getLogger(__name__)


class Outbox(Spool):
    """Call records on a spool (ivr/adapters/spool.py: listing, leases, quarantine): writing them, holding them in
    memory while the disk refuses them, reading a claimed one, counting its refusals."""

    def __init__(self, directory: Path, *, policy: Policy | None = None,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        super().__init__(directory, policy=policy, clock=clock)
        self._held: Held[CallRecord] = Held()  # records the disk refused, by file name
        self._group: list[tuple[CallRecord, asyncio.Future[Path | None]]] = []  # waiting for the next group
        self._committer: asyncio.Task[None] | None = None  # writes groups while records wait

    # -- writing ----------------------------------------------------------------------------------------------

    def put_sync(self, record: CallRecord) -> Path | None:
        """Spool a record; None when the disk refused it and it is held in memory instead (see `flush_held`)."""
        name = spool_name(record.linkedid, record.version)
        try:
            path = files.write_durably(self.directory, name.file_name, record.model_dump_json().encode())
        except OSError as error:
            self._hold(name.file_name, record, error)
            return None
        self._held.written(name.file_name)
        return path

    async def put(self, record: CallRecord) -> Path | None:
        """Spool a record durably, in the next group (see the rules); returns once that group is durable. The file
        I/O runs off the event loop, so a slow disk never stalls other calls."""
        loop = asyncio.get_running_loop()
        written: asyncio.Future[Path | None] = loop.create_future()
        self._group.append((record, written))
        if self._committer is None or self._committer.done() or self._committer.get_loop() is not loop:
            self._committer = loop.create_task(self._commit_groups())
        return await written

    async def _commit_groups(self) -> None:
        while self._group:
            group, self._group = self._group, []
            try:
                paths = await asyncio.to_thread(self.put_group_sync, [record for record, _ in group])
            except BaseException as error:  # never leave a put waiting forever
                for _, written in group:
                    if not written.done():
                        written.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, written), path in zip(group, paths, strict=True):
                if not written.done():
                    written.set_result(path)

    def put_group_sync(self, records: list[CallRecord]) -> list[Path | None]:
        """Spool several records with one directory fsync (ivr/adapters/spool_files.py `write_group`); per
        record, its path, or None when the disk refused it and it is held in memory (see `flush_held`)."""
        names = [spool_name(record.linkedid, record.version).file_name for record in records]
        outcomes = files.write_group(self.directory, [
            (name, record.model_dump_json().encode()) for name, record in zip(names, records, strict=True)
        ])  # fmt: skip
        paths: list[Path | None] = []
        for name, record, outcome in zip(names, records, outcomes, strict=True):
            if isinstance(outcome, OSError):
                self._hold(name, record, outcome)
                paths.append(None)
            else:
                self._held.written(name)
                paths.append(outcome)
        return paths

    def _hold(self, file_name: str, record: CallRecord, error: OSError) -> None:
        if self._held.hold(file_name, record, now=self.clock()):
            log.error("outbox ALARM: cannot write to %s (%s); call records are held in memory until it can",
                      self.directory, os.strerror(error.errno or errno.EIO))  # fmt: skip

    def flush_held(self) -> int:
        """Write the records held in memory since the disk refused them; how many are still held."""
        for file_name, record in self._held.in_order():
            try:
                files.write_durably(self.directory, file_name, record.model_dump_json().encode())
            except OSError:
                break  # still refused: keep the rest too, in order
            if self._held.written(file_name):  # (a put of the same version may have written it meanwhile)
                log.warning("outbox: the spool %s takes records again; every held record is written", self.directory)
        return self._held.count

    # -- settling records ---------------------------------------------------------------------------------------

    def load(self, claim: Claim) -> CallRecord | None:
        """The claimed record; an unreadable or invalid one is quarantined (and the claim ended): None."""
        try:
            return CallRecord.model_validate_json(files.read_all(claim.fd))
        except (OSError, ValidationError, ValueError) as error:
            self.quarantine(claim, f"unreadable: {error}")
            return None

    def claim_batch(self, size: int) -> list[tuple[Claim, CallRecord]]:
        """Lease and read up to `size` due records, oldest first (ivr.delivery.plan_pass), after writing any records
        held in memory; older versions of a spooled call are forgotten unposted (the API would ignore them)."""
        self.flush_held()
        plan = plan_pass(self.candidates(), now=self.clock())
        for old in plan.superseded:
            if (superseded := self.claim(old.name)) is not None:
                self.done(superseded)
        claimed: list[tuple[Claim, CallRecord]] = []
        for candidate in plan.post:
            if len(claimed) >= size:
                break
            claim = self.claim(candidate.name)  # None: another sender holds it (or it just left the spool)
            record = None if claim is None else self.load(claim)  # an unreadable file is quarantined: None
            if claim is not None and record is not None:
                claimed.append((claim, record))
        return claimed

    def settle(self, claims: list[Claim], answer: Answer, reason: str, report: PassReport) -> None:
        """Act on the API's answer (ivr.delivery.judge) for posted files: forget them, set them aside or count the
        refusal; never for API_AWAY (the caller just releases those leases)."""
        for claim in claims:
            if answer is Answer.DELIVERED:
                self.done(claim)
                report.sent += 1
            elif answer is Answer.UNSENDABLE:
                self.quarantine(claim, reason)
                report.rejected += 1
            elif isinstance(self.refused(claim, reason), Quarantine):
                report.rejected += 1
            else:
                report.deferred += 1

    # -- operators and tests ------------------------------------------------------------------------------------

    def records(self) -> list[CallRecord]:
        """Every record waiting in the spool or held in memory (parsed, not claimed), for operators and tests."""
        found: list[CallRecord] = []
        for candidate in sorted(self.candidates(), key=lambda c: c.name.file_name):
            with contextlib.suppress(OSError, ValidationError, ValueError):
                found.append(CallRecord.model_validate_json((self.directory / candidate.name.file_name).read_bytes()))
        return found + [record for _, record in self._held.in_order()]

    def stats(self) -> Backlog:
        """Backlog count and oldest age (held records included), quarantined count, disk trouble."""
        return backlog([candidate.spooled_at for candidate in self.candidates()], now=self.clock(),
                       quarantined=len(self.quarantined()), held_since=self._held.since(),
                       disk_full=self._held.count > 0, write_failures=self._held.failures)  # fmt: skip

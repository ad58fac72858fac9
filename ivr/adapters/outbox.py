"""Durable local outbox for call records: a spool directory, one JSON file per version of a call's record.

Rules (the decisions themselves are ivr/delivery.py's pure functions; this file does the file work):
- `put` never loses a record once it returns: the bytes are written under a temporary name (every byte checked,
  a short write is finished or fails), fsynced, renamed into place and the directory fsynced, so a crash leaves
  either nothing or a whole record, never half of one, and the rename itself survives a power cut.
- A disk that cannot take the record (full, failing) never costs the call: `put` keeps the record in memory,
  raises the alarm (an error log and `stats().disk_full`) and writes it at the next `flush_held`.
- One file per call version (`<linkedid>@<version>.json`): a newer version is a new file, never a rewrite of a
  file a sender may be posting, and the API keeps the newest version of each call (callcenter.records).
- Claims are leases held with flock(2) on the file itself, by the sender process that opened it: the kernel
  knows the owner and frees the lease the moment that process dies (kill -9 included), so there is no clock to
  misjudge, nothing to steal by rename, and several agi processes on one host can share one spool. A claim
  holds only while the file is still the one in the spool (checked after locking: a file deleted or moved
  meanwhile is not posted twice).
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
import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import ValidationError

from callcenter.records import CallRecord
from ivr.delivery import (
    READY_SUFFIX,
    Backlog,
    Candidate,
    DeliveryState,
    Policy,
    Quarantine,
    SpoolName,
    after_refusal,
    backlog,
    parse_name,
    spool_name,
)

log = logging.getLogger(__name__)
QUARANTINE = "quarantine"
TEMPORARY_TTL_S = 3600.0  # a temporary file this old was left by a writer killed mid-write: no put returned for it
REASON_SUFFIX = ".reason"


@dataclass
class Claim:
    """A spooled file leased by this process: the open, locked descriptor is the lease."""

    name: SpoolName
    path: Path
    fd: int  # -1 once released
    state: DeliveryState


class Outbox:
    def __init__(self, directory: Path, *, policy: Policy | None = None,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.directory = directory
        self.quarantine_directory = directory / QUARANTINE
        self.policy = policy or Policy()
        self.clock = clock
        self._held: dict[str, tuple[CallRecord, float]] = {}  # records the disk refused, by file name
        self._write_failures = 0
        self.directory.mkdir(parents=True, exist_ok=True)
        legacy_claims(self.directory)
        sweep_temporaries(self.directory, older_than=clock() - TEMPORARY_TTL_S)

    # -- writing ----------------------------------------------------------------------------------------------

    def put_sync(self, record: CallRecord) -> Path | None:
        """Spool a record; None when the disk refused it and it is held in memory instead (see `flush_held`)."""
        name = spool_name(record.linkedid, record.version)
        try:
            path = self._write(name, record.model_dump_json().encode())
        except OSError as error:
            self._hold(name, record, error)
            return None
        self._held.pop(name.file_name, None)
        return path

    async def put(self, record: CallRecord) -> Path | None:
        """Spool a record durably; runs the file I/O off the event loop so a slow disk never stalls other calls."""
        return await asyncio.to_thread(self.put_sync, record)

    def flush_held(self) -> int:
        """Write the records held in memory since the disk refused them; how many are still held."""
        for file_name, (record, _) in list(self._held.items()):
            try:
                self._write(spool_name(record.linkedid, record.version), record.model_dump_json().encode())
            except OSError:
                break  # still refused: keep the rest too, in order
            self._held.pop(file_name, None)  # (a put of the same version may have written it meanwhile)
            if not self._held:
                log.warning("outbox: the spool %s takes records again; every held record is written", self.directory)
        return len(self._held)

    def _hold(self, name: SpoolName, record: CallRecord, error: OSError) -> None:
        self._write_failures += 1
        if not self._held:
            log.error("outbox ALARM: cannot write to %s (%s); call records are held in memory until it can",
                      self.directory, os.strerror(error.errno or errno.EIO))  # fmt: skip
        since = self._held.get(name.file_name, (record, self.clock()))[1]
        self._held[name.file_name] = (record, since)

    def _write(self, name: SpoolName, data: bytes) -> Path:
        final_path = self.directory / name.file_name
        temporary = self.directory / f".{name.file_name}.{uuid.uuid4().hex}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            try:
                write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, final_path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        fsync_directory(self.directory)
        return final_path

    # -- claiming and settling ----------------------------------------------------------------------------------

    def candidates(self) -> list[Candidate]:
        """Every ready file with its delivery state (unclaimed or not: claiming decides)."""
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        names = {entry.name for entry in entries}
        found: list[Candidate] = []
        for entry in entries:
            name = parse_name(entry.name)
            if name is None:
                continue
            try:
                spooled_at = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            state = self._read_state(name) if name.state_name in names else DeliveryState()
            found.append(Candidate(name=name, spooled_at=spooled_at, state=state))
        return found

    def claim(self, name: SpoolName) -> Claim | None:
        """Lease a ready file; None if another sender holds it, or it is gone or was quarantined."""
        path = self.directory / name.file_name
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as error:  # unreadable (permissions, I/O error): it would block the spool forever
            self._quarantine_path(name, f"cannot open: {os.strerror(error.errno or errno.EIO)}")
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = os.fstat(fd)
            current = os.stat(path)
        except OSError:  # held by another sender, or gone since we opened it
            os.close(fd)
            return None
        if (locked.st_dev, locked.st_ino) != (current.st_dev, current.st_ino) or locked.st_nlink == 0:
            os.close(fd)  # the file we locked was settled by another sender meanwhile
            return None
        return Claim(name=name, path=path, fd=fd, state=self._read_state(name))

    def load(self, claim: Claim) -> CallRecord | None:
        """The claimed record; an unreadable or invalid one is quarantined (and the claim ended): None."""
        try:
            data = read_all(claim.fd)
            return CallRecord.model_validate_json(data)
        except (OSError, ValidationError, ValueError) as error:
            self.quarantine(claim, f"unreadable: {error}")
            return None

    def release(self, claim: Claim) -> None:
        """End the lease (once: a closed descriptor's number may already belong to another file)."""
        fd, claim.fd = claim.fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def done(self, claim: Claim) -> None:
        """The API stored the record (or a newer version): forget it, then end the lease."""
        with contextlib.suppress(OSError):
            if claim.fd >= 0 and os.stat(claim.path).st_ino == os.fstat(claim.fd).st_ino:  # still the one we posted
                claim.path.unlink()
        with contextlib.suppress(FileNotFoundError):
            (self.directory / claim.name.state_name).unlink()
        self.release(claim)

    def refused(self, claim: Claim, reason: str) -> DeliveryState | Quarantine:
        """The API refused this record alone: count the attempt, quarantine it once it has used them all."""
        decision = after_refusal(claim.state, reason=reason, now=self.clock(), policy=self.policy)
        if isinstance(decision, Quarantine):
            self.quarantine(claim, decision.reason)
        else:
            self._write_state(claim.name, decision)
            self.release(claim)
        return decision

    def quarantine(self, claim: Claim, reason: str) -> None:
        """Set a record aside with its reason (see `retry`), then end the lease."""
        self._quarantine_path(claim.name, reason)
        self.release(claim)

    def _quarantine_path(self, name: SpoolName, reason: str) -> None:
        self.quarantine_directory.mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.directory / name.file_name, self.quarantine_directory / name.file_name)
            reason_path = self.quarantine_directory / (name.file_name + REASON_SUFFIX)
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
            reason_path.write_text(f"{when} {reason[:4000]}\n")
            fsync_directory(self.quarantine_directory)
            fsync_directory(self.directory)
            log.error("outbox: %s quarantined: %s", name.file_name, reason[:200])
        with contextlib.suppress(FileNotFoundError):
            (self.directory / name.state_name).unlink()

    def _read_state(self, name: SpoolName) -> DeliveryState:
        try:
            raw = json.loads((self.directory / name.state_name).read_text())
            return DeliveryState(int(raw["attempts"]), float(raw["retry_at"]), str(raw["last_error"]))
        except (OSError, ValueError, KeyError, TypeError):
            return DeliveryState()  # none, or torn: counting again from zero is safe

    def _write_state(self, name: SpoolName, state: DeliveryState) -> None:
        temporary = self.directory / f".{name.state_name}.{uuid.uuid4().hex}.tmp"
        try:
            temporary.write_text(json.dumps(asdict(state)))
            os.replace(temporary, self.directory / name.state_name)
        except OSError:  # a full disk: the attempt is not remembered, the record is retried sooner; no loss
            with contextlib.suppress(OSError):
                temporary.unlink()

    # -- operators and tests ------------------------------------------------------------------------------------

    def records(self) -> list[CallRecord]:
        """Every record waiting in the spool or held in memory (parsed, not claimed), for operators and tests."""
        found: list[CallRecord] = []
        for candidate in sorted(self.candidates(), key=lambda c: c.name.file_name):
            with contextlib.suppress(OSError, ValidationError, ValueError):
                found.append(CallRecord.model_validate_json((self.directory / candidate.name.file_name).read_bytes()))
        return found + [record for record, _ in self._held.values()]

    def quarantined(self) -> dict[str, str]:
        """Quarantined file names and the reason each was set aside."""
        if not self.quarantine_directory.is_dir():
            return {}
        result: dict[str, str] = {}
        for path in sorted(self.quarantine_directory.glob(f"*{READY_SUFFIX}")):
            reason = path.with_name(path.name + REASON_SUFFIX)
            result[path.name] = reason.read_text().strip() if reason.exists() else ""
        return result

    def retry(self, file_name: str) -> bool:
        """Put a quarantined record back in the spool with fresh attempts; False if there is no such record."""
        source = self.quarantine_directory / file_name
        if parse_name(file_name) is None or not source.is_file():
            return False
        os.replace(source, self.directory / file_name)
        fsync_directory(self.directory)
        with contextlib.suppress(FileNotFoundError):
            source.with_name(file_name + REASON_SUFFIX).unlink()
        return True

    def stats(self) -> Backlog:
        """Backlog count and oldest age (held records included), quarantined count, disk trouble."""
        return backlog(
            [candidate.spooled_at for candidate in self.candidates()],
            now=self.clock(),
            quarantined=len(self.quarantined()),
            held_since=[since for _, since in self._held.values()],
            disk_full=bool(self._held),
            write_failures=self._write_failures,
        )


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written: a short write (a signal, a nearly full disk) is continued; a write
    that makes no progress is an error, never a silently truncated record."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, "no progress writing the record")
        view = view[written:]


def read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks: list[bytes] = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new name in `directory` durable (POSIX: fsync of the file does not cover its name)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep_temporaries(directory: Path, *, older_than: float) -> int:
    """Remove the temporary files of writes that died before their rename (never a record: `put` had not
    returned); only old ones, as another process may be writing right now."""
    removed = 0
    for temporary in directory.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if temporary.stat().st_mtime < older_than:
                temporary.unlink()
                removed += 1
    return removed


def legacy_claims(directory: Path) -> int:
    """Claims left as `*.sending` by the outbox before leases: back to ready files (kept if a newer one exists)."""
    moved = 0
    for claimed in directory.glob("*.sending"):
        ready = claimed.with_suffix(READY_SUFFIX)
        with contextlib.suppress(OSError):
            if ready.exists():
                claimed.unlink()
            else:
                os.rename(claimed, ready)
                moved += 1
    return moved


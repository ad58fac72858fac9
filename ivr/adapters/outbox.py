"""Durable local outbox for call records: a spool directory, one JSON file per record.

Rules:
- `put` never loses a record once it returns: the file is written under a temporary name, fsynced, then renamed
  into place (rename is atomic on POSIX), so a crash leaves either nothing or a whole record, never half of one.
- One file per call, named by linkedid: writing the same call twice replaces the older version, and the API's
  upsert on linkedid makes a replay harmless. Sending is at-least-once; storage is exactly-once.
- A sender claims a file by renaming it to `*.sending` before posting, so two senders sharing a spool (several agi
  processes) do not post the same file at once; claims older than `stale_after` are released again after a crash.
- A file that does not parse is moved to `rejected/` with the reason, never retried forever, never deleted.
- Plain files, not SQLite: any number of processes can write without a lock, an operator can read or replay the
  spool with `ls` and `cat`, and the write path is one small file per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from callcenter.records import CallRecord

READY_SUFFIX = ".json"
CLAIMED_SUFFIX = ".sending"


@dataclass(frozen=True)
class SpooledRecord:
    path: Path
    record: CallRecord


class Outbox:
    def __init__(self, directory: Path, *, stale_after: float = 300.0) -> None:
        self.directory = directory
        self.rejected_directory = directory / "rejected"
        self.stale_after = stale_after
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path_for(self, record: CallRecord) -> Path:
        return self.directory / f"{record.linkedid}{READY_SUFFIX}"

    def put_sync(self, record: CallRecord) -> Path:
        final_path = self._path_for(record)
        temporary = self.directory / f".{record.linkedid}.{uuid.uuid4().hex}.tmp"
        data = record.model_dump_json().encode()
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, final_path)
        return final_path

    async def put(self, record: CallRecord) -> Path:
        """Spool a record durably; runs the file I/O off the event loop so a slow disk never stalls other calls."""
        return await asyncio.to_thread(self.put_sync, record)

    def pending(self) -> list[Path]:
        """Records waiting to be sent, oldest first."""
        self._release_stale_claims()
        files = [p for p in self.directory.glob(f"*{READY_SUFFIX}") if p.is_file()]
        return sorted(files, key=_mtime_or_zero)

    def claim(self, path: Path) -> Path | None:
        """Take a pending file for sending; None if another sender took it first."""
        claimed = path.with_suffix(CLAIMED_SUFFIX)
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        return claimed

    def load(self, path: Path) -> CallRecord | None:
        """Parse a spooled file; an unreadable one is moved to rejected/ and None is returned."""
        try:
            return CallRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (ValidationError, ValueError) as error:
            self.reject(path, str(error))
            return None

    def release(self, claimed: Path) -> None:
        """Give a claimed file back (the send failed), unless a newer version of the call was spooled meanwhile."""
        ready = claimed.with_suffix(READY_SUFFIX)
        if ready.exists():
            with contextlib.suppress(FileNotFoundError):
                claimed.unlink()
            return
        with contextlib.suppress(FileNotFoundError):
            os.rename(claimed, ready)

    def done(self, claimed: Path) -> None:
        """The API stored the record: forget it."""
        with contextlib.suppress(FileNotFoundError):
            claimed.unlink()

    def reject(self, path: Path, reason: str) -> None:
        self.rejected_directory.mkdir(exist_ok=True)
        target = self.rejected_directory / path.name
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target)
            target.with_suffix(".reason.txt").write_text(reason[:4000])

    def records(self) -> list[CallRecord]:
        """Every spooled record (ready or being sent), for operators and tests."""
        found: list[CallRecord] = []
        for suffix in (READY_SUFFIX, CLAIMED_SUFFIX):
            for path in sorted(self.directory.glob(f"*{suffix}")):
                record = self.load(path)
                if record is not None:
                    found.append(record)
        return found

    def _release_stale_claims(self) -> None:
        limit = time.time() - self.stale_after
        for claimed in self.directory.glob(f"*{CLAIMED_SUFFIX}"):
            if _mtime_or_zero(claimed) < limit:
                self.release(claimed)


def _mtime_or_zero(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0

"""A spool directory's files, without knowing what they hold: ready files with their delivery states, flock
leases on them, and the `quarantine/` folder beside them. The Outbox (ivr/adapters/outbox.py) puts call records in
it; the sender (ivr/adapters/record_sender.py) claims, posts and settles them.

Rules:
- Claims are leases held with flock(2) on the file itself, by the process that opened it: the kernel knows the
  owner and frees the lease the moment that process dies (kill -9 included), so there is no clock to misjudge,
  nothing to steal by rename, and several agi processes on one host can share one spool. A claim holds only
  while the file is still the one in the spool (a file deleted or moved meanwhile is not posted twice).
- A ready file's delivery state lives beside it (`<name>.state`); a missing or torn one counts from zero. A file
  that cannot be opened, or that its owner sets aside, moves to `quarantine/` with `<name>.reason` beside it,
  and never blocks the rest; `retry` puts it back with fresh attempts.
- Starting on a spool turns claims left by older versions back into ready files and sweeps old temporaries.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr.adapters import spool_files as files
from ivr.delivery import (
    READY_SUFFIX,
    Candidate,
    DeliveryState,
    Policy,
    Quarantine,
    SpoolName,
    after_refusal,
    decode_state,
    encode_state,
    parse_name,
    quarantine_note,
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


class Spool:
    def __init__(self, directory: Path, *, policy: Policy | None = None,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.directory = directory
        self.quarantine_directory = directory / QUARANTINE
        self.policy = policy or Policy()
        self.clock = clock
        self.directory.mkdir(parents=True, exist_ok=True)
        files.legacy_claims(self.directory, ready_suffix=READY_SUFFIX)
        files.sweep_temporaries(self.directory, older_than=clock() - TEMPORARY_TTL_S)

    def candidates(self) -> list[Candidate]:
        """Every ready file with its delivery state (unclaimed or not: claiming decides)."""
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        names = {entry.name for entry in entries}
        found: list[Candidate] = []
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):
                if (name := parse_name(entry.name)) is not None:
                    state = self._read_state(name) if name.state_name in names else DeliveryState()
                    found.append(Candidate(name=name, spooled_at=entry.stat().st_mtime, state=state))
        return found

    def claim(self, name: SpoolName) -> Claim | None:
        """Lease a ready file; None if another sender holds it, or it is gone or was quarantined."""
        path = self.directory / name.file_name
        try:
            fd = files.lease(path)
        except OSError as error:  # unreadable (permissions, I/O error): it would block the spool forever
            self._quarantine_path(name, f"cannot open: {os.strerror(error.errno or errno.EIO)}")
            return None
        return None if fd is None else Claim(name=name, path=path, fd=fd, state=self._read_state(name))

    def release(self, claim: Claim) -> None:
        """End the lease (once: a closed descriptor's number may already belong to another file)."""
        fd, claim.fd = claim.fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def done(self, claim: Claim) -> None:
        """The API stored the record (or a newer version): forget it, then end the lease."""
        files.unlink_if_leased(claim.path, claim.fd)  # still the one we posted
        with contextlib.suppress(FileNotFoundError):
            (self.directory / claim.name.state_name).unlink()
        self.release(claim)

    def quarantine(self, claim: Claim, reason: str) -> None:
        """Set a record aside with its reason (see `retry`), then end the lease."""
        self._quarantine_path(claim.name, reason)
        self.release(claim)

    def _quarantine_path(self, name: SpoolName, reason: str) -> None:
        self.quarantine_directory.mkdir(exist_ok=True)
        target = self.quarantine_directory / name.file_name
        note = (target.with_name(name.file_name + REASON_SUFFIX), quarantine_note(reason, now=self.clock()))
        with contextlib.suppress(FileNotFoundError):
            files.move_durably(self.directory / name.file_name, target, note=note)
            log.error("outbox: %s quarantined: %s", name.file_name, reason[:200])
        with contextlib.suppress(FileNotFoundError):
            (self.directory / name.state_name).unlink()

    def _read_state(self, name: SpoolName) -> DeliveryState:
        try:
            return decode_state((self.directory / name.state_name).read_text())
        except (OSError, ValueError):
            return DeliveryState()  # none, or not text: counting from zero is safe

    def refused(self, claim: Claim, reason: str) -> DeliveryState | Quarantine:
        """The API refused this record alone: count the attempt beside it (a full disk loses only the count, the
        record is retried sooner) or quarantine it once it has used them all; then end the lease."""
        decision = after_refusal(claim.state, reason=reason, now=self.clock(), policy=self.policy)
        if isinstance(decision, Quarantine):
            self.quarantine(claim, decision.reason)
        else:
            files.replace_quietly(self.directory, claim.name.state_name, encode_state(decision))
            self.release(claim)
        return decision

    def quarantined(self) -> dict[str, str]:
        """Quarantined file names and the reason each was set aside."""
        result: dict[str, str] = {}
        for path in sorted(self.quarantine_directory.glob(f"*{READY_SUFFIX}")):  # none if there is no directory
            reason = path.with_name(path.name + REASON_SUFFIX)
            result[path.name] = reason.read_text().strip() if reason.exists() else ""
        return result

    def retry(self, file_name: str) -> bool:
        """Put a quarantined record back in the spool with fresh attempts; False if there is no such record."""
        source = self.quarantine_directory / file_name
        if parse_name(file_name) is None or not source.is_file():
            return False
        files.move_durably(source, self.directory / file_name)
        with contextlib.suppress(FileNotFoundError):
            source.with_name(file_name + REASON_SUFFIX).unlink()
        return True

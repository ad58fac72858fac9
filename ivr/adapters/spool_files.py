"""The outbox's file-system primitives: checked durable writes, flock leases, moves aside, sweeps of leftovers.

Rules:
- A durable write is whole or absent: the bytes go to a temporary name (every byte checked, a short write is
  finished or fails), are fsynced, renamed into place, and the directory is fsynced, so a crash leaves either
  nothing or a whole file, and the rename itself survives a power cut.
- A group write (`write_group`) does the same for several files with ONE directory fsync after all the renames:
  each file is reported written only once that fsync is done, so grouping saves work, never durability.
- A lease is an open descriptor holding flock(2) on the file itself: the kernel frees it the moment its process
  dies (kill -9 included). It holds only while the path still names the locked file (checked after locking).
- No decisions and no records here: names, states and what to do with them are ivr.delivery's and the Outbox's.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import uuid
from pathlib import Path

LEGACY_CLAIM_SUFFIX = ".sending"  # claims left by the outbox before leases


def write_durably(directory: Path, file_name: str, data: bytes) -> Path:
    """Write `data` as `directory/file_name` whole or not at all (see the rules); raises OSError when refused."""
    final_path = _write_and_rename(directory, file_name, data)
    fsync_directory(directory)
    return final_path


def write_group(directory: Path, files: list[tuple[str, bytes]]) -> list[Path | OSError]:
    """Write each `(file_name, data)` whole or not at all, as `write_durably` does, with one directory fsync for
    the whole group; per file, its path or why it was refused (a failed directory fsync refuses every file)."""
    outcomes: list[Path | OSError] = []
    for file_name, data in files:
        try:
            outcomes.append(_write_and_rename(directory, file_name, data))
        except OSError as error:
            outcomes.append(error)
    if any(isinstance(outcome, Path) for outcome in outcomes):
        try:
            fsync_directory(directory)
        except OSError as error:
            return [error for _ in outcomes]
    return outcomes


def _write_and_rename(directory: Path, file_name: str, data: bytes) -> Path:
    final_path = directory / file_name
    temporary = directory / f".{file_name}.{uuid.uuid4().hex}.tmp"
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
    return final_path


def replace_quietly(directory: Path, file_name: str, text: str) -> None:
    """Replace a small side file by rename (never torn), without fsync; a refusal (full disk) is ignored."""
    temporary = directory / f".{file_name}.{uuid.uuid4().hex}.tmp"
    try:
        temporary.write_text(text)
        os.replace(temporary, directory / file_name)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


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


def lease(path: Path) -> int | None:
    """A descriptor holding the lease on `path`; None if another process holds it or the file is gone (or was
    moved or deleted meanwhile). Raises OSError when the file is there but cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        locked = os.fstat(fd)
        current = os.stat(path)
    except OSError:  # held by another process, or gone since we opened it
        os.close(fd)
        return None
    if (locked.st_dev, locked.st_ino) != (current.st_dev, current.st_ino) or locked.st_nlink == 0:
        os.close(fd)  # the file we locked was settled by another process meanwhile
        return None
    return fd


def unlink_if_leased(path: Path, fd: int) -> None:
    """Remove `path` if it still names the file `fd` leases (never a newer file under the same name)."""
    with contextlib.suppress(OSError):
        if fd >= 0 and os.stat(path).st_ino == os.fstat(fd).st_ino:
            path.unlink()


def move_durably(source: Path, target: Path, *, note: tuple[Path, str] | None = None) -> None:
    """Rename `source` to `target` (same file system), write `note` (path, text) if given, make the names durable."""
    os.replace(source, target)
    if note is not None:
        note[0].write_text(note[1])
    fsync_directory(target.parent)
    if source.parent != target.parent:
        fsync_directory(source.parent)


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


def legacy_claims(directory: Path, *, ready_suffix: str) -> int:
    """Claims left as `*.sending` by the outbox before leases: back to ready files (kept if a newer one exists)."""
    moved = 0
    for claimed in directory.glob(f"*{LEGACY_CLAIM_SUFFIX}"):
        ready = claimed.with_suffix(ready_suffix)
        with contextlib.suppress(OSError):
            if ready.exists():
                claimed.unlink()
            else:
                os.rename(claimed, ready)
                moved += 1
    return moved

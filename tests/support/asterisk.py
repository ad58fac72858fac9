"""A sandbox Asterisk of its own for a test session or a benchmark: one root, free ports, a session lock, a fresh
astdb, stopped on exit. The asterisk tier and both Asterisk benchmarks set up through `own_asterisk`.

Rules:
- Its own root (never the `make run` sandbox) and free ports, so nothing else on the machine is disturbed.
- One session per root at a time (a flock beside the root): a second run would restart the Asterisk under the
  first. The kernel releases it if this process dies.
- A fresh astdb: no queue members or registrations left over from an earlier (maybe killed) session.
- `AsteriskUnavailable` says why this machine cannot run it (not root, no debootstrap or cached tree, no SIPp,
  the lock held too long); the caller decides whether that is a skip, a failure (CI) or a line in the results.
  An Asterisk that fails to start is a `SandboxError`, not "unavailable".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sandbox import process as sandbox_process
from sandbox.paths import CONF_SOURCE, SandboxError, SandboxOptions, SandboxPaths, default_paths
from sandbox.provision import unavailable_reason
from tests.support.poll import file_lock
from tests.support.ports import free_port


class AsteriskUnavailable(SandboxError):
    """This machine cannot run a sandbox Asterisk now; the message says why."""


@dataclass(frozen=True)
class OwnAsterisk:
    paths: SandboxPaths
    options: SandboxOptions

    @property
    def sip_target(self) -> str:
        return f"127.0.0.1:{self.options.sip_port}"


@contextlib.contextmanager
def own_asterisk(
    root: Path,
    *,
    source: Path = CONF_SOURCE,
    lock_timeout_s: float,
    seat_webrtc: bool = False,
    agi_port: int | None = None,
    seat_proxy: str = "",
    agi_hosts: tuple[str, ...] = (),
) -> Iterator[OwnAsterisk]:
    """Lock `root`, start Asterisk there on free ports with the configuration rendered from `source`, yield it,
    stop it. Blocking (Asterisk boots in a few seconds): call it before a benchmark's own work starts. The seats
    are SIPp desk phones (plain RTP) unless `seat_webrtc` (browser seats: webrtc = yes, for the softphone).
    Several boxes share FastAGI servers on `agi_port` (at each of `agi_hosts`, a list Asterisk tries in turn);
    `seat_proxy` puts them behind a SIP edge."""
    paths = default_paths({**os.environ, "IVR_ASTERISK_ROOT": str(root)})  # its base and the shared cache
    reason = unavailable_reason(paths)
    if reason is None and shutil.which("sipp") is None:
        reason = "sipp is not installed (Debian package sip-tester; run `make system-deps`)"
    if reason is not None:
        raise AsteriskUnavailable(reason)
    options = SandboxOptions(
        agi_port=agi_port or free_port(socket.SOCK_STREAM),
        sip_port=free_port(socket.SOCK_DGRAM),
        ami_port=free_port(socket.SOCK_STREAM),
        http_port=free_port(socket.SOCK_STREAM),
        https_port=free_port(socket.SOCK_STREAM),
        seat_webrtc=seat_webrtc,
        seat_proxy=seat_proxy,
        agi_hosts=agi_hosts,
    )
    lock_path = paths.root.with_name(paths.root.name + ".session.lock")
    with contextlib.ExitStack() as session:  # releases the flock on exit
        try:
            session.enter_context(file_lock(lock_path, timeout_s=lock_timeout_s))
        except AssertionError as error:
            raise AsteriskUnavailable(f"another session held {lock_path} for {lock_timeout_s:.0f} s") from error
        with contextlib.suppress(FileNotFoundError):
            (paths.db_dir / "astdb.sqlite3").unlink()
        sandbox_process.start(paths, options, source=source)
        try:
            yield OwnAsterisk(paths=paths, options=options)
        finally:
            sandbox_process.stop(paths)

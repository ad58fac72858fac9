"""Process control: start the sandbox Asterisk from a configuration source, ask its CLI, stop it.

Rules: Asterisk runs in the foreground (-f) in its own session, so it outlives the command that started it;
every wait is bounded and fails with a message that says what was being waited for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from sandbox.paths import (
    ASTERISK_BINARY,
    BOOT_TIMEOUT_S,
    CONF_SOURCE,
    STOP_TIMEOUT_S,
    SandboxError,
    SandboxOptions,
    SandboxPaths,
    chroot_env,
    default_paths,
    log,
)
from sandbox.provision import provision
from sandbox.render import render_config


def _cli(paths: SandboxPaths, command: str, *, timeout_s: float = 10.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chroot", str(paths.root), ASTERISK_BINARY, "-C", str(paths.asterisk_conf), "-rx", command],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=chroot_env(),
    )


def cli(paths: SandboxPaths, command: str, *, timeout_s: float = 10.0) -> str:
    """Run an Asterisk CLI command in the running sandbox and return its output."""
    try:
        completed = _cli(paths, command, timeout_s=timeout_s)
    except subprocess.TimeoutExpired as error:
        raise SandboxError(f"asterisk -rx {command!r}: no answer after {timeout_s:.0f} s") from error
    if completed.returncode != 0:
        raise SandboxError(f"asterisk -rx {command!r} failed: {(completed.stderr or completed.stdout).strip()}")
    return completed.stdout


def running_pid(paths: SandboxPaths) -> int | None:
    """The pid of the sandbox's Asterisk (its pid file, if that process is alive), or None."""
    try:
        pid = int((paths.run_dir / "asterisk.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def is_running(paths: SandboxPaths) -> bool:
    if running_pid(paths) is None or not paths.asterisk_conf.exists():
        return False
    try:
        return _cli(paths, "core show uptime", timeout_s=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def start(
    paths: SandboxPaths | None = None,
    options: SandboxOptions | None = None,
    *,
    source: Path = CONF_SOURCE,
    boot_timeout_s: float = BOOT_TIMEOUT_S,
) -> SandboxPaths:
    """Provision if needed, render the configuration from `source` (asterisk_conf/ unless a benchmark brings its
    own) and start Asterisk; return once it is fully booted (its pid: `running_pid`).

    A sandbox that is already running is restarted, so it always runs the configuration just rendered.
    """
    paths = provision(paths)
    if is_running(paths):
        stop(paths)
    render_config(paths, options, source=source)
    paths.console_log.parent.mkdir(parents=True, exist_ok=True)
    with paths.console_log.open("ab") as console:
        process = subprocess.Popen(
            ["chroot", str(paths.root), ASTERISK_BINARY, "-f", "-C", str(paths.asterisk_conf)],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # setsid: Asterisk outlives `ivr asterisk start` and ignores its Ctrl-C
            env=chroot_env(),
        )
    deadline = time.monotonic() + boot_timeout_s
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(
                f"Asterisk exited with status {process.returncode} while booting; see {paths.console_log} "
                f"and {paths.log_dir}/messages.log"
            )
        try:
            attempt = _cli(paths, "core waitfullybooted", timeout_s=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            break
        if attempt.returncode == 0:
            return paths
        last_error = (attempt.stderr or attempt.stdout).strip()
        time.sleep(0.1)  # the control socket does not exist yet; poll again before the deadline
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5)
    raise SandboxError(f"Asterisk did not finish booting within {boot_timeout_s:.0f} s: {last_error}")


def stop(paths: SandboxPaths | None = None, *, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """Stop the sandbox Asterisk; True if one was running. Kills it if `core stop now` does not in time."""
    paths = paths or default_paths()
    pid = running_pid(paths)
    if pid is None:
        return False
    with contextlib.suppress(subprocess.TimeoutExpired):
        _cli(paths, "core stop now", timeout_s=timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _pid_alive(pid) is False:
            return True
        time.sleep(0.05)
    log(f"Asterisk (pid {pid}) ignored `core stop now` for {timeout_s:.0f} s; killing it")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child still answers kill(0); treat it as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True

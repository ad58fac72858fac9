"""The sandbox Asterisk 22 (Debian sid in a chroot) and the SIPp demo caller.

Rules:
- Debian 12 has no Asterisk package, so the project builds its own: debootstrap sid (minbase), install
  asterisk inside, and cache the tree as a tar.zst OUTSIDE the repository (IVR_ASTERISK_CACHE). A run unpacks
  the cache into ./var/asterisk/root (IVR_ASTERISK_ROOT) when that tree is missing. Both steps are idempotent
  and serialised by flock()ed lock files, so concurrent runs share one build and never see half a tree.
- Configuration is rendered from asterisk_conf/ into `base/etc`, where `base` is an absolute path that exists
  both inside the chroot and on the host (a host symlink to ROOT/base). Paths in asterisk.conf, and the paths
  of files Asterisk writes (recordings under `base/spool`), so mean the same to Asterisk and to our FastAGI
  server on the host. See /work/shared/notes/asterisk-facts.md.
- asterisk_conf/ stays what an administrator deploys; rendering only overrides a few keys (directories, the
  FastAGI address, ports) and puts the demo-only secret files (`*.sandbox.conf`) in place of the real ones.
- Every wait is bounded and fails with a message that says what was being waited for.
- Nothing here needs a network besides loopback, except provisioning (Debian's mirror).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import hashlib
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
CONF_SOURCE = PROJECT_DIR / "asterisk_conf"
DEFAULT_CACHE = Path("/var/cache/callcenter-ivr/asterisk-sid.tar.zst")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
ASTERISK_PACKAGES = ("asterisk", "asterisk-core-sounds-en-wav")
ASTERISK_BINARY = "/usr/sbin/asterisk"
SOUNDS_DIR = "/usr/share/asterisk/sounds"
SANDBOX_SECRETS_SUFFIX = ".sandbox.conf"

BOOT_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class SandboxError(Exception):
    """The sandbox cannot be provisioned, started or stopped; the message says why and what to do."""


@dataclass(frozen=True)
class SandboxPaths:
    root: Path  # the chroot tree
    cache: Path  # tar.zst of a provisioned tree
    base: Path  # same absolute path inside the chroot and on the host (host symlink -> root/base)

    @property
    def conf_dir(self) -> Path:
        return self.base / "etc"

    @property
    def asterisk_conf(self) -> Path:
        return self.conf_dir / "asterisk.conf"

    @property
    def spool_dir(self) -> Path:
        return self.base / "spool"

    @property
    def log_dir(self) -> Path:
        return self.base / "log"

    @property
    def run_dir(self) -> Path:
        return self.base / "run"

    @property
    def db_dir(self) -> Path:
        return self.base / "lib"

    @property
    def recordings_dir(self) -> Path:
        """Where flows record voicemails in the sandbox (same path for Asterisk and the host)."""
        return self.spool_dir / "ivr-recordings"

    @property
    def console_log(self) -> Path:
        return self.root.parent / "asterisk-console.log"

    def in_root(self, absolute: Path | str) -> Path:
        """The host path of a path as Asterisk sees it inside the chroot."""
        return self.root / str(absolute).lstrip("/")

    def resolve_in_root(self, absolute: Path | str) -> Path:
        """Like in_root, following symlinks as the chroot would: Debian's sounds/en is an absolute link to
        /etc/alternatives/..., which means ROOT/etc/alternatives/... from the host, not the host's /etc."""
        resolved = self.root
        pending = list(Path(str(absolute).lstrip("/")).parts)
        for _hop in range(64):  # bounded: a symlink loop in the tree must not hang us
            if not pending:
                return resolved
            part = pending.pop(0)
            if part in {"", "."}:
                continue
            if part == "..":
                resolved = resolved.parent if resolved != self.root else resolved
                continue
            candidate = resolved / part
            if candidate.is_symlink():
                target = os.readlink(candidate)
                pending = list(Path(target.lstrip("/")).parts) + pending
                if target.startswith("/"):
                    resolved = self.root
                continue
            resolved = candidate
        raise SandboxError(f"too many symlinks resolving {absolute} in {self.root}")

    def sounds_dir(self, language: str) -> Path:
        """Where prompts for `language` go: ROOT/usr/share/asterisk/sounds/<lang>/ivr/ (see ivr.prompts)."""
        if not re.fullmatch(r"[a-z]{2,3}(_[A-Za-z]{2})?", language):
            raise ValueError(f"not a language code: {language!r}")
        return self.resolve_in_root(f"{SOUNDS_DIR}/{language}") / "ivr"


def default_paths(env: Mapping[str, str] | None = None) -> SandboxPaths:
    environ = os.environ if env is None else env
    root = Path(environ.get("IVR_ASTERISK_ROOT", str(PROJECT_DIR / "var" / "asterisk" / "root"))).absolute()
    cache = Path(environ.get("IVR_ASTERISK_CACHE", str(DEFAULT_CACHE))).absolute()
    # One base per root, so two checkouts on one machine do not share a configuration directory.
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:10]
    base = Path(environ.get("IVR_ASTERISK_BASE", f"/var/lib/callcenter-ivr/sandbox-{digest}")).absolute()
    return SandboxPaths(root=root, cache=cache, base=base)


def sounds_dir(language: str, paths: SandboxPaths | None = None) -> Path:
    """The sandbox's prompt directory for `language` (the prompts builder installs there)."""
    return (paths or default_paths()).sounds_dir(language)


@dataclass(frozen=True)
class SandboxOptions:
    """What differs between the sandbox and a production box; everything else comes from asterisk_conf/."""

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    sip_port: int = 5060
    ami_port: int = 5038
    extra_globals: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------------------
# Small helpers


def _log(message: str) -> None:
    print(f"[asterisk-sandbox] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], *, what: str, timeout_s: float, env: Mapping[str, str] | None = None) -> str:
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, env=None if env is None else dict(env)
        )
    except subprocess.TimeoutExpired as error:
        raise SandboxError(f"{what}: no result after {timeout_s:.0f} s ({' '.join(command)})") from error
    except FileNotFoundError as error:
        raise SandboxError(f"{what}: {command[0]} is not installed (run `make system-deps`)") from error
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout)[-2000:]
        raise SandboxError(f"{what} failed (exit {completed.returncode}): {tail}")
    return completed.stdout


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    return [line.split()[1] for line in lines if len(line.split()) > 1 and line.split()[1].startswith(prefix)]


def _remove_tree(path: Path) -> None:
    """rm -rf, refusing when something is mounted inside (it would delete the host's files)."""
    if not path.exists() and not path.is_symlink():
        return
    mounted = _mounts_under(path)
    if mounted:
        raise SandboxError(f"refusing to delete {path}: mounted inside: {', '.join(mounted)}")
    shutil.rmtree(path)


def unavailable_reason(paths: SandboxPaths | None = None) -> str | None:
    """Why the sandbox cannot run on this machine, or None if it can."""
    if os.geteuid() != 0:
        return "the sandbox Asterisk needs root (chroot, debootstrap)"
    for tool in ("chroot", "tar", "zstd"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (run `make system-deps`)"
    paths = paths or default_paths()
    provisioned = paths.cache.exists() or (paths.root / ASTERISK_BINARY.lstrip("/")).exists()
    if not provisioned and shutil.which("debootstrap") is None:
        return "debootstrap is not installed and no cached tree exists (run `make system-deps`)"
    return None


# ------------------------------------------------------------------------------------------------------------
# Provisioning


def _chroot_env() -> dict[str, str]:
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "DEBIAN_FRONTEND": "noninteractive",
        "LC_ALL": "C",
        "HOME": "/root",
    }


def _build_tree(target: Path) -> None:
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed (run `make system-deps`)")
    _log(f"debootstrap sid into {target} (about a minute)")
    _run(
        ["debootstrap", "--variant=minbase", "sid", str(target), DEBIAN_MIRROR],
        what="debootstrap",
        timeout_s=900,
    )
    # sid's Release file may be past its Valid-Until date; the package must not start a service at install.
    (target / "etc/apt/apt.conf.d/99callcenter-ivr").write_text('Acquire::Check-Valid-Until "false";\n')
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# callcenter-ivr sandbox: never start services at install\nexit 101\n")
    policy.chmod(0o755)
    # minbase has no /etc/hosts; res_resolver_unbound complains without one.
    (target / "etc/hosts").write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    with contextlib.suppress(OSError):
        shutil.copyfile("/etc/resolv.conf", target / "etc/resolv.conf")
    _log("apt-get install asterisk inside the chroot")
    _run(
        ["chroot", str(target), "apt-get", "update", "-qq"],
        what="apt-get update",
        timeout_s=600,
        env=_chroot_env(),
    )
    _run(
        [
            "chroot",
            str(target),
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            *ASTERISK_PACKAGES,
        ],
        what="apt-get install asterisk",
        timeout_s=900,
        env=_chroot_env(),
    )
    _run(["chroot", str(target), "apt-get", "clean"], what="apt-get clean", timeout_s=120, env=_chroot_env())
    if not (target / ASTERISK_BINARY.lstrip("/")).exists():
        raise SandboxError(f"asterisk was installed but {ASTERISK_BINARY} is missing in {target}")


def ensure_cache(paths: SandboxPaths) -> None:
    """Build the cached tar.zst of a sid tree with Asterisk unless it exists. Idempotent, concurrency-safe."""
    with _file_lock(paths.cache.with_name(paths.cache.name + ".lock")):
        if paths.cache.exists():
            return
        work = Path(tempfile.mkdtemp(prefix="build-", dir=paths.cache.parent))
        try:
            tree = work / "root"
            _build_tree(tree)
            mounted = _mounts_under(tree)
            if mounted:
                raise SandboxError(f"debootstrap left mounts inside {tree}: {', '.join(mounted)}")
            partial = work / "tree.tar.zst"
            _log(f"caching the tree as {paths.cache}")
            _run(["tar", "--zstd", "-cf", str(partial), "-C", str(tree), "."], what="tar", timeout_s=600)
            os.replace(partial, paths.cache)  # atomic: a reader sees no cache or a whole one
        finally:
            _remove_tree(work)


def ensure_root(paths: SandboxPaths) -> None:
    """Unpack the cached tree into the root unless Asterisk is already there. Idempotent, concurrency-safe."""
    with _file_lock(paths.root.with_name(paths.root.name + ".lock")):
        if (paths.root / ASTERISK_BINARY.lstrip("/")).exists():
            return
        ensure_cache(paths)
        staging = paths.root.with_name(paths.root.name + ".unpacking")
        _remove_tree(staging)
        staging.mkdir(parents=True)
        _log(f"unpacking {paths.cache} into {paths.root}")
        _run(["tar", "--zstd", "-xf", str(paths.cache), "-C", str(staging)], what="untar", timeout_s=300)
        _remove_tree(paths.root)
        os.replace(staging, paths.root)


def provision(paths: SandboxPaths | None = None) -> SandboxPaths:
    """Make sure the chroot with Asterisk exists (building or unpacking it if needed)."""
    paths = paths or default_paths()
    reason = unavailable_reason(paths)
    if reason:
        raise SandboxError(reason)
    ensure_root(paths)
    seal_name_resolution(paths.root)
    _link_base(paths)
    _relativize_sound_links(paths)
    return paths


def seal_name_resolution(root: Path, hostname: str | None = None) -> None:
    """Keep the chroot's name lookups on loopback: debootstrap copies the host's resolv.conf (a resolver off the
    machine) and minbase has no line for the host's own name, so Asterisk would send DNS queries out during calls
    (gethostname lookups, PJSIP contact hosts). Applied at every provision: the cached tree may predate it."""
    name = hostname or socket.gethostname()
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    resolv = etc / "resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    resolv.write_text("# callcenter-ivr sandbox: lookups stay on this machine\nnameserver 127.0.0.1\n")
    aliases = " ".join(dict.fromkeys(part for part in (name, name.split(".")[0]) if part))
    (etc / "hosts").write_text(f"127.0.0.1\tlocalhost {aliases}\n::1\tlocalhost ip6-localhost ip6-loopback {aliases}\n")


def _relativize_sound_links(paths: SandboxPaths) -> None:
    """Debian's sounds/en is an absolute link (/etc/alternatives/...): dangling when seen from the host, so a
    prompt builder writing ROOT/usr/share/asterisk/sounds/en/ivr/ would fail. Relative links mean the same
    inside the chroot and work from the host too."""
    sounds = paths.in_root(SOUNDS_DIR)
    if not sounds.is_dir():
        return
    for link in sounds.iterdir():
        if link.is_symlink() and os.readlink(link).startswith("/"):
            target = paths.resolve_in_root(f"{SOUNDS_DIR}/{link.name}")
            link.unlink()
            link.symlink_to(os.path.relpath(target, sounds))


def _link_base(paths: SandboxPaths) -> None:
    """Create base inside the chroot and the host symlink pointing at it."""
    inside = paths.in_root(paths.base)
    inside.mkdir(parents=True, exist_ok=True)
    if paths.base.is_symlink():
        if paths.base.resolve() == inside.resolve():
            return
        paths.base.unlink()
    elif paths.base.exists():
        raise SandboxError(f"{paths.base} exists and is not the sandbox symlink; remove it or set IVR_ASTERISK_BASE")
    paths.base.parent.mkdir(parents=True, exist_ok=True)
    paths.base.symlink_to(inside)


# ------------------------------------------------------------------------------------------------------------
# Configuration rendering


def set_option(text: str, section: str, key: str, value: str) -> str:
    """Replace `key = ...` inside `[section]` (the first one, templates included) of an Asterisk config file.

    The key must already be there: rendering overrides what an administrator wrote, it never invents options.
    """
    lines = text.splitlines(keepends=True)
    current = None
    header = re.compile(r"^\s*\[([^\]]+)\]")
    option = re.compile(rf"^(\s*){re.escape(key)}(\s*)=>?(\s*)([^;\n]*?)(\s*)(;.*)?$")
    for index, line in enumerate(lines):
        match = header.match(line)
        if match:
            current = match.group(1)
            continue
        if current != section:
            continue
        found = option.match(line.rstrip("\n"))
        if found:
            # Keep the administrator's spelling (`=` or `=>`, spaces or none: [globals] must have none).
            arrow = "=>" if "=>" in line.split(";", 1)[0] else "="
            comment = f" {found.group(6)}" if found.group(6) else ""
            lines[index] = f"{found.group(1)}{key}{found.group(2)}{arrow}{found.group(3)}{value}{comment}\n"
            return "".join(lines)
    raise SandboxError(f"cannot override {key} in [{section}]: not found in the source configuration")


def sandbox_overrides(paths: SandboxPaths, options: SandboxOptions) -> dict[str, list[tuple[str, str, str]]]:
    """Per file: (section, key, value) to override when rendering asterisk_conf/ for the sandbox."""
    directories = {
        "astetcdir": paths.conf_dir,
        "astspooldir": paths.spool_dir,
        "astrundir": paths.run_dir,
        "astlogdir": paths.log_dir,
        "astdbdir": paths.db_dir,
    }
    return {
        "asterisk.conf": [("directories", key, str(value)) for key, value in directories.items()],
        "extensions.conf": [
            ("globals", "IVR_AGI", f"agi://{options.agi_host}:{options.agi_port}"),
            ("globals", "IVR_RECORDINGS", str(paths.recordings_dir)),
            *[("globals", key, value) for key, value in options.extra_globals.items()],
        ],
        "pjsip.conf": [("transport-udp", "bind", f"127.0.0.1:{options.sip_port}")],
        "manager.conf": [("general", "port", str(options.ami_port))],
    }


def render_config(
    paths: SandboxPaths,
    options: SandboxOptions | None = None,
    *,
    source: Path = CONF_SOURCE,
    today: date | None = None,
) -> None:
    """Write the sandbox configuration (asterisk_conf/ + overrides + demo secrets) into paths.conf_dir."""
    options = options or SandboxOptions()
    overrides = sandbox_overrides(paths, options)
    target = paths.conf_dir
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.conf"):
        old.unlink()
    for conf in sorted(source.glob("*.conf")):
        text = conf.read_text()
        for section, key, value in overrides.get(conf.name, []):
            text = set_option(text, section, key, value)
        name = conf.name
        if name.endswith(SANDBOX_SECRETS_SUFFIX):
            # Demo-only secrets take the place of the production file that is never in the repository.
            name = name[: -len(SANDBOX_SECRETS_SUFFIX)] + ".conf"
        (target / name).write_text(text)
    # cdr_csv writes Master.csv under astlogdir/cdr-csv, which it does not create either.
    made = (paths.spool_dir, paths.log_dir / "cdr-csv", paths.run_dir, paths.db_dir, paths.recordings_dir)
    for directory in made:
        directory.mkdir(parents=True, exist_ok=True)
    # RECORD FILE does not create directories, and the voicemail flow records into <dir>/<yyyy>/<mm>/: create
    # this month's and next month's, as a deployment's monthly job would.
    today = today or date.today()
    for day in (today, today + timedelta(days=31)):
        (paths.recordings_dir / f"{day:%Y}" / f"{day:%m}").mkdir(parents=True, exist_ok=True)
    _ensure_hold_music(paths)


def _ensure_hold_music(paths: SandboxPaths) -> None:
    """Debian's asterisk has no music: give the default class a soft tone so queued callers get media."""
    moh = paths.in_root("/var/lib/asterisk/moh")
    moh.mkdir(parents=True, exist_ok=True)
    if any(moh.iterdir()):
        return
    rate, seconds = 8000, 4
    samples = bytearray()
    for n in range(rate * seconds):
        # Fade in and out, so the loop has no click.
        envelope = 0.5 - 0.5 * math.cos(2 * math.pi * n / (rate * seconds))
        value = int(3000 * envelope * math.sin(2 * math.pi * 440 * n / rate))
        samples += value.to_bytes(2, "little", signed=True)
    with wave.open(str(moh / "sandbox-tone.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))


# ------------------------------------------------------------------------------------------------------------
# Running


def _cli(paths: SandboxPaths, command: str, *, timeout_s: float = 10.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chroot", str(paths.root), ASTERISK_BINARY, "-C", str(paths.asterisk_conf), "-rx", command],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=_chroot_env(),
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


def _pid(paths: SandboxPaths) -> int | None:
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
    if _pid(paths) is None or not paths.asterisk_conf.exists():
        return False
    try:
        return _cli(paths, "core show uptime", timeout_s=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def start(
    paths: SandboxPaths | None = None,
    options: SandboxOptions | None = None,
    *,
    boot_timeout_s: float = BOOT_TIMEOUT_S,
) -> SandboxPaths:
    """Provision if needed, render the configuration and start Asterisk; return once it is fully booted.

    A sandbox that is already running is restarted, so it always runs the configuration just rendered.
    """
    paths = provision(paths)
    if is_running(paths):
        stop(paths)
    render_config(paths, options)
    paths.console_log.parent.mkdir(parents=True, exist_ok=True)
    with paths.console_log.open("ab") as console:
        process = subprocess.Popen(
            ["chroot", str(paths.root), ASTERISK_BINARY, "-f", "-C", str(paths.asterisk_conf)],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # setsid: Asterisk outlives `ivr asterisk start` and ignores its Ctrl-C
            env=_chroot_env(),
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
    pid = _pid(paths)
    if pid is None:
        return False
    with contextlib.suppress(subprocess.TimeoutExpired):
        _cli(paths, "core stop now", timeout_s=timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _pid_alive(pid) is False:
            return True
        time.sleep(0.05)
    _log(f"Asterisk (pid {pid}) ignored `core stop now` for {timeout_s:.0f} s; killing it")
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


# ------------------------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str]) -> int:
    """`ivr asterisk provision|start|stop|status|cli CMD`."""
    parser = argparse.ArgumentParser(prog="ivr asterisk", description="the sandbox Asterisk 22 (Debian sid chroot)")
    parser.add_argument("action", choices=["provision", "start", "stop", "status", "cli", "paths", "env"])
    parser.add_argument("command", nargs="*", help="for `cli`: the Asterisk CLI command")
    parser.add_argument("--agi-port", type=int, default=int(os.environ.get("IVR_AGI_PORT", "4573")))
    parser.add_argument("--sip-port", type=int, default=5060)
    parser.add_argument("--ami-port", type=int, default=5038)
    args = parser.parse_args(argv)
    paths = default_paths()
    options = SandboxOptions(agi_port=args.agi_port, sip_port=args.sip_port, ami_port=args.ami_port)
    try:
        if args.action == "provision":
            provision(paths)
            print(f"sandbox ready in {paths.root}")
        elif args.action == "start":
            start(paths, options)
            print(f"Asterisk running; configuration in {paths.conf_dir}; logs in {paths.log_dir}")
        elif args.action == "stop":
            print("stopped" if stop(paths) else "not running")
        elif args.action == "status":
            running = is_running(paths)
            print("running" if running else "stopped")
            return 0 if running else 3
        elif args.action == "cli":
            print(cli(paths, " ".join(args.command)), end="")
        elif args.action == "env":
            # For `eval "$(ivr asterisk env)"` before `ivr agi`: where the flows must ask Asterisk to record.
            print(f"export IVR_VOICEMAIL_DIR={paths.recordings_dir}")
        else:
            print(f"root={paths.root}\ncache={paths.cache}\nbase={paths.base}\nconf={paths.conf_dir}")
            print(f"recordings={paths.recordings_dir}\nsounds={paths.in_root(SOUNDS_DIR)}")
    except SandboxError as error:
        print(f"ivr asterisk {args.action}: {error}", file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------------------------------------------------
# AMI: a minimal client for the demo caller and the tests (the API has its own, panoramisk-based).


def ami_secret(paths: SandboxPaths) -> str:
    """The AMI secret of the rendered sandbox (the demo-only one unless you replaced it)."""
    text = (paths.conf_dir / "manager_secrets.conf").read_text()
    match = re.search(r"^\s*secret\s*=\s*(\S+)", text, re.MULTILINE)
    if not match:
        raise SandboxError(f"no AMI secret in {paths.conf_dir / 'manager_secrets.conf'}")
    return match.group(1)


AmiMessage = dict[str, str]


class AmiClient:
    """Login, send actions, keep every event. Rules: one reader task owns the socket's read side; events are
    appended in arrival order and never dropped (a test or demo lasts seconds); waits are always bounded."""

    AMI_USER = "ivr-api"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.events: list[AmiMessage] = []
        self._responses: dict[str, asyncio.Future[AmiMessage]] = {}
        self._changed = asyncio.Event()
        self._next_id = 0
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls, *, secret: str, host: str = "127.0.0.1", port: int = 5038, timeout_s: float = 5.0
    ) -> AmiClient:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
        await asyncio.wait_for(reader.readline(), timeout_s)  # "Asterisk Call Manager/x.y"
        client = cls(reader, writer)
        client._task = asyncio.create_task(client._read_loop())
        reply = await client.action("Login", timeout_s=timeout_s, Username=cls.AMI_USER, Secret=secret)
        if reply.get("Response") != "Success":
            await client.close()
            raise SandboxError(f"AMI login refused: {reply.get('Message', reply)}")
        return client

    async def _read_loop(self) -> None:
        message: AmiMessage = {}
        while True:
            line = await self._reader.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if text:
                key, _, value = text.partition(":")
                message[key.strip()] = value.strip()
                continue
            if "Event" in message:
                self.events.append(message)
                self._changed.set()
            elif "ActionID" in message and message["ActionID"] in self._responses:
                future = self._responses.pop(message["ActionID"])
                if not future.done():
                    future.set_result(message)
            message = {}
        self._changed.set()

    async def action(self, name: str, *, timeout_s: float = 5.0, **fields: str) -> AmiMessage:
        self._next_id += 1
        action_id = f"ivr-{self._next_id}"
        future: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        self._responses[action_id] = future
        lines = [
            f"Action: {name}",
            f"ActionID: {action_id}",
            *(f"{key}: {value}" for key, value in fields.items()),
        ]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError as error:
            raise SandboxError(f"AMI action {name}: no response within {timeout_s} s") from error

    async def wait_for(
        self, predicate: Callable[[AmiMessage], bool], *, timeout_s: float, what: str = "an AMI event"
    ) -> AmiMessage:
        """The first event (already received or still to come) matching `predicate`."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout_s} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.write(b"Action: Logoff\r\n\r\n")
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


# ------------------------------------------------------------------------------------------------------------
# SIPp caller (the "carrier" delivering a call from a given number, pressing given keys)

PCAP_DIR = Path("/usr/share/sip-tester")
SPEECH_PCAP = PCAP_DIR / "g711a.pcap"  # 7 s of A-law audio, what a caller leaving a message "says"
DTMF_EVENTS = {**{str(digit): digit for digit in range(10)}, "*": 10, "#": 11}
TELEPHONE_EVENT_PT = 101  # offered as telephone-event/8000 in the caller's SDP


def dtmf_pcap_bytes(key: str, *, sequence: int, timestamp: int, ssrc: int = 0x1CA11E4) -> bytes:
    """A pcap of one RFC 4733 key press (payload type 101) for SIPp's play_pcap_audio.

    SIPp replays RTP headers as captured. Its own dtmf_2833_N.pcap files share one SSRC but carry unrelated
    timestamps and sequence numbers, and Asterisk drops an event whose timestamp is not newer than the last one
    it saw end (res_rtp_asterisk), so the second key of "3 then 1" was lost. Each press gets its own increasing
    sequence and timestamp instead.
    """
    if key not in DTMF_EVENTS:
        raise ValueError(f"no DTMF event for key {key!r}")
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # pcap, Ethernet link type
    packets = []
    steps = 8  # 8 x 20 ms of "key held", then the end-of-event packet three times (RFC 4733 section 2.5.1.4)
    for index in range(steps + 3):
        end = index >= steps
        duration = 160 * min(index + 1, steps)
        rtp = struct.pack(
            "!BBHIIBBH",
            0x80,
            (0x80 if index == 0 else 0) | TELEPHONE_EVENT_PT,
            (sequence + min(index, steps)) & 0xFFFF,
            timestamp & 0xFFFFFFFF,
            ssrc,
            DTMF_EVENTS[key],
            (0x80 if end else 0) | 10,  # E bit, volume -10 dBm0
            duration,
        )
        udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(4), bytes(4)) + udp
        frame = bytes(12) + b"\x08\x00" + ip
        micros = index * 20_000
        packets.append(struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)))
        packets.append(frame)
    return header + b"".join(packets)


@dataclass(frozen=True)
class CallerScript:
    """What the caller does, in seconds after Asterisk answered."""

    caller: str
    keys: tuple[tuple[float, str], ...] = ()  # (at, key)
    speak_at: float | None = None  # play SPEECH_PCAP from this instant (a message for the voicemail)
    hangup_at: float = 30.0  # the caller hangs up then, unless Asterisk hung up first
    dialed: str = "0800100200"
    caller_name: str = "Caller"


def _sip_display_name(name: str) -> str:
    """The caller's name as the inside of a SIP quoted-string in the scenario's CDATA: sent as given, except that
    quotes and backslashes become quoted-pairs (RFC 3261), and line breaks and [ ] (SIPp's keyword brackets, which
    also end CDATA as "]]>") are dropped."""
    kept = "".join(c for c in name if c not in "\r\n[]")
    return kept.replace("\\", "\\\\").replace('"', '\\"')


def write_caller_scenario(script: CallerScript, directory: Path) -> Path:
    """Write the caller's SIPp scenario and its key-press captures into `directory`; return the scenario."""
    keys = sorted(script.keys)
    pcaps: list[tuple[float, str]] = []
    for index, (at, key) in enumerate(keys):
        pcap = directory / f"key-{index}-{DTMF_EVENTS.get(key, 'x')}.pcap"
        pcap.write_bytes(dtmf_pcap_bytes(key, sequence=1000 + 20 * index, timestamp=8000 * (10 + 4 * index)))
        pcaps.append((at, str(pcap)))
    scenario = directory / "caller.xml"
    scenario.write_text(caller_scenario(script, pcaps))
    return scenario


def caller_scenario(script: CallerScript, key_pcaps: list[tuple[float, str]]) -> str:
    """A SIPp UAC scenario: INVITE offering PCMA + telephone-event/101, then key presses and speech.

    `key_pcaps` are (seconds after answer, pcap of a press). Every wait is a `recv BYE` with a timeout, so the
    caller notices when Asterisk hangs up at any point.
    """
    if not re.fullmatch(r"\+?[0-9]{1,20}|anonymous|", script.caller):
        raise ValueError(f"caller must be digits with an optional +: {script.caller!r}")
    actions: list[tuple[float, str]] = list(key_pcaps)
    if script.speak_at is not None:
        actions.append((script.speak_at, str(SPEECH_PCAP)))
    actions.sort()
    if actions and actions[-1][0] >= script.hangup_at:
        raise ValueError("every key and the speech must come before the caller hangs up")
    user = script.caller or "anonymous"
    name = _sip_display_name(script.caller_name)
    steps: list[str] = []
    now_ms = 0
    for index, (at, pcap) in enumerate(actions):
        wait_ms = max(1, round(at * 1000) - now_ms)
        steps.append(
            f'  <recv request="BYE" timeout="{wait_ms}" ontimeout="step{index}" next="asterisk_hung_up"/>\n'
            f'  <label id="step{index}"/>\n'
            f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>'
        )
        now_ms += wait_ms
    final_wait = max(1, round(script.hangup_at * 1000) - now_ms)
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- Generated by ivr.sandbox.caller_scenario: a carrier call from {user} -->
<scenario name="callcenter caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{user}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Subject: callcenter-ivr demo
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:{user}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
{chr(10).join(steps)}
  <recv request="BYE" timeout="{final_wait}" ontimeout="caller_hangs_up" next="asterisk_hung_up"/>
  <label id="caller_hangs_up"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" next="done"/>
  <label id="asterisk_hung_up"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <label id="done"/>
</scenario>
"""


@dataclass(frozen=True)
class SippResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


async def run_sipp(
    scenario: Path,
    *,
    target: str = "127.0.0.1:5060",
    local_ip: str = "127.0.0.1",
    local_port: int = 5070,
    media_port: int = 16000,
    service: str = "0800100200",
    extra: tuple[str, ...] = (),
    timeout_s: float = 60.0,
) -> SippResult:
    """Run SIPp once (one call) and return its exit status and output; killed if it outlives `timeout_s`."""
    if shutil.which("sipp") is None:
        raise SandboxError("sipp is not installed (Debian package sip-tester; run `make system-deps`)")
    command = [
        "sipp", target, "-sf", str(scenario), "-s", service, "-i", local_ip, "-p", str(local_port),
        "-mi", local_ip, "-mp", str(media_port), "-m", "1", "-l", "1", "-nostdin",
        "-timeout", f"{int(timeout_s)}s", "-timeout_error", "-trace_err",
        "-error_file", str(scenario.with_suffix(".errors.log")), *extra,
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=scenario.parent
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout_s + 5)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
    errors = scenario.with_suffix(".errors.log")
    text = output.decode("utf-8", "replace")
    if errors.exists():
        text += "\n" + errors.read_text(errors="replace")[-4000:]
    return SippResult(returncode=process.returncode if process.returncode is not None else -1, output=text)


# ------------------------------------------------------------------------------------------------------------
# `ivr call`: a demo call through the sandbox, narrated from AMI

_NARRATED = {
    "Newchannel", "AGIExecStart", "VarSet", "QueueCallerJoin", "AgentCalled", "AgentConnect",
    "QueueCallerLeave", "QueueCallerAbandon", "AgentComplete", "Hangup",
}  # fmt: skip


def narrate(event: AmiMessage) -> str | None:
    """One line for an event worth telling a person watching a demo call, or None."""
    kind = event.get("Event", "")
    if kind not in _NARRATED:
        return None
    if kind == "VarSet":
        variable = event.get("Variable", "")
        if not (variable.startswith("IVR_") or variable in {"QUEUESTATUS", "CHANNEL(language)"}):
            return None
        return f"set {variable}={event.get('Value', '')}"
    if kind == "AGIExecStart":
        command = event.get("Command", "")
        # Variables show up as VarSet events already; GET VARIABLE is bookkeeping.
        if command.startswith(("SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE")):
            return None
        return f"AGI: {command}"
    if kind == "Newchannel":
        return f"call from {event.get('CallerIDNum', '')} on {event.get('Channel', '')}"
    if kind in {"QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon"}:
        return f"{kind} {event.get('Queue', '')} (position {event.get('Position', '?')})"
    if kind in {"AgentCalled", "AgentConnect", "AgentComplete"}:
        return f"{kind} {event.get('Queue', '')} agent {event.get('MemberName', event.get('Interface', ''))}"
    return f"hangup {event.get('Channel', '')}: {event.get('Cause-txt', '')}"


def _timestamp(event: AmiMessage) -> float | None:
    """AMI's Timestamp field (manager.conf timestampevents = yes), in epoch seconds."""
    try:
        return float(event["Timestamp"])
    except (KeyError, ValueError):
        return None


def parse_keys(text: str, *, first_at: float, gap: float) -> tuple[tuple[float, str], ...]:
    """`3,1` -> ((first_at, "3"), (first_at + gap, "1")); an empty entry skips a turn (`,1`)."""
    keys = []
    for index, key in enumerate(text.split(",") if text else []):
        key = key.strip()
        if key:
            if key not in DTMF_EVENTS:
                raise ValueError(f"not a phone key: {key!r}")
            keys.append((first_at + index * gap, key))
    return tuple(keys)


# Asterisk's own log (logger.conf: messages.log with verbose(3), millisecond stamps) says when each channel was
# answered, each file started playing and the queue began: the caller's journey, measured where the media is.
_LOG_LINE = re.compile(r"^\[(?P<stamp>[\d-]+ [\d:.]+)\].*?(?P<channel>PJSIP/[\w.-]+-[0-9a-f]{8})(?P<rest>.*)$")
_PLAYING = re.compile(r"> Playing '(?P<file>[^']+?)(?:\.\w+)?' \((?:language|escape_digits)")


@dataclass(frozen=True)
class Journey:
    """One channel's path through the IVR, in seconds after its answer."""

    channel: str
    answered: float  # epoch seconds (Asterisk host clock)
    heard: tuple[tuple[float, str], ...] = ()  # (offset, sound file)
    queue_at: float | None = None

    def first(self, sound: str) -> float | None:
        return next((at for at, name in self.heard if name.endswith(sound)), None)


def journeys_from_log(log_text: str) -> dict[str, Journey]:
    """Every answered channel's journey, keyed by the caller number of the dialplan's `Inbound call from` line."""
    callers: dict[str, str] = {}
    answered: dict[str, float] = {}
    heard: dict[str, list[tuple[float, str]]] = {}
    queued: dict[str, float] = {}
    for line in log_text.splitlines():
        match = _LOG_LINE.match(line)
        if match is None:
            continue
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(match["stamp"]).timestamp()
            channel, rest = match["channel"], match["rest"]
            if "Inbound call from " in rest:
                callers.setdefault(rest.split("Inbound call from ", 1)[1].split('"', 1)[0], channel)
            if "Answer(" in line:
                answered.setdefault(channel, when)
            elif (playing := _PLAYING.search(rest)) is not None:
                heard.setdefault(channel, []).append((when, playing["file"]))
            elif "Queue(" in line:
                queued.setdefault(channel, when)
    journeys = {}
    for caller, channel in callers.items():
        start = answered.get(channel)
        if start is None:
            continue
        journeys[caller] = Journey(
            channel=channel,
            answered=start,
            heard=tuple((round(at - start, 2), name) for at, name in heard.get(channel, [])),
            queue_at=round(queued[channel] - start, 2) if channel in queued else None,
        )
    return journeys


def log_size(paths: SandboxPaths) -> int:
    log = paths.log_dir / "messages.log"
    return log.stat().st_size if log.exists() else 0


def read_log_from(paths: SandboxPaths, offset: int) -> str:
    log = paths.log_dir / "messages.log"
    if not log.exists():
        return ""
    with log.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")


def describe_journey(journey: Journey) -> list[str]:
    lines = [f"[{at:6.2f}s] heard {name}" for at, name in journey.heard]
    closed = journey.first("ivr/after_hours")
    if closed is not None:
        lines.append(f"journey: the after-hours message started {closed:.2f} s after the answer")
    if journey.queue_at is not None:
        lines.append(f"journey: in the queue {journey.queue_at:.2f} s after the answer")
    return lines


async def place_call(script: CallerScript, *, paths: SandboxPaths, work_dir: Path) -> tuple[SippResult, list[str]]:
    """Place one call and return SIPp's result and the narrated events of that call, then its journey."""
    ami = await AmiClient.connect(secret=ami_secret(paths))
    log_offset = log_size(paths)
    try:
        scenario = write_caller_scenario(script, work_dir)
        result = await run_sipp(scenario, service=script.dialed, timeout_s=script.hangup_at + 30)
        with contextlib.suppress(TimeoutError):  # let the hangup handler's events arrive
            await ami.wait_for(
                lambda e: e.get("Event") == "AGIExecEnd" and "call_end" in e.get("Command", ""),
                timeout_s=5,
                what="call_end",
            )
        callers = {script.caller, script.caller.lstrip("+")}
        linkedid = next(
            (e.get("Linkedid", "") for e in ami.events
             if e.get("Event") == "Newchannel" and e.get("CallerIDNum") in callers),
            "",
        )  # fmt: skip
        events = [event for event in ami.events if not linkedid or event.get("Linkedid") == linkedid]
        origin = _timestamp(events[0]) if events else None
        lines = []
        for event in events:
            line = narrate(event)
            if line is not None:
                stamp = _timestamp(event)
                offset = f"[{stamp - origin:6.1f}s] " if stamp is not None and origin is not None else ""
                lines.append(offset + line)
        journey = journeys_from_log(read_log_from(paths, log_offset)).get(script.caller)
        if journey is not None:
            lines += describe_journey(journey)
        return result, lines
    finally:
        await ami.close()


def call_main(argv: list[str]) -> int:
    """`ivr call --caller +33612345678 --keys 3,1`: one demo call into the running sandbox."""
    parser = argparse.ArgumentParser(prog="ivr call", description="place a demo SIP call (SIPp) into the sandbox")
    parser.add_argument("--caller", default="+33612345678", help="caller's number (E.164)")
    parser.add_argument("--keys", default="", help="keys to press, comma separated (e.g. 3,1)")
    parser.add_argument("--first-key", type=float, default=1.5, help="seconds after answer of the first key")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between keys")
    parser.add_argument("--speak-at", type=float, default=None, help="play 7 s of speech at this second")
    parser.add_argument("--hangup", type=float, default=40.0, help="hang up after this many seconds")
    args = parser.parse_args(argv)
    paths = default_paths()
    if not is_running(paths):
        print(
            "ivr call: the sandbox Asterisk is not running (start it with `ivr asterisk start`)",
            file=sys.stderr,
        )
        return 1
    script = CallerScript(
        caller=args.caller,
        keys=parse_keys(args.keys, first_at=args.first_key, gap=args.gap),
        speak_at=args.speak_at,
        hangup_at=args.hangup,
    )
    with tempfile.TemporaryDirectory(prefix="ivr-call-") as work:
        try:
            result, lines = asyncio.run(place_call(script, paths=paths, work_dir=Path(work)))
        except (SandboxError, ValueError, OSError) as error:
            print(f"ivr call: {error}", file=sys.stderr)
            return 1
    for line in lines:
        print(line)
    if not result.ok:
        print(f"SIPp exited with status {result.returncode}:\n{result.output[-2000:]}", file=sys.stderr)
    return 0 if result.ok else 1

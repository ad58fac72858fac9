"""Provisioning: a Debian sid tree with Asterisk 22, built once, cached, unpacked per checkout.

Rules:
- Debian 12 has no Asterisk package, so the project builds its own: debootstrap sid (minbase), install
  asterisk inside, and cache the tree as a tar.zst OUTSIDE the repository (IVR_ASTERISK_CACHE). A run unpacks
  the cache into ./var/asterisk/root (IVR_ASTERISK_ROOT) when that tree is missing. Both steps are idempotent
  and serialised by flock()ed lock files, so concurrent runs share one build and never see half a tree.
- Nothing here needs a network besides loopback, except building the tree (Debian's mirror).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from sandbox.paths import (
    ASTERISK_BINARY,
    ASTERISK_PACKAGES,
    DEBIAN_MIRROR,
    SOUNDS_DIR,
    SandboxError,
    SandboxPaths,
    chroot_env,
    default_paths,
    log,
)


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


def _build_tree(target: Path) -> None:
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed (run `make system-deps`)")
    log(f"debootstrap sid into {target} (about a minute)")
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
    log("apt-get install asterisk inside the chroot")
    _run(
        ["chroot", str(target), "apt-get", "update", "-qq"],
        what="apt-get update",
        timeout_s=600,
        env=chroot_env(),
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
        env=chroot_env(),
    )
    _run(["chroot", str(target), "apt-get", "clean"], what="apt-get clean", timeout_s=120, env=chroot_env())
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
            log(f"caching the tree as {paths.cache}")
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
        log(f"unpacking {paths.cache} into {paths.root}")
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

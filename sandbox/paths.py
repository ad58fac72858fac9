"""Where the sandbox lives and what it is: its paths (the chroot, the cache, the shared base), its options, its error.

Rules:
- `base` is an absolute path that exists both inside the chroot and on the host (a host symlink to ROOT/base), so
  paths in asterisk.conf and the files Asterisk writes (recordings under `base/spool`) mean the same to Asterisk
  and to our FastAGI server on the host. See /work/shared/notes/asterisk-facts.md.
- One base per root, so two checkouts on one machine never share a configuration directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
CONF_SOURCE = PROJECT_DIR / "asterisk_conf"
DEFAULT_CACHE = Path("/var/cache/callcenter-ivr/asterisk-sid.tar.zst")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
ASTERISK_PACKAGES = ("asterisk", "asterisk-core-sounds-en-wav")
ASTERISK_BINARY = "/usr/sbin/asterisk"
SOUNDS_DIR = "/usr/share/asterisk/sounds"
SANDBOX_SECRETS_SUFFIX = ".sandbox.conf"
AGI_HOSTNAME = "ivr-agi"  # the sandbox's name for a list of FastAGI servers (see SandboxOptions.agi_hosts)

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
    def keys_dir(self) -> Path:
        """The sandbox's TLS key and self-signed certificate for Asterisk's HTTPS server (browser softphones)."""
        return self.base / "keys"

    @property
    def tls_certificate(self) -> Path:
        return self.keys_dir / "asterisk.crt"

    @property
    def tls_key(self) -> Path:
        return self.keys_dir / "asterisk.key"

    @property
    def seat_secrets(self) -> Path:
        """The seats' SIP passwords as rendered for Asterisk (the API reads them for browser softphones)."""
        return self.conf_dir / "pjsip_secrets.conf"

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
    http_port: int = 8088  # Asterisk's plain HTTP, loopback only (required for its HTTPS server to run)
    https_port: int = 8089  # WSS for browser softphones: wss://127.0.0.1:PORT/ws
    # False: every seat is a desk-phone seat (webrtc = no), for the tiers whose agents are SIPp phones
    seat_webrtc: bool = True
    extra_globals: dict[str, str] = field(default_factory=dict)
    # "ADDRESS:PORT" of a SIP edge (Kamailio): seats are reached through it (pjsip_edge.conf); "" = directly
    seat_proxy: str = ""
    # Several FastAGI servers (all on agi_port): IVR_AGI names AGI_HOSTNAME, which the chroot's /etc/hosts maps to
    # each of these addresses; Asterisk tries them in turn until one accepts (res_agi launch_netscript).
    agi_hosts: tuple[str, ...] = ()

    @property
    def wss_url(self) -> str:
        """Where a browser on this machine registers a seat."""
        return f"wss://127.0.0.1:{self.https_port}/ws"


def log(message: str) -> None:
    print(f"[asterisk-sandbox] {message}", file=sys.stderr, flush=True)


def chroot_env() -> dict[str, str]:
    """The environment of every command run inside the chroot."""
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "DEBIAN_FRONTEND": "noninteractive",
        "LC_ALL": "C",
        "HOME": "/root",
    }

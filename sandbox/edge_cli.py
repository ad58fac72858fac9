"""`ivr edge start|stop|status`: the two-box layout of `make run EDGE=1` on this machine; `ivr edge seats|contacts`:
the two generated files of a production edge.

Rules:
- Kamailio takes the carrier's port (127.0.0.1:5060); box A is the usual sandbox (./var/asterisk/root) on SIP 5061,
  AMI 5038, WSS 8089; box B is a second chroot (./var/asterisk/root-b) on SIP 5062, AMI 5039, WSS 8091. Both load
  the same asterisk_conf/, use the same FastAGI server and reach seats through the edge.
- Browser seats register to the edge's WSS (EDGE_WSS_PORT), not to a box's: `ivr edge env` tells `ivr api` that
  address (IVR_API_SOFTPHONE_WSS_URL; the CSP admits it) and where to ask which box serves (IVR_EDGE_RPC, and
  IVR_EDGE_BOXES mapping each box's SIP address to its AMI, since both boxes share 127.0.0.1 here).
- Production (docs/edge.md): `seats` writes Kamailio's seats.cfg from the boxes' pjsip_secrets.conf (owner-only,
  it holds the seats' passwords), `contacts` writes each box's pjsip_edge.conf from its pjsip.conf and the edge's
  address. Both replace their file atomically, so a reader never sees half of one.
- Kamailio outlives this command (its own session, like the sandbox Asterisk); its pid is kept in var/edge so
  `stop` ends exactly that process group.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from sandbox import edge
from sandbox.paths import PROJECT_DIR, SandboxError, SandboxOptions, SandboxPaths, default_paths
from sandbox.process import is_running, start, stop

EDGE_PORT = 5060
EDGE_WSS_PORT = 8443
EDGE_RPC_PORT = 5064
EDGE_DIR = PROJECT_DIR / "var" / "edge"
BOX_B_ROOT = PROJECT_DIR / "var" / "asterisk" / "root-b"


def boxes(agi_port: int) -> list[tuple[SandboxPaths, SandboxOptions]]:
    """Box A then box B: their paths and options (ports apart, seats through the edge)."""
    proxy = f"127.0.0.1:{EDGE_PORT}"
    box_a = (
        default_paths(),
        SandboxOptions(
            agi_port=agi_port, sip_port=5061, ami_port=5038, http_port=8088, https_port=8089, seat_proxy=proxy
        ),
    )
    box_b = (
        default_paths({**os.environ, "IVR_ASTERISK_ROOT": str(BOX_B_ROOT)}),
        SandboxOptions(
            agi_port=agi_port, sip_port=5062, ami_port=5039, http_port=8090, https_port=8091, seat_proxy=proxy
        ),
    )
    return [box_a, box_b]


def edge_options(agi_port: int) -> edge.EdgeOptions:
    return edge.EdgeOptions(
        port=EDGE_PORT,
        boxes=tuple(f"127.0.0.1:{options.sip_port}" for _, options in boxes(agi_port)),
        wss_port=EDGE_WSS_PORT,
        rpc_port=EDGE_RPC_PORT,
    )


def environment(agi_port: int) -> list[str]:
    """`export` lines for `ivr api` in the two-box layout: the edge's WSS for browser seats, its JSON-RPC, and
    which AMI belongs to which box (by SIP address)."""
    options = edge_options(agi_port)
    pairs = ",".join(f"127.0.0.1:{o.sip_port}=127.0.0.1:{o.ami_port}" for _, o in boxes(agi_port))
    return [
        f"export IVR_API_SOFTPHONE_WSS_URL={options.wss_url}",
        f"export IVR_EDGE_RPC={options.rpc_url}",
        f"export IVR_EDGE_BOXES={pairs}",
    ]


def _pid_file() -> Path:
    return EDGE_DIR / "kamailio.pid"


def edge_pid() -> int | None:
    """The running edge's pid (from its pid file, if alive), or None."""
    try:
        pid = int(_pid_file().read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start_all(agi_port: int) -> None:
    layout = boxes(agi_port)
    for paths, options in layout:
        start(paths, options)
    if edge_pid() is not None:
        stop_edge_only()
    process = edge.start_edge(EDGE_DIR, edge_options(agi_port), log=PROJECT_DIR / "var" / "log" / "kamailio.log")
    _pid_file().write_text(f"{process.pid}\n")


def stop_edge_only() -> bool:
    pid = edge_pid()
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    _pid_file().unlink(missing_ok=True)
    return True


def write_private(path: Path, text: str, *, mode: int) -> None:
    """Replace `path` with `text`, created with `mode` (never readable by others while it is written)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w") as output:
        output.write(text)
    os.replace(partial, path)


def generate(action: str, source: Path, out: Path, proxy: str) -> str:
    """`seats` or `contacts` for a production edge; what was written, for the operator."""
    text = source.read_text()
    if action == "seats":
        passwords = edge.seat_passwords(text)
        if not passwords:
            raise SandboxError(f"{source} has no [agentNNNN-auth] section with a password")
        write_private(out, edge.seats_cfg(passwords), mode=0o600)
        return f"{out}: {len(passwords)} seats"
    if not proxy:
        raise SandboxError("contacts needs --proxy ADDRESS:PORT, the edge's SIP address as the boxes reach it")
    write_private(out, edge.seat_contacts(text, proxy), mode=0o644)
    return f"{out}: every seat of {source} reached through {proxy}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ivr edge", description="Kamailio in front of two sandbox Asterisk boxes")
    parser.add_argument("action", choices=["start", "stop", "status", "env", "seats", "contacts"])
    parser.add_argument("--agi-port", type=int, default=int(os.environ.get("IVR_AGI_PORT", "4573")))
    parser.add_argument("--source", type=Path, help="seats: pjsip_secrets.conf; contacts: pjsip.conf")
    parser.add_argument("--out", type=Path, help="seats: Kamailio's seats.cfg; contacts: the box's pjsip_edge.conf")
    parser.add_argument("--proxy", default="", help="contacts: the edge's SIP ADDRESS:PORT")
    args = parser.parse_args(argv)
    try:
        if args.action in ("seats", "contacts"):
            if args.source is None or args.out is None:
                parser.error(f"{args.action} needs --source and --out")
            print(generate(args.action, args.source, args.out, args.proxy))
        elif args.action == "start":
            start_all(args.agi_port)
            print(f"edge on 127.0.0.1:{EDGE_PORT} -> box A 127.0.0.1:5061 (active), box B 127.0.0.1:5062 (standby)")
            print(f"browser seats register to {edge_options(args.agi_port).wss_url}")
        elif args.action == "env":
            print("\n".join(environment(args.agi_port)))
        elif args.action == "stop":
            stopped = stop_edge_only()
            for paths, _options in boxes(args.agi_port):
                stopped = stop(paths) or stopped
            print("stopped" if stopped else "not running")
        else:
            running = edge_pid() is not None
            print(f"edge: {'running' if running else 'stopped'}")
            for name, (paths, options) in zip("AB", boxes(args.agi_port), strict=True):
                print(f"box {name} (SIP {options.sip_port}, AMI {options.ami_port}): "
                      f"{'running' if is_running(paths) else 'stopped'}")  # fmt: skip
            if running:
                for uri, flags in edge.destination_flags(EDGE_DIR).items():
                    print(f"dispatcher {uri}: {flags}")
            return 0 if running else 3
    except (SandboxError, subprocess.SubprocessError, OSError) as error:
        print(f"ivr edge {args.action}: {error}", file=sys.stderr)
        return 1
    return 0

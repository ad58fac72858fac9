"""The SIP edge in the sandbox: Kamailio (Debian 12's package, on the host) in front of one or more Asterisk boxes.

Rules:
- asterisk_conf/kamailio/ stays what an administrator deploys; rendering only rewrites its `#!substdef` lines
  (address, port, directory, probe interval), writes the dispatcher list with the boxes' ports (the first box has
  the highest priority: the active one) and the seats' passwords from the demo-only secrets (seats.cfg).
- Kamailio runs on the host, not in the chroot: Debian 12 packages it, the shared Asterisk cache stays as it is,
  and its configuration has no name to resolve (dns=no, rev_dns=no, IP addresses only), so it stays on loopback.
- Browser seats register to the edge over WSS (`wss_url`): the sandbox renders tls.cfg with a self-signed
  certificate of its own (made once, kept in the edge's directory), which the tests' Chromium accepts as it does
  Asterisk's. Kamailio's JSON-RPC listens on loopback (`rpc_url`): the API asks it which box serves.
- Every Asterisk box reaches seats through the edge: `pjsip_edge.conf` gives each seat's AOR a static contact
  sip:<seat>@<edge>, which Kamailio's registrar resolves (see `seat_contacts`).
- The process is a child in its own session: stopped with SIGTERM to its group, killed if it lingers.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sandbox.certificates import self_signed_certificate
from sandbox.paths import CONF_SOURCE, SandboxError

EDGE_SOURCE = CONF_SOURCE / "kamailio"
KAMAILIO_BINARY = "kamailio"
SEAT_AOR = re.compile(r"(?m)^\[(agent\d+)\]\(agent-aor\)")
START_TIMEOUT_S = 15.0


# Pages served from this machine, on any port (the sandbox's API listens where it can). No backslash or dollar:
# Kamailio's #!substdef would read them as escapes.
LOCAL_ORIGINS = "https?://(127[.]0[.]0[.]1|localhost)(:[0-9]+)?"


@dataclass(frozen=True)
class EdgeOptions:
    """Where the edge listens and which Asterisk boxes it dispatches to (first = active, then standbys)."""

    port: int
    boxes: tuple[str, ...]  # "ADDRESS:PORT" of each box's SIP transport, in priority order
    address: str = "127.0.0.1"
    ping_s: int = 1  # OPTIONS probe interval; production uses the file's value
    wss_port: int = 8443  # browser seats' secure WebSocket
    rpc_port: int = 5064  # JSON-RPC over HTTP, loopback only
    nat_ping_s: int = 30  # keepalive OPTIONS to seats behind NAT
    ws_origin: str = LOCAL_ORIGINS  # the pages allowed to open the WSS (a regex; the file's is the production one)

    @property
    def proxy(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def wss_url(self) -> str:
        """Where a browser on this machine registers a seat to the edge."""
        return f"wss://{self.address}:{self.wss_port}/ws"

    @property
    def rpc_url(self) -> str:
        """The edge's JSON-RPC (IVR_EDGE_RPC for the API)."""
        return f"http://127.0.0.1:{self.rpc_port}/RPC"


def substitute(text: str, name: str, value: str) -> str:
    """Rewrite the `#!substdef "!NAME!old!"` line of a Kamailio configuration; the line must exist."""
    pattern = re.compile(rf'(?m)^#!substdef "!{re.escape(name)}![^!]*!"$')
    if not pattern.search(text):
        raise SandboxError(f"kamailio.cfg has no #!substdef for {name}")
    return pattern.sub(f'#!substdef "!{name}!{value}!"', text)


def dispatcher_list(boxes: Sequence[str]) -> str:
    """Dispatcher set 1, highest priority first (algorithm 8 takes the first active one)."""
    lines = [f"1 sip:{box} 0 {10 * (len(boxes) - index)}" for index, box in enumerate(boxes)]
    return "# rendered by sandbox/edge.py: SETID URI FLAGS PRIORITY\n" + "\n".join(lines) + "\n"


def seat_passwords(secrets_text: str) -> dict[str, str]:
    """`[agentNNNN-auth](+)` + `password = X` blocks of a pjsip secrets file, as {seat: password}."""
    passwords: dict[str, str] = {}
    seat = None
    for line in secrets_text.splitlines():
        if line.lstrip().startswith("["):
            header = re.match(r"^\[(agent\d+)-auth\]", line.strip())
            seat = header.group(1) if header else None
            continue
        value = re.match(r"^\s*password\s*=\s*(\S+)", line)
        if value and seat is not None:
            passwords[seat] = value.group(1)
    return passwords


def seats_cfg(passwords: dict[str, str]) -> str:
    """The htable assignments Kamailio imports at start (its registrar checks digests against them)."""
    for password in passwords.values():
        if '"' in password or "\\" in password:
            raise SandboxError("a seat password with a quote or backslash cannot go into seats.cfg")
    return "".join(f'$sht(seats=>{seat}) = "{password}";\n' for seat, password in sorted(passwords.items()))


def seat_contacts(pjsip_text: str, proxy: str) -> str:
    """pjsip_edge.conf: every seat's AOR gets the static contact sip:<seat>@<proxy> (the filter `+type=aor`
    appends to the AOR, not the endpoint of the same name)."""
    seats = SEAT_AOR.findall(pjsip_text)
    blocks = [f"[{seat}](+type=aor)\ncontact = sip:{seat}@{proxy}\n" for seat in seats]
    return "; rendered by sandbox/edge.py: seats are reached through the SIP edge\n" + "".join(blocks)


def render_edge(directory: Path, options: EdgeOptions, *, source: Path = EDGE_SOURCE) -> Path:
    """Write kamailio.cfg, dispatcher.list and seats.cfg into `directory`; return the cfg's path."""
    directory.mkdir(parents=True, exist_ok=True)
    text = (source / "kamailio.cfg").read_text()
    for name, value in (
        ("EDGE_ADDR", options.address),
        ("EDGE_PORT", str(options.port)),
        ("EDGE_DIR", str(directory)),
        ("EDGE_PING_S", str(options.ping_s)),
        ("EDGE_WSS_PORT", str(options.wss_port)),
        ("EDGE_RPC_PORT", str(options.rpc_port)),
        ("EDGE_NAT_PING_S", str(options.nat_ping_s)),
        ("EDGE_WS_ORIGIN", options.ws_origin),
    ):
        text = substitute(text, name, value)
    (directory / "kamailio.cfg").write_text(text)
    key, certificate = directory / "edge.key", directory / "edge.crt"
    self_signed_certificate(key, certificate)
    tls = (source / "tls.cfg").read_text()
    tls = tls.replace("/etc/kamailio/edge.key", str(key)).replace("/etc/kamailio/edge.crt", str(certificate))
    (directory / "tls.cfg").write_text(tls)
    (directory / "dispatcher.list").write_text(dispatcher_list(options.boxes))
    secrets = source.parent / "pjsip_secrets.sandbox.conf"
    (directory / "seats.cfg").write_text(seats_cfg(seat_passwords(secrets.read_text())))
    return directory / "kamailio.cfg"


def options_request(target: str, local: tuple[str, int]) -> bytes:
    branch = f"z9hG4bK{uuid.uuid4().hex[:16]}"
    return (
        f"OPTIONS sip:{target} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch={branch};rport\r\n"
        f"From: <sip:probe@{local[0]}>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{target}>\r\nCall-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def sip_status(datagram: bytes) -> int | None:
    """The status code of a SIP response datagram, or None."""
    match = re.match(rb"SIP/2\.0 (\d{3}) ", datagram)
    return int(match.group(1)) if match else None


def ping(address: str, port: int, *, timeout_s: float = 0.5) -> int | None:
    """Send one OPTIONS over UDP; the status code of the answer, or None without one in time."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        probe.settimeout(timeout_s)
        probe.sendto(options_request(f"{address}:{port}", probe.getsockname()), (address, port))
        try:
            return sip_status(probe.recv(65535))
        except (TimeoutError, ConnectionRefusedError):
            return None


def destination_flags(directory: Path, *, timeout_s: float = 5.0) -> dict[str, str]:
    """{box URI: dispatcher flags} from the running edge (`kamcmd dispatcher.list` on its control socket):
    "AP"/"AX" active, "IP"/"IX" inactive (P = probing)."""
    completed = subprocess.run(
        ["kamcmd", "-s", f"unix:{directory / 'kamailio_ctl'}", "dispatcher.list"],
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if completed.returncode != 0:
        raise SandboxError(f"kamcmd dispatcher.list failed: {(completed.stderr or completed.stdout).strip()}")
    return parse_destinations(completed.stdout)


def parse_destinations(listing: str) -> dict[str, str]:
    """The URI -> FLAGS pairs of a `kamcmd dispatcher.list` listing."""
    return dict(re.findall(r"URI: (\S+)\s+FLAGS: (\S+)", listing))


def unavailable_reason() -> str | None:
    if shutil.which(KAMAILIO_BINARY) is None:
        return "kamailio is not installed (Debian package kamailio; run `make system-deps`)"
    return None


def start_edge(
    directory: Path, options: EdgeOptions, *, log: Path, timeout_s: float = START_TIMEOUT_S
) -> subprocess.Popen[bytes]:
    """Render and start Kamailio in the foreground of its own session; return once it answers OPTIONS."""
    reason = unavailable_reason()
    if reason:
        raise SandboxError(reason)
    config = render_edge(directory, options)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [KAMAILIO_BINARY, "-f", str(config), "-DD", "-E", "-m", "32", "-M", "4", "-Y", str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(f"kamailio exited with status {process.returncode}; see {log}")
        if ping(options.address, options.port) == 200:
            return process
    stop_edge(process)
    raise SandboxError(f"kamailio did not answer OPTIONS within {timeout_s:.0f} s; see {log}")


def stop_edge(process: subprocess.Popen[bytes], *, timeout_s: float = 5.0) -> None:
    """SIGTERM to Kamailio's process group (the main process and its children), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


@contextlib.contextmanager
def running_edge(directory: Path, options: EdgeOptions, *, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = start_edge(directory, options, log=log)
    try:
        yield process
    finally:
        stop_edge(process)

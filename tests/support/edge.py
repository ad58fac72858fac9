"""The two-box layout of issue 20 for tests: two sandbox Asterisk boxes behind Kamailio, FastAGI servers, and the
helpers to kill a box. Shared by tests/asterisk/test_failover.py (SIPp seats) and
tests/browser/test_edge_softphone.py (a browser seat over the edge's WSS).

Rules:
- Each box is an `own_asterisk` (its own root and lock, free ports); both reach seats through the edge.
- The edge gets free ports for SIP, WSS and its JSON-RPC, so nothing of `make run EDGE=1` is disturbed.
- `unavailable` decides what a machine that cannot run this means (the tiers' skip, or failure under CI).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from sandbox import process as sandbox_process
from sandbox.ami import AmiClient, ami_secret
from sandbox.edge import EdgeOptions, unavailable_reason
from sandbox.paths import SandboxError
from tests.support.asterisk import OwnAsterisk, own_asterisk
from tests.support.poll import eventually_blocking
from tests.support.ports import free_port

PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Box:
    name: str
    asterisk: OwnAsterisk
    ami: AmiClient

    @property
    def ami_port(self) -> int:
        return self.asterisk.options.ami_port

    @property
    def ami_address(self) -> str:
        return f"127.0.0.1:{self.ami_port}"

    def callers(self) -> set[str]:
        """Caller numbers whose call reached this box (a Newchannel from the edge)."""
        return {
            event.get("CallerIDNum", "")
            for event in self.ami.events
            if event.get("Event") == "Newchannel" and event.get("Context") == "from-carrier"
        }


def kill_9(box: Box) -> int:
    pid = sandbox_process.running_pid(box.asterisk.paths)
    assert pid is not None, f"box {box.name} is not running"
    os.kill(pid, signal.SIGKILL)
    return pid


def edge_options(edge_port: int, boxes: tuple[Box, Box]) -> EdgeOptions:
    """The edge in front of `boxes` (the first one active), on free WSS and JSON-RPC ports."""
    return EdgeOptions(
        port=edge_port,
        boxes=tuple(box.asterisk.sip_target for box in boxes),
        wss_port=free_port(socket.SOCK_STREAM),
        rpc_port=free_port(socket.SOCK_STREAM),
    )


def edge_boxes_map(boxes: tuple[Box, Box]) -> str:
    """IVR_EDGE_BOXES for the API: each box's SIP address = its AMI address (both boxes share 127.0.0.1)."""
    return ",".join(f"{box.asterisk.sip_target}={box.ami_address}" for box in boxes)


@contextlib.asynccontextmanager
async def two_boxes(
    names: tuple[str, str],
    *,
    agi_port: int,
    edge_port: int,
    lock_timeout_s: float,
    unavailable: Callable[[str], NoReturn],
    agi_hosts: tuple[str, ...] = (),
    seat_webrtc: bool = False,
) -> AsyncIterator[tuple[Box, Box]]:
    """Two boxes (roots var/asterisk/edge-NAME-root) sharing FastAGI on `agi_port`, seats behind 127.0.0.1:edge_port."""
    if reason := unavailable_reason():
        unavailable(reason)
    async with contextlib.AsyncExitStack() as stack:
        boxes = []
        for name in names:
            root = PROJECT / f"var/asterisk/edge-{name}-root"
            try:
                asterisk = stack.enter_context(
                    own_asterisk(
                        root,
                        lock_timeout_s=lock_timeout_s,
                        agi_port=agi_port,
                        agi_hosts=agi_hosts,
                        seat_proxy=f"127.0.0.1:{edge_port}",
                        seat_webrtc=seat_webrtc,
                    )
                )
            except SandboxError as error:
                unavailable(str(error))
            ami = await AmiClient.connect(secret=ami_secret(asterisk.paths), port=asterisk.options.ami_port)
            stack.push_async_callback(ami.close)
            boxes.append(Box(name=name, asterisk=asterisk, ami=ami))
        yield boxes[0], boxes[1]


@dataclass
class AgiServer:
    process: subprocess.Popen[bytes]
    outbox: Path


@contextlib.contextmanager
def agi_server(host: str, port: int, work: Path, callcenter: Path, recordings: Path, *, at: str) -> Iterator[AgiServer]:
    """`ivr agi` on host:port (one of the addresses the boxes' IVR_AGI names), spooling records into its outbox."""
    outbox = work / f"outbox-{host}"
    log_path = work / f"agi-{host}.log"
    env = {
        **os.environ,
        "IVR_SPOOL_DIR": str(outbox),
        "IVR_VOICEMAIL_DIR": str(recordings),
        "IVR_CALLCENTER": str(callcenter),
    }
    env.pop("IVR_API_URL", None)  # records stay in the outbox, where the test reads them
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ivr", "agi", "--host", host, "--port", str(port), "--at", at],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT,
        )  # fmt: skip
    try:
        eventually_blocking(
            lambda: "FastAGI listening" in log_path.read_text(errors="replace") or process.poll() is not None,
            timeout_s=15,
            what="ivr agi to listen",
        )
        assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
        yield AgiServer(process=process, outbox=outbox)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

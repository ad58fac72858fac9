"""A desk phone behind NAT registered to the SIP edge (issue 20): Kamailio (nathelper) stores the address the
REGISTER came from, not the private one its Via and Contact name, sends the seat's calls there, and keeps the NAT
binding open with OPTIONS; a phone not behind NAT is stored as it is and left alone.

Kamailio alone: the "box" is a UDP socket of the test's own, listed in the dispatcher set (so Kamailio takes its
INVITE for a seat), and the NATed phone is a UDP socket bound where SIPp registered from.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import uuid
from pathlib import Path

from sandbox.edge import EdgeOptions, running_edge, unavailable_reason
from sandbox.sipp import run_sipp
from tests.support.ports import free_media_port, free_port

from .conftest import AGENT_PASSWORD, HERE, _unavailable

PRIVATE = "192.168.1.50:5070"  # what the phone believes its address is, behind the NAT
PHONE_IP = "127.0.0.2"  # the NAT's public side, as the edge sees it


def nat_register_scenario(work: Path) -> Path:
    """agent_register.xml with the Via and Contact a phone behind NAT sends: its private address (Via with rport)."""
    text = (HERE / "agent_register.xml").read_text()
    text = text.replace("Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
                        f"Via: SIP/2.0/[transport] {PRIVATE};branch=[branch];rport")  # fmt: skip
    text = text.replace("Contact: <sip:[service]@[local_ip]:[local_port]>", f"Contact: <sip:[service]@{PRIVATE}>")
    assert text.count(PRIVATE) == 4, "agent_register.xml changed shape"
    scenario = work / "nat-register.xml"
    scenario.write_text(text)
    return scenario


async def register(edge: str, seat: str, scenario: Path, port: int) -> None:
    result = await run_sipp(
        scenario, target=edge, local_ip=PHONE_IP, local_port=port, media_port=free_media_port(), service=seat,
        extra=("-au", seat, "-ap", AGENT_PASSWORD.format(n=int(seat.removeprefix("agent")))), timeout_s=10,
    )  # fmt: skip
    assert result.ok, result.output[-3000:]


def lookup(directory: Path, seat: str) -> dict[str, str]:
    completed = subprocess.run(
        ["kamcmd", "-s", f"unix:{directory / 'kamailio_ctl'}", "ul.lookup", "location", seat],
        capture_output=True, text=True, timeout=5,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    fields = (line.strip().partition(": ") for line in completed.stdout.splitlines())
    return {name: value for name, separator, value in fields if separator}


def invite(seat: str, edge: str, box: tuple[str, int]) -> bytes:
    return (
        f"INVITE sip:{seat}@{edge} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {box[0]}:{box[1]};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
        f"From: <sip:queue@{box[0]}:{box[1]}>;tag={uuid.uuid4().hex[:8]}\r\nTo: <sip:{seat}@{edge}>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 INVITE\r\nContact: <sip:queue@{box[0]}:{box[1]}>\r\n"
        "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def received(sock: socket.socket, wanted: set[str], *, timeout_s: float) -> dict[str, bytes]:
    """The first request of each method in `wanted` that reaches `sock`, within `timeout_s` in all."""
    loop = asyncio.get_running_loop()
    seen: dict[str, bytes] = {}
    async with asyncio.timeout(timeout_s):
        while not wanted <= seen.keys():
            data = await loop.sock_recv(sock, 65535)
            seen.setdefault(data.split(b" ", 1)[0].decode(errors="replace"), data)
    return seen


async def test_a_phone_behind_nat_is_reached_at_the_address_it_registered_from(tmp_path: Path) -> None:
    if reason := unavailable_reason():
        _unavailable(reason)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as box,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone,
    ):
        box.bind(("127.0.0.1", 0))
        box.setblocking(False)
        box_address = box.getsockname()
        options = EdgeOptions(
            port=free_port(socket.SOCK_DGRAM), boxes=(f"127.0.0.1:{box_address[1]}",),
            wss_port=free_port(socket.SOCK_STREAM), rpc_port=free_port(socket.SOCK_STREAM), nat_ping_s=1,
        )  # fmt: skip
        with running_edge(tmp_path / "edge", options, log=tmp_path / "kamailio.log"):
            nat_port, plain_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
            await register(options.proxy, "agent1003", nat_register_scenario(tmp_path), nat_port)
            await register(options.proxy, "agent1004", HERE / "agent_register.xml", plain_port)

            nated = lookup(tmp_path / "edge", "agent1003")
            assert nated["Address"].startswith(f"sip:agent1003@{PRIVATE}"), nated
            assert nated["Received"] == f"sip:{PHONE_IP}:{nat_port}", nated  # the source, not the Contact
            plain = lookup(tmp_path / "edge", "agent1004")
            assert plain["Address"] == f"sip:agent1004@{PHONE_IP}:{plain_port}", plain
            assert plain.get("Received", "[not set]") == "[not set]", plain

            # The NAT's public side (where SIPp registered from) gets the box's call for the seat, and keepalives.
            phone.bind((PHONE_IP, nat_port))
            phone.setblocking(False)
            box.sendto(invite("agent1003", options.proxy, box_address), ("127.0.0.1", options.port))
            seen = await received(phone, {"INVITE", "OPTIONS"}, timeout_s=5)
            assert seen["INVITE"].startswith(f"INVITE sip:agent1003@{PRIVATE} SIP/2.0".encode()), seen["INVITE"]
            assert b"Record-Route:" in seen["INVITE"]

"""The SIP edge's pure parts (issue 20): rendering Kamailio's configuration, the seats' contacts for Asterisk, the
OPTIONS probe against a loopback UDP peer, the AMI link following the serving box, and the agent state re-applied
to a box that takes over. Kamailio itself runs in tests/asterisk/test_failover.py."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.ami.client import AmiLink, AmiMessage, AmiSettings
from api.ami.queues import Member, QueueState
from api.ami.restore import restore_actions
from api.ami.service import AmiEnvironment
from sandbox import edge, edge_cli, render
from sandbox.paths import CONF_SOURCE, SandboxError, SandboxOptions, SandboxPaths
from sandbox.sipp import CallerScript, caller_scenario
from tests.fake_ami import FakeAmi
from tests.support.poll import eventually

PJSIP = (CONF_SOURCE / "pjsip.conf").read_text()


def test_render_edge_rewrites_the_substdefs_and_lists_the_boxes_by_priority(tmp_path: Path) -> None:
    options = edge.EdgeOptions(port=5990, boxes=("127.0.0.1:5991", "127.0.0.1:5992"), ping_s=1)
    config = edge.render_edge(tmp_path, options).read_text()
    assert '#!substdef "!EDGE_PORT!5990!"' in config
    assert f'#!substdef "!EDGE_DIR!{tmp_path}!"' in config
    assert '#!substdef "!EDGE_PING_S!1!"' in config
    assert "dns=no" in config and "rev_dns=no" in config  # no lookups leave the machine
    listing = (tmp_path / "dispatcher.list").read_text().splitlines()[1:]
    assert listing == ["1 sip:127.0.0.1:5991 0 20", "1 sip:127.0.0.1:5992 0 10"]  # the first box is active
    seats = (tmp_path / "seats.cfg").read_text()
    assert '$sht(seats=>agent1001) = "demo-only-agent1001";' in seats
    assert seats.count("$sht(seats=>") == 40


def test_substitute_refuses_a_name_the_file_does_not_define() -> None:
    with pytest.raises(SandboxError, match="NOPE"):
        edge.substitute('#!substdef "!EDGE_PORT!5060!"\n', "NOPE", "1")


def test_seat_passwords_and_refused_characters() -> None:
    text = "[agent1001-auth](+)\npassword = one\n[other]\npassword = x\n[agent1002-auth](+)\n  password=two\n"
    passwords = edge.seat_passwords(text)
    assert passwords["agent1001"] == "one" and passwords["agent1002"] == "two"
    with pytest.raises(SandboxError, match="quote"):
        edge.seats_cfg({"agent1001": 'a"b'})


def test_every_seat_is_reached_through_the_edge(tmp_path: Path) -> None:
    contacts = edge.seat_contacts(PJSIP, "127.0.0.1:5990")
    assert "[agent1001](+type=aor)\ncontact = sip:agent1001@127.0.0.1:5990\n" in contacts
    assert contacts.count("(+type=aor)") == 40
    assert "#tryinclude pjsip_edge.conf" in PJSIP  # a single box simply has no such file


def test_render_config_writes_the_seat_contacts_only_behind_an_edge(tmp_path: Path) -> None:
    root, base = tmp_path / "root", tmp_path / "base"
    (root / base.relative_to("/")).mkdir(parents=True)
    base.symlink_to(root / base.relative_to("/"))
    paths = SandboxPaths(root=root, cache=tmp_path / "cache.tar.zst", base=base)
    render.render_config(paths, SandboxOptions(seat_proxy="127.0.0.1:5990"))
    assert "sip:agent1040@127.0.0.1:5990" in (paths.conf_dir / "pjsip_edge.conf").read_text()
    render.render_config(paths)
    assert not (paths.conf_dir / "pjsip_edge.conf").exists()


def test_parse_destinations() -> None:
    listing = (
        "DEST: {\n URI: sip:127.0.0.1:5991\n FLAGS: IP\n PRIORITY: 20\n}\n"
        "DEST: {\n URI: sip:127.0.0.1:5992\n FLAGS: AP\n"
    )
    assert edge.parse_destinations(listing) == {"sip:127.0.0.1:5991": "IP", "sip:127.0.0.1:5992": "AP"}


@pytest.fixture
def sip_peer() -> Iterator[tuple[int, list[bytes]]]:
    """A UDP peer on loopback that answers every request with 200 OK (one thread, stopped after the test)."""
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(0.05)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, sender = peer.recvfrom(65535)
            except TimeoutError:
                continue
            received.append(data)
            peer.sendto(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", sender)

    thread = threading.Thread(target=serve)
    thread.start()
    yield peer.getsockname()[1], received
    stop.set()
    thread.join()
    peer.close()


def test_ping_reads_the_status_of_the_answer(sip_peer: tuple[int, list[bytes]]) -> None:
    port, received = sip_peer
    assert edge.ping("127.0.0.1", port) == 200
    assert received[0].startswith(f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n".encode())
    assert edge.sip_status(b"garbage") is None


def test_ping_without_a_peer_is_none() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert edge.ping("127.0.0.1", port, timeout_s=0.2) is None


def test_start_edge_without_kamailio_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(edge, "KAMAILIO_BINARY", "kamailio-not-installed")
    with pytest.raises(SandboxError, match="make system-deps"):
        edge.start_edge(tmp_path, edge.EdgeOptions(port=5990, boxes=()), log=tmp_path / "log")


def test_a_caller_behind_the_edge_follows_the_route_set() -> None:
    direct = caller_scenario(CallerScript(caller="+33612345678"), [])
    proxied = caller_scenario(CallerScript(caller="+33612345678", route_set=True), [])
    assert "[routes]" not in direct and 'rrs="true"' not in direct
    assert "ACK [next_url] SIP/2.0" in proxied and "BYE [next_url] SIP/2.0" in proxied
    assert proxied.count("[routes]") == 2 and 'rrs="true"' in proxied


def test_ami_environment_lists_the_standby_boxes() -> None:
    settings = AmiEnvironment(secret="s", port=5038, standbys="127.0.0.1:6038, 10.0.0.12:5038").link_settings()
    assert settings is not None
    assert settings.targets == (("127.0.0.1", 5038), ("127.0.0.1", 6038), ("10.0.0.12", 5038))


async def test_the_ami_link_moves_to_the_standby_and_stays_there() -> None:
    async with FakeAmi() as active, FakeAmi() as standby:
        events: list[AmiMessage] = []

        async def keep(event: AmiMessage) -> None:
            events.append(event)

        settings = AmiSettings(
            port=active.port, secret=active.secret, standbys=(("127.0.0.1", standby.port),),
            login_timeout_s=1.0, backoff_initial_s=0.05, backoff_max_s=0.2,
        )  # fmt: skip
        standby.secret = active.secret
        link = AmiLink(settings, on_event=keep)
        task = asyncio.create_task(link.run())
        try:
            await eventually(lambda: link.serving == f"127.0.0.1:{active.port}", timeout_s=5, what="on the active")
            await active.stop()  # the active box dies
            await eventually(lambda: link.serving == f"127.0.0.1:{standby.port}", timeout_s=5, what="on the standby")
            await active.start()  # it comes back: the link stays where it is (the edge does the same) ...
            standby.drop_connections()  # ... even when it has to reconnect: the box that last worked comes first
            await eventually(lambda: link.connections == 3, timeout_s=5, what="a third connection")
            assert link.serving == f"127.0.0.1:{standby.port}"
        finally:
            await link.close()
            await asyncio.wait_for(task, 5)


def test_restore_adds_missing_members_and_pauses_again() -> None:
    q_fr = QueueState(name="q-fr")
    q_fr.members["PJSIP/agent1003"] = Member(interface="PJSIP/agent1003", name="agent1003", paused=True)
    actions = restore_actions(
        queues={"q-fr": q_fr},
        skills=[("agent1001", "fr", "native"), ("agent1001", "en", "fluent"), ("agent1003", "fr", "basic"),
                ("agent1002", "xx", "native")],
        pauses={"agent1001": "Formation", "agent1003": "Pause"},
        queues_by_language={"fr": "q-fr", "en": "q-en"},
    )  # fmt: skip
    assert actions == [
        {"Action": "QueueAdd", "Queue": "q-en", "Interface": "PJSIP/agent1001", "MemberName": "agent1001",
         "Penalty": "1"},
        {"Action": "QueueAdd", "Queue": "q-fr", "Interface": "PJSIP/agent1001", "MemberName": "agent1001",
         "Penalty": "0"},
        {"Action": "QueuePause", "Interface": "PJSIP/agent1001", "Paused": "true", "Reason": "Formation"},
    ]  # fmt: skip


def test_several_agi_servers_are_one_name_with_several_addresses(tmp_path: Path) -> None:
    root, base = tmp_path / "root", tmp_path / "base"
    (root / base.relative_to("/")).mkdir(parents=True)
    base.symlink_to(root / base.relative_to("/"))
    (root / "etc").mkdir()
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n")
    paths = SandboxPaths(root=root, cache=tmp_path / "cache.tar.zst", base=base)
    render.render_config(paths, SandboxOptions(agi_port=4999, agi_hosts=("127.0.0.1", "127.0.0.3")))
    render.render_config(paths, SandboxOptions(agi_port=4999, agi_hosts=("127.0.0.1", "127.0.0.3")))  # idempotent
    assert "IVR_AGI=agi://ivr-agi:4999\n" in (paths.conf_dir / "extensions.conf").read_text()
    assert (root / "etc/hosts").read_text() == "127.0.0.1\tlocalhost\n127.0.0.1\tivr-agi\n127.0.0.3\tivr-agi\n"
    render.render_config(paths, SandboxOptions(agi_port=4999))
    assert "IVR_AGI=agi://127.0.0.1:4999\n" in (paths.conf_dir / "extensions.conf").read_text()
    assert (root / "etc/hosts").read_text() == "127.0.0.1\tlocalhost\n"


def test_render_edge_writes_the_wss_certificate_and_the_rpc_port(tmp_path: Path) -> None:
    options = edge.EdgeOptions(port=5990, boxes=("127.0.0.1:5991",), wss_port=5943, rpc_port=5964, nat_ping_s=1)
    config = edge.render_edge(tmp_path, options).read_text()
    assert '#!substdef "!EDGE_WSS_PORT!5943!"' in config and '#!substdef "!EDGE_RPC_PORT!5964!"' in config
    assert '#!substdef "!EDGE_NAT_PING_S!1!"' in config
    tls = (tmp_path / "tls.cfg").read_text()
    assert f"private_key = {tmp_path / 'edge.key'}" in tls and f"certificate = {tmp_path / 'edge.crt'}" in tls
    assert (tmp_path / "edge.key").stat().st_mode & 0o077 == 0
    certificate = (tmp_path / "edge.crt").read_bytes()
    edge.render_edge(tmp_path, options)
    assert (tmp_path / "edge.crt").read_bytes() == certificate  # made once: a browser that accepted it keeps it
    assert (options.wss_url, options.rpc_url) == ("wss://127.0.0.1:5943/ws", "http://127.0.0.1:5964/RPC")


def test_ivr_edge_env_hands_the_api_the_edges_wss_and_rpc() -> None:
    lines = edge_cli.environment(4573)
    assert lines == [
        "export IVR_API_SOFTPHONE_WSS_URL=wss://127.0.0.1:8443/ws",
        "export IVR_EDGE_RPC=http://127.0.0.1:5064/RPC",
        "export IVR_EDGE_BOXES=127.0.0.1:5061=127.0.0.1:5038,127.0.0.1:5062=127.0.0.1:5039",
    ]


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000", "https://localhost:8443", "http://localhost"])
def test_the_sandbox_edge_lets_this_machines_pages_open_the_wss_on_any_port(origin: str) -> None:
    assert re.fullmatch(edge.LOCAL_ORIGINS, origin)
    assert not re.fullmatch(edge.LOCAL_ORIGINS, origin + ".evil.example")
    assert not re.fullmatch(edge.LOCAL_ORIGINS, "https://evil.example/" + origin)


def test_render_edge_writes_the_allowed_origin_without_substdef_escapes(tmp_path: Path) -> None:
    config = edge.render_edge(tmp_path, edge.EdgeOptions(port=5070, boxes=("127.0.0.1:5080",))).read_text()
    assert f'#!substdef "!EDGE_WS_ORIGIN!{edge.LOCAL_ORIGINS}!"' in config
    assert not set("\\$!") & set(edge.LOCAL_ORIGINS)
    production = (edge.EDGE_SOURCE / "kamailio.cfg").read_text()
    assert '$hdr(Origin) =~ "^EDGE_WS_ORIGIN$"' in production


def test_ivr_edge_seats_writes_an_owner_only_seats_cfg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = tmp_path / "pjsip_secrets.conf"
    secrets.write_text("[agent1001-auth](+)\npassword = s3cret-one\n[agent1002-auth](+)\npassword = two\n")
    out = tmp_path / "seats.cfg"
    assert edge_cli.main(["seats", "--source", str(secrets), "--out", str(out)]) == 0
    assert out.read_text() == '$sht(seats=>agent1001) = "s3cret-one";\n$sht(seats=>agent1002) = "two";\n'
    assert out.stat().st_mode & 0o777 == 0o600
    assert f"{out}: 2 seats" in capsys.readouterr().out
    assert not list(tmp_path.glob(".*partial"))


def test_ivr_edge_seats_and_contacts_refuse_what_they_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.conf"
    empty.write_text("[global]\n")
    out = tmp_path / "seats.cfg"
    assert edge_cli.main(["seats", "--source", str(empty), "--out", str(out)]) == 1
    assert edge_cli.main(["seats", "--source", str(tmp_path / "missing.conf"), "--out", str(out)]) == 1
    assert edge_cli.main(["contacts", "--source", str(empty), "--out", str(out)]) == 1
    assert not out.exists()
    errors = capsys.readouterr().err
    assert "has no [agentNNNN-auth] section" in errors and "needs --proxy" in errors and "missing.conf" in errors


def test_ivr_edge_contacts_reaches_every_seat_through_the_edge(tmp_path: Path) -> None:
    out = tmp_path / "pjsip_edge.conf"
    pjsip = CONF_SOURCE / "pjsip.conf"
    assert edge_cli.main(["contacts", "--source", str(pjsip), "--out", str(out), "--proxy", "10.0.0.5:5060"]) == 0
    assert out.read_text() == edge.seat_contacts(pjsip.read_text(), "10.0.0.5:5060")
    assert "contact = sip:agent1001@10.0.0.5:5060" in out.read_text()

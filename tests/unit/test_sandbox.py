"""The sandbox's pure parts: configuration rendering, SIPp scenarios and key captures, AMI parsing, CLI wiring.

Starting a real Asterisk is the asterisk tier's job (tests/asterisk); here nothing needs root or a network
besides a loopback socket for the AMI client (against tests/fake_ami.py, the API's fake too).
"""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from sandbox import ami as sandbox_ami
from sandbox import cli as sandbox_cli
from sandbox import journey as sandbox_journey
from sandbox import paths as sandbox_paths
from sandbox import provision, render, sipp
from sandbox.ami import AmiClient, AmiError
from sandbox.paths import SandboxError, SandboxOptions, SandboxPaths
from sandbox.sipp import CallerScript
from tests.fake_ami import FakeAmi


@pytest.fixture
def paths(tmp_path: Path) -> SandboxPaths:
    root = tmp_path / "root"
    base = tmp_path / "base"
    (root / base.relative_to("/")).mkdir(parents=True)
    base.symlink_to(root / base.relative_to("/"))
    return SandboxPaths(root=root, cache=tmp_path / "cache.tar.zst", base=base)


def test_set_option_replaces_in_the_right_section_and_keeps_the_spelling() -> None:
    text = "[general]\nport = 1\n[other]\nport = 2 ; comment\n[globals]\nIVR_AGI=agi://x:1\n"
    assert "port = 9 ; comment" in render.set_option(text, "other", "port", "9")
    assert render.set_option(text, "other", "port", "9").startswith("[general]\nport = 1\n")
    assert "IVR_AGI=agi://y:2\n" in render.set_option(text, "globals", "IVR_AGI", "agi://y:2")
    directories = "[directories]\nastetcdir => /etc\n"
    assert "astetcdir => /x" in render.set_option(directories, "directories", "astetcdir", "/x")


def test_set_option_refuses_to_invent_an_option() -> None:
    with pytest.raises(SandboxError, match="port"):
        render.set_option("[general]\nenabled = yes\n", "general", "port", "1")
    with pytest.raises(SandboxError):
        render.set_option("[other]\nport = 1\n", "general", "port", "1")


def test_render_config_overrides_paths_ports_and_installs_demo_secrets(paths: SandboxPaths) -> None:
    render.render_config(paths, SandboxOptions(agi_port=4999, sip_port=5999, ami_port=5555), today=date(2026, 12, 5))
    assert (paths.recordings_dir / "2026" / "12").is_dir()
    assert (paths.recordings_dir / "2027" / "01").is_dir()
    conf = paths.conf_dir
    assert f"astetcdir => {paths.conf_dir}" in (conf / "asterisk.conf").read_text()
    assert f"astspooldir => {paths.spool_dir}" in (conf / "asterisk.conf").read_text()
    assert "IVR_AGI=agi://127.0.0.1:4999\n" in (conf / "extensions.conf").read_text()
    assert f"IVR_RECORDINGS={paths.recordings_dir}\n" in (conf / "extensions.conf").read_text()
    assert "bind = 127.0.0.1:5999" in (conf / "pjsip.conf").read_text()
    assert "port = 5555" in (conf / "manager.conf").read_text()
    assert "demo-only-agent1001" in (conf / "pjsip_secrets.conf").read_text()
    assert sandbox_ami.ami_secret(paths) == "demo-only-ami-secret"
    assert not list(conf.glob("*.sandbox.conf"))
    assert paths.recordings_dir.is_dir()
    assert list(paths.in_root("/var/lib/asterisk/moh").glob("*.wav"))


def test_render_config_serves_wss_with_a_kept_self_signed_certificate(paths: SandboxPaths) -> None:
    render.render_config(paths, SandboxOptions(http_port=18088, https_port=18089))
    http = (paths.conf_dir / "http.conf").read_text()
    assert "tlsbindaddr = 127.0.0.1:18089" in http
    assert "bindport = 18088" in http
    assert f"tlscertfile = {paths.tls_certificate}" in http
    assert f"tlsprivatekey = {paths.tls_key}" in http
    assert "BEGIN CERTIFICATE" in paths.tls_certificate.read_text()
    assert paths.tls_key.stat().st_mode & 0o077 == 0  # the key is the owner's only
    made = paths.tls_certificate.read_bytes()
    render.render_config(paths)  # a restart keeps the certificate a person may have accepted in a browser
    assert paths.tls_certificate.read_bytes() == made
    assert SandboxOptions(https_port=18089).wss_url == "wss://127.0.0.1:18089/ws"


def test_seats_are_browser_seats_unless_a_tier_wants_desk_phones(paths: SandboxPaths) -> None:
    render.render_config(paths)
    assert "webrtc = yes" in (paths.conf_dir / "pjsip.conf").read_text()
    render.render_config(paths, SandboxOptions(seat_webrtc=False))
    template = (paths.conf_dir / "pjsip.conf").read_text().split("[agent-endpoint](!)", 1)[1].split("\n[", 1)[0]
    assert "webrtc = no" in template


def test_no_openssl_is_a_clear_error(paths: SandboxPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SandboxError, match="openssl"):
        render.ensure_certificate(paths)


def test_render_config_removes_files_that_left_the_source(paths: SandboxPaths, tmp_path: Path) -> None:
    paths.conf_dir.mkdir(parents=True)
    (paths.conf_dir / "stale.conf").write_text("[general]\n")
    render.render_config(paths)
    assert not (paths.conf_dir / "stale.conf").exists()


def test_ami_secret_missing_is_a_clear_error(paths: SandboxPaths) -> None:
    paths.conf_dir.mkdir(parents=True)
    (paths.conf_dir / "manager_secrets.conf").write_text("[ivr-api](+)\n")
    with pytest.raises(SandboxError, match="no AMI secret"):
        sandbox_ami.ami_secret(paths)


def test_paths_follow_absolute_symlinks_inside_the_root(paths: SandboxPaths) -> None:
    # Debian: sounds/en -> /etc/alternatives/asterisk-prompt-en -> /usr/share/asterisk/sounds/en_US_f_Allison
    sounds = paths.in_root("/usr/share/asterisk/sounds")
    (sounds / "en_US_f_Allison").mkdir(parents=True)
    (paths.root / "etc/alternatives").mkdir(parents=True)
    (paths.root / "etc/alternatives/asterisk-prompt-en").symlink_to("/usr/share/asterisk/sounds/en_US_f_Allison")
    (sounds / "en").symlink_to("/etc/alternatives/asterisk-prompt-en")
    assert paths.sounds_dir("en") == sounds / "en_US_f_Allison" / "ivr"
    assert not (sounds / "en").exists()  # from the host, the absolute link dangles
    provision._relativize_sound_links(paths)
    assert (sounds / "en").resolve() == (sounds / "en_US_f_Allison").resolve()
    assert paths.sounds_dir("en") == sounds / "en_US_f_Allison" / "ivr"
    assert paths.sounds_dir("zgh") == sounds / "zgh" / "ivr"
    assert sandbox_paths.sounds_dir("fr", paths) == sounds / "fr" / "ivr"
    with pytest.raises(ValueError):
        paths.sounds_dir("../etc")


def test_symlink_loops_inside_the_root_end_in_an_error(paths: SandboxPaths) -> None:
    (paths.root / "a").symlink_to("/b")
    (paths.root / "b").symlink_to("/a")
    with pytest.raises(SandboxError, match="too many symlinks"):
        paths.resolve_in_root("/a/x")
    assert paths.resolve_in_root("/x/../y/./z") == paths.root / "y" / "z"


def test_default_paths_come_from_the_environment(tmp_path: Path) -> None:
    env = {"IVR_ASTERISK_ROOT": str(tmp_path / "r"), "IVR_ASTERISK_CACHE": str(tmp_path / "c.tar.zst")}
    paths = sandbox_paths.default_paths(env)
    assert paths.root == tmp_path / "r"
    assert paths.cache == tmp_path / "c.tar.zst"
    assert paths.base.name.startswith("sandbox-")
    assert sandbox_paths.default_paths(env).base == paths.base  # stable per root
    assert sandbox_paths.default_paths({**env, "IVR_ASTERISK_ROOT": str(tmp_path / "other")}).base != paths.base


def test_dtmf_capture_is_one_rfc4733_event_with_the_given_sequence_and_timestamp() -> None:
    data = sipp.dtmf_pcap_bytes("#", sequence=500, timestamp=64000)
    magic, _, _, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
    assert (magic, link) == (0xA1B2C3D4, 1)
    offset, packets = 24, []
    while offset < len(data):
        _, _, length, _ = struct.unpack("<IIII", data[offset : offset + 16])
        frame = data[offset + 16 : offset + 16 + length]
        packets.append(struct.unpack("!BBHIIBBH", frame[42:58]))
        offset += 16 + length
    assert packets[0][1] == 0x80 | 101  # marker on the first packet
    assert {packet[3] for packet in packets} == {64000}
    assert {packet[5] for packet in packets} == {11}  # "#"
    assert [packet[6] & 0x80 for packet in packets][-3:] == [0x80] * 3  # end of event, sent three times
    assert packets[0][2] == 500
    with pytest.raises(ValueError):
        sipp.dtmf_pcap_bytes("A", sequence=1, timestamp=1)


def test_caller_scenario_presses_keys_in_order_with_rising_timestamps(tmp_path: Path) -> None:
    script = CallerScript(caller="+33612345678", keys=((3.0, "1"), (1.5, "3")), speak_at=5.0, hangup_at=9.0)
    scenario = sipp.write_caller_scenario(script, tmp_path)
    root = ET.parse(scenario).getroot()
    played = [element.get("play_pcap_audio", "") for element in root.iter("exec")]
    assert played[-1] == str(sipp.SPEECH_PCAP)
    assert [Path(p).name for p in played[:2]] == ["key-0-3.pcap", "key-1-1.pcap"]  # sorted by time
    timeouts = [int(recv.get("timeout", "0")) for recv in root.iter("recv") if recv.get("request") == "BYE"]
    assert timeouts[:4] == [1500, 1500, 2000, 4000]  # 1.5 s, then +1.5, +2, then hang up at 9 s
    stamps = [struct.unpack("!I", (tmp_path / name).read_bytes()[24 + 16 + 42 + 4 : 24 + 16 + 42 + 8])[0]
              for name in ("key-0-3.pcap", "key-1-1.pcap")]  # fmt: skip
    assert stamps[0] < stamps[1]
    text = scenario.read_text()
    assert "sip:+33612345678@" in text
    assert "telephone-event/8000" in text


def test_caller_scenario_rejects_odd_input() -> None:
    with pytest.raises(ValueError):
        sipp.caller_scenario(CallerScript(caller="+33 6<script>"), [])
    with pytest.raises(ValueError):
        sipp.caller_scenario(CallerScript(caller="+33", hangup_at=1.0), [(2.0, "/x.pcap")])


def test_parse_keys() -> None:
    assert sipp.parse_keys("3,1", first_at=4, gap=2) == ((4, "3"), (6, "1"))
    assert sipp.parse_keys(",#", first_at=1, gap=1) == ((2, "#"),)
    assert sipp.parse_keys("", first_at=1, gap=1) == ()
    with pytest.raises(ValueError):
        sipp.parse_keys("A", first_at=1, gap=1)


def test_narrate_keeps_what_a_person_cares_about() -> None:
    assert sandbox_cli.narrate({"Event": "VarSet", "Variable": "IVR_LANG", "Value": "fr"}) == "set IVR_LANG=fr"
    assert sandbox_cli.narrate({"Event": "VarSet", "Variable": "BRIDGEPEER", "Value": "x"}) is None
    assert sandbox_cli.narrate({"Event": "RTCPSent"}) is None
    assert "q-fr" in (sandbox_cli.narrate({"Event": "QueueCallerJoin", "Queue": "q-fr", "Position": "1"}) or "")
    assert "agent1001" in (sandbox_cli.narrate({"Event": "AgentConnect", "MemberName": "agent1001"}) or "")
    assert "STREAM FILE" in (sandbox_cli.narrate({"Event": "AGIExecStart", "Command": "STREAM FILE x"}) or "")
    assert sandbox_cli.narrate({"Event": "AGIExecStart", "Command": 'SET VARIABLE "IVR_LANG" "fr"'}) is None
    assert sandbox_cli._timestamp({"Timestamp": "1795401223.5"}) == 1795401223.5
    assert sandbox_cli._timestamp({}) is None
    assert "+33" in (sandbox_cli.narrate({"Event": "Newchannel", "CallerIDNum": "+33"}) or "")
    assert "Normal" in (sandbox_cli.narrate({"Event": "Hangup", "Cause-txt": "Normal Clearing"}) or "")


@pytest.fixture
async def fake_ami() -> AsyncIterator[FakeAmi]:
    async with FakeAmi() as server:
        yield server


async def test_ami_client_logs_in_sends_actions_and_collects_events(fake_ami: FakeAmi) -> None:
    client = await AmiClient.connect(secret=fake_ami.secret, port=fake_ami.port)
    try:
        reply = await client.action("QueueAdd", Queue="q-fr", Interface="PJSIP/agent1001")
        assert reply["Response"] == "Success"
        event = await client.wait_for(lambda e: e.get("Event") == "QueueMemberAdded", timeout_s=2)
        assert event["Queue"] == "q-fr" and event["Interface"] == "PJSIP/agent1001"
        assert fake_ami.logins == [True]
        with pytest.raises(AmiError, match="Already there"):
            await client.action("QueueAdd", Queue="q-fr", Interface="PJSIP/agent1001")
        status = await client.listing("QueueStatus", Queue="q-fr")
        assert [m["Location"] for m in status if m.get("Event") == "QueueMember"] == ["PJSIP/agent1001"]
        assert not any(e.get("Event") == "QueueMember" for e in client.events)  # a reply is not an event
        with pytest.raises(TimeoutError, match="never"):
            await client.wait_for(lambda e: e.get("Event") == "Never", timeout_s=0.05, what="never")
    finally:
        await client.close()
    with pytest.raises(SandboxError, match="closed"):
        await client.action("Ping")


async def test_ami_client_refused_login_is_an_error(fake_ami: FakeAmi) -> None:
    with pytest.raises(SandboxError, match="refused"):
        await AmiClient.connect(secret="wrong", port=fake_ami.port)


async def test_ami_client_without_asterisk_is_an_error(fake_ami: FakeAmi) -> None:
    port = fake_ami.port
    await fake_ami.stop()
    with pytest.raises(SandboxError, match=f"127.0.0.1:{port}"):
        await AmiClient.connect(secret="s", port=port, timeout_s=1)


def test_remove_tree_and_locks(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    with provision._file_lock(tmp_path / "x.lock"):
        provision._remove_tree(tree)
    assert not tree.exists()
    provision._remove_tree(tree)  # idempotent
    assert provision._mounts_under(tmp_path) == []


def test_run_reports_failures_clearly() -> None:
    assert provision._run(["echo", "hi"], what="echo", timeout_s=5) == "hi\n"
    with pytest.raises(SandboxError, match="false failed"):
        provision._run(["false"], what="false", timeout_s=5)
    with pytest.raises(SandboxError, match="not installed"):
        provision._run(["/nonexistent/tool"], what="tool", timeout_s=5)


def test_cli_paths_and_status_of_a_sandbox_that_does_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IVR_ASTERISK_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("IVR_ASTERISK_BASE", str(tmp_path / "base"))
    assert sandbox_cli.main(["paths"]) == 0
    assert f"root={tmp_path / 'root'}" in capsys.readouterr().out
    assert sandbox_cli.main(["env"]) == 0
    env = capsys.readouterr().out
    assert "export IVR_VOICEMAIL_DIR=" in env
    assert "export IVR_SEAT_SECRETS=" in env and "export IVR_API_SOFTPHONE_WSS_URL=wss://127.0.0.1:8089/ws" in env
    assert sandbox_cli.main(["status"]) == 3
    assert sandbox_cli.main(["stop"]) == 0
    assert "not running" in capsys.readouterr().out
    assert sandbox_cli.call_main(["--caller", "+33612345678"]) == 1
    assert "not running" in capsys.readouterr().err


def test_unavailable_reason_names_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "root" in (provision.unavailable_reason() or "")


def test_sealed_chroot_resolves_names_on_loopback_only(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/resolv.conf").write_text("nameserver 10.0.0.2\nsearch corp.example\n")
    provision.seal_name_resolution(root, hostname="box-7.example.org")
    resolv = (root / "etc/resolv.conf").read_text()
    servers = [line.split()[1] for line in resolv.splitlines() if line.startswith("nameserver")]
    assert servers == ["127.0.0.1"]
    assert "search" not in resolv
    hosts = (root / "etc/hosts").read_text()
    assert "127.0.0.1\tlocalhost box-7.example.org box-7\n" in hosts


# Lines as Asterisk 22 writes them to messages.log (logger.conf: verbose(3), dateformat %F %T.%3q), plus one
# that is not a log line at all.
JOURNEY_LOG = (Path(__file__).parent / "transcripts" / "journey-messages.log").read_text()


def test_the_journey_is_read_from_asterisks_own_log() -> None:
    journeys = sandbox_journey.journeys_from_log(JOURNEY_LOG)
    assert set(journeys) == {"+33612000069"}  # the second caller was never answered
    journey = journeys["+33612000069"]
    assert journey.channel == "PJSIP/carrier-0000000c"
    assert journey.heard == ((0.51, "fr/ivr/greeting"), (2.5, "fr/ivr/after_hours"), (19.65, "ivr/transfer_to_agent"))
    assert journey.first("ivr/after_hours") == 2.5 and journey.first("ivr/goodbye") is None
    assert journey.queue_at == 18.89
    assert sandbox_journey.describe_journey(journey)[-2:] == [
        "journey: the after-hours message started 2.50 s after the answer",
        "journey: in the queue 18.89 s after the answer",
    ]


def test_the_log_is_read_from_an_offset(tmp_path: Path) -> None:
    paths = SandboxPaths(root=tmp_path / "root", cache=tmp_path / "cache.tar.zst", base=tmp_path / "base")
    assert sandbox_journey.log_size(paths) == 0 and sandbox_journey.read_log_from(paths, 0) == ""
    paths.log_dir.mkdir(parents=True)
    (paths.log_dir / "messages.log").write_text("old\n")
    offset = sandbox_journey.log_size(paths)
    with (paths.log_dir / "messages.log").open("a") as log:
        log.write("new\n")
    assert sandbox_journey.read_log_from(paths, offset) == "new\n"


def test_hold_music_is_there_in_every_codec_format(paths: SandboxPaths) -> None:
    """Waiting callers hear the tone in their own codec: A-law for the carrier, no transcoding per frame."""
    render.render_config(paths)
    moh = paths.in_root("/var/lib/asterisk/moh")
    seconds = 4
    assert (moh / "sandbox-tone.alaw").stat().st_size == 8000 * seconds  # one byte per sample
    assert (moh / "sandbox-tone.ulaw").stat().st_size == 8000 * seconds
    assert (moh / "sandbox-tone.sln16").stat().st_size == 2 * 16000 * seconds
    alaw = (moh / "sandbox-tone.alaw").read_bytes()
    assert len(set(alaw)) > 20  # a tone, not silence

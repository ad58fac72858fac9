"""SIPp callers: the "carrier" delivering a call from a given number, pressing given keys (RFC 4733 DTMF
synthesised as pcaps), speaking, hanging up; and one SIPp run."""

from __future__ import annotations

import asyncio
import re
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

from sandbox.paths import SandboxError

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
    # Behind a SIP proxy (the Kamailio edge): keep the Record-Route of the answer and send ACK and BYE along it
    # to Asterisk's Contact, as a carrier does (RFC 3261 12.2.1.1); off, they go straight to the target.
    route_set: bool = False


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
    in_dialog_uri = "[next_url]" if script.route_set else "sip:[service]@[remote_ip]:[remote_port]"
    routes = "\n      [routes]" if script.route_set else ""
    record_routes = ' rrs="true"' if script.route_set else ""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- Generated by sandbox.sipp.caller_scenario: a carrier call from {user} -->
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
  <recv response="200" rtd="true"{record_routes}/>
  <send>
    <![CDATA[
      ACK {in_dialog_uri} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK{routes}
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
      BYE {in_dialog_uri} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE{routes}
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

"""The asterisk tier: a real Asterisk 22 (the sandbox, on its own root and ports), our FastAGI server as a
subprocess, SIPp callers and agents, and AMI to watch what happened.

Rules:
- Without root/debootstrap/sipp the tier skips with the reason; with CI set it fails instead (a CI run that
  silently skipped the real calls would prove nothing).
- The tier has its own chroot (var/asterisk/test-root, unpacked from the shared cache) and free ports, so a demo
  sandbox started by `make run` is never disturbed, and its prompts are short tones so key timings are exact.
- Every wait has a deadline; polls sleep a few milliseconds between looks, never to let something happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import wave
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from callcenter.loading import load_callcenter
from callcenter.records import CallRecord
from ivr.adapters.outbox import Outbox
from ivr.prompts import Prompt
from promptgen import audio as prompt_audio
from promptgen import catalog as prompt_catalog
from promptgen import plan as planning
from sandbox.ami import AmiClient, AmiError, AmiMessage, ami_secret
from sandbox.paths import SandboxError, SandboxOptions, SandboxPaths
from sandbox.sipp import CallerScript, SippResult, run_sipp, write_caller_scenario
from tests.support.asterisk import own_asterisk
from tests.support.poll import eventually, eventually_blocking
from tests.support.ports import free_media_port, free_port

HERE = Path(__file__).parent
PROJECT = HERE.parents[1]
PACKAGED_CALLCENTER = PROJECT / "callcenter" / "callcenter.toml"
AGENT_PASSWORD = "demo-only-agent{n}"  # asterisk_conf/pjsip_secrets.sandbox.conf
PROMPT_SECONDS = 0.3
GREETING_SECONDS = 2.0  # long enough to press keys during it (issue 11: type-ahead from the first syllable)
SESSION_LOCK_WAIT_S = 300.0
QUEUE_TIMEOUT_S = 10  # the smallest the config accepts; seconds in a queue before the dialplan offers voicemail
DIGIT_TIMEOUT_S = 2  # the tier's call-center file waits 2 s for a key instead of 5: same logic, faster calls

# Fixed instants for the FastAGI clock (Africa/Casablanca is UTC+01:00 outside Ramadan).
OPEN_AT = "2026-11-23T10:00:00+01:00"  # a Monday morning
CLOSED_AT = "2026-11-23T21:30:00+01:00"  # the same Monday, after 20:00


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.asterisk)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"asterisk tier cannot run (CI is set, so this is a failure): {reason}", pytrace=False)
    pytest.skip(f"asterisk tier skipped: {reason}")


@dataclass
class Tier:
    paths: SandboxPaths
    options: SandboxOptions
    secret: str
    callcenter_path: Path
    recordings_dir: Path
    caller_port: int = field(default_factory=lambda: free_port(socket.SOCK_DGRAM))

    @property
    def sip_target(self) -> str:
        return f"127.0.0.1:{self.options.sip_port}"

    async def register_seat(self, seat: str) -> int:
        """Register seat `seat` ("agent1001": digest auth, from 127.0.0.2) with SIPp; returns its contact port,
        where a softphone started next answers."""
        port = free_port(socket.SOCK_DGRAM)
        register = await run_sipp(
            HERE / "agent_register.xml",
            target=self.sip_target,
            local_ip="127.0.0.2",
            local_port=port,
            media_port=free_media_port(),
            service=seat,
            extra=("-au", seat, "-ap", AGENT_PASSWORD.format(n=int(seat.removeprefix("agent")))),
            timeout_s=10,
        )
        assert register.ok, f"agent registration failed:\n{register.output[-3000:]}"
        return port

    async def answer_once(self, *, ip: str, port: int, log: Path, timeout_s: int = 90) -> asyncio.subprocess.Process:
        """A SIPp UAS (agent_uas.xml) on `ip:port` that answers one call, talks until the far end hangs up, then
        exits (0, or 1 once `timeout_s` passed without a call); its output in `log`, errors beside it."""
        with log.open("wb") as output:
            return await asyncio.create_subprocess_exec(
                "sipp", self.sip_target, "-sf", str(HERE / "agent_uas.xml"), "-i", ip, "-p", str(port), "-mi", ip,
                "-mp", str(free_media_port()), "-m", "1", "-nostdin", "-timeout", f"{timeout_s}s", "-timeout_error",
                "-trace_err", "-error_file", str(log.with_suffix(".errors.log")),
                stdout=output, stderr=subprocess.STDOUT, cwd=log.parent,
            )  # fmt: skip

    async def call(self, script: CallerScript, work_dir: Path) -> SippResult:
        scenario = write_caller_scenario(script, work_dir)
        return await run_sipp(
            scenario,
            target=self.sip_target,
            local_port=self.caller_port,
            media_port=free_media_port(),
            service=script.dialed,
            timeout_s=script.hangup_at + 20,
        )


def _tone(path: Path, seconds: float) -> None:
    rate = 8000
    frames = bytearray()
    for n in range(int(rate * seconds)):
        frames += int(2000 * math.sin(2 * math.pi * 660 * n / rate)).to_bytes(2, "little", signed=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))


def install_test_prompts(paths: SandboxPaths, callcenter_path: Path) -> None:
    """Every sound the real build makes (prompt keys and number pieces, every language), as a 0.3 s tone (the
    greeting: GREETING_SECONDS) that
    replaces whatever was there, real prompts included: flows never hit a missing file and menus take a known
    time. tests/asterisk/test_real_prompts.py plays the real ones."""
    callcenter = load_callcenter(callcenter_path)
    deployment = prompt_catalog.Deployment.from_callcenter(callcenter)
    items = planning.plan(prompt_catalog.load_catalog(), deployment, prompt_catalog.RECORDED_DIR)
    names = {(item.language, item.name) for item in items}
    names |= {(language.code, key.value) for language in callcenter.languages for key in Prompt}
    for language, name in sorted(names):
        seconds = GREETING_SECONDS if name == Prompt.GREETING.value else PROMPT_SECONDS
        wav = paths.sounds_dir(language) / f"{name}.wav"
        for other in prompt_audio.siblings(wav):  # a real prompt's .alaw would win over the tone's .wav
            other.unlink(missing_ok=True)
        _tone(wav, seconds)


def _tier_callcenter(directory: Path) -> Path:
    text = PACKAGED_CALLCENTER.read_text()
    text, count = re.subn(r"(?m)^digit_timeout_s = \S+", f"digit_timeout_s = {DIGIT_TIMEOUT_S}", text)
    assert count == 1, "callcenter.toml changed shape: digit_timeout_s not found"
    text, count = re.subn(r"(?m)^timeout_s = \S+", f"timeout_s = {QUEUE_TIMEOUT_S}", text)
    assert count == 1, "callcenter.toml changed shape: [queue] timeout_s not found"
    path = directory / "callcenter.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def tier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tier]:
    root = Path(os.environ.get("IVR_TEST_ASTERISK_ROOT", str(PROJECT / "var/asterisk/test-root")))
    # this tier's agents are SIPp desk phones (plain RTP); tests/browser has browser seats (webrtc = yes)
    with running_tier(tmp_path_factory, root, seat_webrtc=False) as running:
        yield running


@contextlib.contextmanager
def running_tier(tmp_path_factory: pytest.TempPathFactory, root: Path, *, seat_webrtc: bool) -> Iterator[Tier]:
    """A sandbox Asterisk on its own root and free ports, with the tier's call-center file and test prompts."""
    with contextlib.ExitStack() as session:
        try:
            asterisk = session.enter_context(
                own_asterisk(root, lock_timeout_s=SESSION_LOCK_WAIT_S, seat_webrtc=seat_webrtc)
            )
        except SandboxError as error:  # AsteriskUnavailable, or an Asterisk that would not start
            _unavailable(str(error))
        paths = asterisk.paths
        callcenter_path = _tier_callcenter(tmp_path_factory.mktemp("asterisk-tier"))
        install_test_prompts(paths, callcenter_path)
        # RECORD FILE does not create directories (file.c: "Unable to open file ...: No such file or directory",
        # then "-1 (writefile)"): the voicemail flow records flat into this directory, which must exist.
        recordings = paths.recordings_dir / f"tier-{os.getpid()}"
        recordings.mkdir(parents=True, exist_ok=True)
        session.callback(shutil.rmtree, recordings, ignore_errors=True)
        yield Tier(
            paths=paths,
            options=asterisk.options,
            secret=ami_secret(paths),
            callcenter_path=callcenter_path,
            recordings_dir=recordings,
        )


@dataclass
class AgiServer:
    process: subprocess.Popen[bytes]
    outbox: Outbox
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def record_for(self, linkedid: str, *, timeout_s: float = 15.0) -> CallRecord:
        """The call record call_end spooled for this call (polled until the deadline)."""

        def spooled() -> CallRecord | None:
            return next((record for record in self.outbox.records() if record.linkedid == linkedid), None)

        try:
            return await eventually(spooled, timeout_s=timeout_s, what=f"the call record of {linkedid}")
        except AssertionError as error:
            raise AssertionError(f"{error}; agi log:\n{self.log()[-3000:]}") from None


@pytest.fixture
def start_agi(tier: Tier, tmp_path: Path) -> Iterator[Callable[[str], AgiServer]]:
    """Start `ivr agi --port P --at INSTANT` (P rendered into the dialplan's IVR_AGI) with its own outbox."""
    servers: list[AgiServer] = []

    def start(at: str, callcenter: Path | None = None) -> AgiServer:
        outbox_dir = tmp_path / f"outbox-{len(servers)}"
        log_path = tmp_path / f"agi-{len(servers)}.log"
        env = {
            **os.environ,
            "IVR_SPOOL_DIR": str(outbox_dir),
            "IVR_VOICEMAIL_DIR": str(tier.recordings_dir),
            "IVR_CALLCENTER": str(callcenter or tier.callcenter_path),
            "IVR_OVERRIDES_CACHE": str(tmp_path / f"overrides-{len(servers)}.json"),
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "ivr", "agi", "--port", str(tier.options.agi_port), "--at", at],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=PROJECT,
            )
        server = AgiServer(process=process, outbox=Outbox(outbox_dir), log_path=log_path)
        servers.append(server)

        def listening() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"ivr agi exited:\n{server.log()[-3000:]}")
            return "FastAGI listening" in server.log()

        try:
            eventually_blocking(listening, timeout_s=15, what="ivr agi to listen")
        except AssertionError as error:
            raise AssertionError(f"ivr agi did not start ({error}):\n{server.log()[-3000:]}") from None
        return server

    yield start
    for server in servers:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


@pytest.fixture
async def ami(tier: Tier) -> AsyncIterator[AmiClient]:
    client = await AmiClient.connect(secret=tier.secret, port=tier.options.ami_port)
    try:
        yield client
    finally:
        await client.close()


@dataclass
class Agent:
    interface: str
    queue: str
    process: asyncio.subprocess.Process | None  # the answering softphone (SIPp UAS), if any
    output_path: Path

    async def finished(self, timeout_s: float) -> int:
        assert self.process is not None, "this agent has no softphone"
        return await asyncio.wait_for(self.process.wait(), timeout_s)


@pytest.fixture
async def agent_in_queue(
    tier: Tier, ami: AmiClient, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Agent]]]:
    """Register a seat (digest auth) from 127.0.0.2, answer with a SIPp UAS, log it into a queue (QueueAdd, as
    the API does when an agent logs in)."""
    agents: list[Agent] = []

    async def login(queue: str, seat: int = 1001, *, answers: bool = True) -> Agent:
        """Register the seat and add it to `queue`; with answers=False nothing listens behind the registration
        (a softphone that went away): the queue rings it in vain."""
        name = f"agent{seat}"
        port = await tier.register_seat(name)
        output_path = tmp_path / f"{name}-uas.log"
        process = await tier.answer_once(ip="127.0.0.2", port=port, log=output_path) if answers else None
        interface = f"PJSIP/{name}"
        with contextlib.suppress(AmiError):  # "not there" is fine
            await ami.action("QueueRemove", Queue=queue, Interface=interface)
        reply = await ami.action("QueueAdd", Queue=queue, Interface=interface, MemberName=name, Penalty="0")
        assert reply.get("Response") == "Success", reply
        agent = Agent(interface=interface, queue=queue, process=process, output_path=output_path)
        agents.append(agent)
        return agent

    yield login
    for agent in agents:
        with contextlib.suppress(Exception):
            await ami.action("QueueRemove", Queue=agent.queue, Interface=agent.interface)
        if agent.process is not None and agent.process.returncode is None:
            agent.process.kill()
            await agent.process.wait()


def linkedid_of(events: list[AmiMessage], caller: str) -> str:
    """The linkedid of the call placed from `caller` (its first Newchannel)."""
    for event in events:
        if event.get("Event") == "Newchannel" and event.get("CallerIDNum") in {caller, caller.lstrip("+")}:
            return event["Linkedid"]
    raise AssertionError(f"no Newchannel from {caller}")


async def place_call(tier: Tier, ami: AmiClient, script: CallerScript, work_dir: Path) -> str:
    """Place the call to its scripted end (SIPp must have succeeded); its linkedid."""
    result = await tier.call(script, work_dir)
    assert result.ok, result.output[-3000:]
    return linkedid_of(ami.events, script.caller)


def variables_set(events: list[AmiMessage], linkedid: str) -> dict[str, list[str]]:
    """Every value each variable took on the call's channels (VarSet events), in order."""
    values: dict[str, list[str]] = {}
    for event in events:
        if event.get("Event") == "VarSet" and event.get("Linkedid") == linkedid:
            values.setdefault(event.get("Variable", ""), []).append(event.get("Value", ""))
    return values


def sounds_heard(events: list[AmiMessage], linkedid: str) -> list[str]:
    """Sound names the flows played on this call (STREAM FILE, GET DATA, and each part of a menu's EXEC Read), in
    order, without an explicit language folder (`fr/ivr/greeting` -> `ivr/greeting`)."""
    heard: list[str] = []
    for event in events:
        if event.get("Event") != "AGIExecStart" or event.get("Linkedid") != linkedid:
            continue
        words = event.get("Command", "").split()
        if words[:2] in (["STREAM", "FILE"], ["GET", "DATA"]) and len(words) > 2:
            heard.append(words[2].strip('"'))
        elif words[:2] == ["EXEC", "Read"] and len(words) > 2:
            heard += words[2].strip('"').split(",")[1].split("&")
    return [name if name.startswith("ivr/") else name.split("/", 1)[-1] for name in heard]


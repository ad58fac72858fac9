"""Benchmark 5: real Asterisk 22 under SIPp load, the full inbound IVR beside the floor dialplan, same run.

Rules:
- Its own sandbox (var/asterisk/bench-root; tests/support/asterisk.py: free ports, a session lock, a fresh
  astdb), so the test tier or a `make run` sandbox is never disturbed. Skipped, with the reason in the JSON,
  where the sandbox cannot run (not root, no SIPp).
- The floor (benchmarks/asterisk/bench-floor.conf) is appended to the dialplan rendered for this sandbox only:
  Answer, a 6-command FastAGI step answered by the bare floor server, Playback(beep), Wait(5).
- The full IVR is the real `ivr agi` with the packaged call center, clock pinned in hours, the real prompts
  when var/sounds holds them. Each caller (a fresh number from +33, so French is preselected) presses 3 during
  the greeting and 1 in the request-type menu, waits in the French queue (one busy agent: the queue is
  not empty) and hangs up 14 s after the answer.
- Ramp: each step offers `rate` calls/s for its step length; a step is clean when SIPp counts no failed call
  and, for the IVR, every call's record (spooled by call_end) says the flow routed it to the French queue.
  The ramp stops at the first unclean step, when the call path saturates the machine's cores (the knee: what
  this machine carries), or when its time budget is spent (then the knee is only "at least"). Steps are shorter than
  an IVR call so more rates fit the same budget: the concurrent calls of a step are about rate x step length.
- Per step, from /proc: CPU of Asterisk (all threads) and of the AGI server (our only process on the call path:
  the inbound and call_end sessions both run there, the records stay in its spool), peak RSS of both. Asterisk's
  memory per concurrent call is its RSS growth over the step divided by the calls in progress.
- Asterisk's CPU per IVR call is compared with its CPU per floor call (medians over the clean steps) and, when
  `perf` is installed (linux-perf, optional), `perf record` samples Asterisk during one step of each ramp and
  the top shared objects and symbols are printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    REPO,
    Options,
    RssPeak,
    children_cpu_s,
    process_cpu_s,
    raise_fd_limit,
    verdict,
    write_results,
)
from benchmarks.fastagi import TYPICAL_PROMPT_S
from callcenter.loading import load_callcenter
from ivr.adapters.outbox import Outbox
from ivr.prompts import Prompt
from promptgen.audio import siblings, write_siblings
from sandbox import process as sandbox_process
from sandbox.paths import CONF_SOURCE, SandboxPaths
from sandbox.render import set_option
from sandbox.sipp import CallerScript, write_caller_scenario
from tests.support.asterisk import AsteriskUnavailable, own_asterisk
from tests.support.poll import eventually
from tests.support.ports import free_media_block, free_port
from tests.support.processes import stop_process

OPEN_AT = "2026-11-23T10:00:00+01:00"  # a Monday morning in Casablanca
BENCH_ROOT = REPO / "var/asterisk/bench-root"
IVR_SERVICE = "0800100200"
FLOOR_SERVICE = "0800999999"
IVR_HANGUP_S = 14.0
FLOOR_CALL_S = 6.0  # Asterisk hangs up after Wait(5)
FLOOR_SEQUENCE = [
    "ANSWER",
    'SET VARIABLE "BENCH_STEP" "1"',
    'GET VARIABLE "CALLERID(num)"',
    'SET VARIABLE "BENCH_LANG" "fr"',
    'GET VARIABLE "CHANNEL(language)"',
    'SET VARIABLE "BENCH_DONE" "1"',
]


def machine_busy_s() -> float:
    """CPU seconds all cores spent not idle so far (/proc/stat), to show how saturated the machine was."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _tone(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(2 * int(8000 * seconds)))  # silence of the prompt's length: same media work


def install_prompts(paths: SandboxPaths, languages: list[str]) -> str:
    """The built prompts (var/sounds) when present, else silence of typical lengths; say which. Every prompt in
    every codec format, as `make prompts` builds them (the .alaw beside the .wav: no transcoding, issue 18)."""
    built = 0
    for language in languages:
        for key in Prompt:
            target = paths.sounds_dir(language) / f"{key.value}.wav"
            source = REPO / "var" / "sounds" / language / "ivr" / f"{key.value}.wav"
            if not target.exists():
                if source.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    for built_file, installed in zip(siblings(source), siblings(target), strict=True):
                        if built_file.exists():
                            shutil.copyfile(built_file, installed)
                    built += 1
                else:
                    _tone(target, TYPICAL_PROMPT_S.get(key.value, 2.0))
            write_siblings(target)  # a build older than the codec formats (or a stand-in): made here
    return "var/sounds" if built else "already installed or silence of typical lengths"


@dataclass
class Step:
    context: str
    rate: float
    step_s: float
    offered: int
    successful: int
    failed: int
    routed_ok: int | None
    outcomes: dict[str, int]
    elapsed_s: float
    asterisk_cpu_s: float
    agi_cpu_s: float
    sipp_cpu_s: float
    machine_busy_s: float
    sipp_returncode: int
    asterisk_rss_before_kib: int = 0
    asterisk_rss_peak_kib: int = 0
    agi_rss_peak_kib: int = 0
    perf_top: list[str] | None = None

    @property
    def clean(self) -> bool:
        ok = self.failed == 0 and self.successful == self.offered
        return ok and (self.routed_ok is None or self.routed_ok == self.offered)

    def figures(self) -> dict[str, Any]:
        calls = max(self.successful, 1)
        call_s = IVR_HANGUP_S if self.context == "ivr" else FLOOR_CALL_S
        return {
            "rate_cps": self.rate,
            "offered": self.offered,
            "successful": self.successful,
            "failed": self.failed,
            "routed_to_queue": self.routed_ok,
            "record_outcomes": self.outcomes,
            "clean": self.clean,
            "concurrent_calls_about": round(self.rate * min(call_s, self.step_s)),
            "asterisk_cpu_ms_per_call": round(self.asterisk_cpu_s * 1000 / calls, 2),
            "agi_cpu_ms_per_call": round(self.agi_cpu_s * 1000 / calls, 2),
            "agi_vs_asterisk_cpu": round(self.agi_cpu_s / self.asterisk_cpu_s, 3) if self.asterisk_cpu_s else None,
            "asterisk_cores_busy": round(self.asterisk_cpu_s / self.elapsed_s, 2),
            "sipp_cores_busy": round(self.sipp_cpu_s / self.elapsed_s, 2),
            "machine_cores_busy": round(self.machine_busy_s / self.elapsed_s, 2),
            "asterisk_rss_peak_mib": round(self.asterisk_rss_peak_kib / 1024, 1),
            "asterisk_kib_per_concurrent_call": round(
                max(0, self.asterisk_rss_peak_kib - self.asterisk_rss_before_kib)
                / max(1, round(self.rate * min(call_s, self.step_s))), 1
            ),
            "agi_rss_peak_mib": round(self.agi_rss_peak_kib / 1024, 1),
            **({"asterisk_perf_top": self.perf_top} if self.perf_top is not None else {}),
        }

    @property
    def saturated(self) -> bool:
        """The call path (Asterisk, our AGI server, SIPp) kept (nearly) all the machine's cores busy over the step:
        a higher rate cannot be carried here. Counted over those processes, not the whole machine, so other work
        on a shared machine does not end the ramp (it shows as `machine_cores_busy`)."""
        busy = self.asterisk_cpu_s + self.agi_cpu_s + self.sipp_cpu_s
        return busy / self.elapsed_s >= 0.95 * (os.cpu_count() or 1)


def sipp_counts(stat_file: Path) -> tuple[int, int]:
    """(successful, failed) calls from SIPp's -trace_stat CSV (its last line holds the cumulative counts)."""
    with stat_file.open(newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, last = rows[0], rows[-1]
    return int(last[header.index("SuccessfulCall(C)")]), int(last[header.index("FailedCall(C)")])


PERF_S = 4.0  # seconds of `perf record` on Asterisk during a profiled step


async def perf_record(pid: int, output: Path, seconds: float) -> bool:
    """Sample Asterisk's stacks for `seconds` (perf record); False when perf is missing or refused."""
    perf = shutil.which("perf")
    if perf is None:
        return False
    process = await asyncio.create_subprocess_exec(
        perf, "record", "-F", "499", "-p", str(pid), "-o", str(output), "--", "sleep", f"{seconds:g}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return await process.wait() == 0


def perf_top_symbols(data: Path, count: int = 8) -> list[str]:
    """Where Asterisk's samples went: the top shared objects (the kernel as one), then the top `count` named
    symbols, as "12.3% dso symbol" lines (perf resolves the chroot's files itself, through /proc/PID/root)."""
    perf = shutil.which("perf")
    if perf is None or not data.exists():
        return []

    def report(sort: str) -> list[str]:
        done = subprocess.run(
            [perf, "report", "--stdio", "--no-children", "--sort", sort, "-i", str(data)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        lines = [" ".join(line.replace(" - ", " ").split()) for line in done.stdout.splitlines()]
        return [line for line in lines if line[:1].isdigit()]

    by_dso = ["dso " + line for line in report("dso")[:5]]
    named = [line for line in report("dso,symbol") if " 0x" not in line]  # unresolved addresses: in by_dso
    return by_dso + named[:count]


async def run_step(
    context: str, rate: float, step_s: float, scenario: Path, work: Path, target: str,
    asterisk_pid: int, agi_pid: int, outbox: Outbox | None, *, profile: Path | None = None,
) -> Step:
    offered = max(1, round(rate * step_s))
    call_s = IVR_HANGUP_S if context == "ivr" else FLOOR_CALL_S
    stat = work / f"{context}-{rate:g}.csv"
    if outbox is not None:
        for spooled in outbox.directory.glob("*.json"):
            spooled.unlink()
    command = [
        "sipp", target, "-sf", str(scenario), "-s", IVR_SERVICE if context == "ivr" else FLOOR_SERVICE,
        "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)), "-mi", "127.0.0.1",
        "-mp", str(free_media_block()), "-r", f"{rate:g}", "-m", str(offered),
        "-l", str(offered), "-nostdin", "-trace_stat", "-stf", str(stat), "-fd", "1",
        "-timeout", f"{int(step_s + call_s + 30)}s", "-trace_err", "-error_file", str(work / f"{context}-errors.log"),
        "-max_recv_loops", "10000", "-max_sched_loops", "10000",
    ]  # fmt: skip
    asterisk_before, agi_before = process_cpu_s(asterisk_pid), process_cpu_s(agi_pid)
    sipp_before, machine_before = children_cpu_s(), machine_busy_s()
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, cwd=work
    )
    # perf samples the middle of the step, when the most calls are in progress
    profiling = asyncio.create_task(_perf_later(asterisk_pid, profile, min(step_s, call_s) * 0.6)) if profile else None
    async with RssPeak([asterisk_pid, agi_pid], interval_s=0.5) as memory:
        try:
            returncode = await asyncio.wait_for(process.wait(), step_s + call_s + 45)
        except TimeoutError:
            process.kill()
            returncode = await process.wait()
    elapsed = time.monotonic() - started
    profiled = await profiling if profiling is not None else False
    asterisk_cpu, agi_cpu = process_cpu_s(asterisk_pid) - asterisk_before, process_cpu_s(agi_pid) - agi_before
    sipp_cpu, machine_busy = children_cpu_s() - sipp_before, machine_busy_s() - machine_before
    successful, failed = sipp_counts(stat) if stat.exists() else (0, offered)
    routed = None
    outcomes: dict[str, int] = {}
    if outbox is not None:
        # call_end runs as the caller hangs up: give the last ones up to 10 s, then count what there is
        with contextlib.suppress(AssertionError):
            await eventually(lambda: len(outbox.records()) >= successful, timeout_s=10,
                             what="a call record for every successful call", interval_s=0.2)  # fmt: skip
        records = outbox.records()
        routed = sum(1 for r in records if r.route is not None and r.route.value == "queue" and r.language == "fr")
        for record in records:
            outcomes[record.outcome.value] = outcomes.get(record.outcome.value, 0) + 1
    return Step(
        context, rate, step_s, offered, successful, failed, routed, outcomes, elapsed, asterisk_cpu, agi_cpu,
        sipp_cpu, machine_busy, returncode, memory.before[asterisk_pid], memory.kib[asterisk_pid],
        memory.kib[agi_pid],
        perf_top_symbols(profile) if profile is not None and profiled else None,
    )


async def _perf_later(pid: int, output: Path | None, delay_s: float) -> bool:
    assert output is not None
    await asyncio.sleep(delay_s)  # the step's calls building up: a planned pause, not a wait for an event
    return await perf_record(pid, output, PERF_S)


BENCH_MAXCALLS = "5000"


def bench_configuration(work: Path, floor_port: int) -> Path:
    """asterisk_conf/ as deployed, plus the floor context, and without the deployed 400-channel cap (maxcalls):
    the ramp is to find what the machine carries, not what the administrator allows."""
    source = work / "conf"
    source.mkdir()
    for conf in CONF_SOURCE.glob("*.conf"):
        shutil.copyfile(conf, source / conf.name)
    asterisk_conf = source / "asterisk.conf"
    asterisk_conf.write_text(set_option(asterisk_conf.read_text(), "options", "maxcalls", BENCH_MAXCALLS))
    floor_conf = (Path(__file__).parent / "asterisk" / "bench-floor.conf").read_text()
    with (source / "extensions.conf").open("a") as dialplan:
        dialplan.write("\n" + floor_conf.replace("@FLOOR_AGI@", f"agi://127.0.0.1:{floor_port}/floor"))
    return source


def hold_callers_in_queue(paths: SandboxPaths, queue: str) -> None:
    """One agent logged in and busy on another call: callers join the queue and wait with music on hold (an
    empty queue would send them to voicemail instead: joinempty). The busy state comes from a custom device
    state, and ringinuse = no keeps app_queue from ringing it."""
    sandbox_process.cli(paths, "module load func_devstate.so")
    sandbox_process.cli(paths, "devstate change Custom:bench-agent INUSE")
    sandbox_process.cli(
        paths,
        f"queue add member Local/agent@bench-floor to {queue} penalty 0 as bench-agent state_interface"
        " Custom:bench-agent",
    )
    shown = sandbox_process.cli(paths, f"queue show {queue}")
    if "bench-agent" not in shown or "In use" not in shown:
        raise RuntimeError(f"could not put a busy member in {queue}:\n{shown}")


def ivr_scenario(work: Path) -> Path:
    # The greeting menu (greeting, "another language: 9", 2 s of silence) takes 3 from its first syllable; 3 at
    # 1.5 s and 1 at 3 s (inside the request-type menu) leave Asterisk seconds of slack under load.
    script = CallerScript(caller="+33600000000", keys=((1.5, "3"), (3.0, "1")), hangup_at=IVR_HANGUP_S,
                                  dialed=IVR_SERVICE)
    scenario = write_caller_scenario(script, work)
    # a fresh number per call: a returning caller would skip the language menu
    text = scenario.read_text().replace("+33600000000", "+3361[call_number]")
    path = work / "ivr-caller.xml"
    path.write_text(text)
    return path


def floor_scenario(work: Path) -> Path:
    directory = work / "floor"
    directory.mkdir(exist_ok=True)
    script = CallerScript(caller="+33600000000", hangup_at=FLOOR_CALL_S + 10, dialed=FLOOR_SERVICE)
    return write_caller_scenario(script, directory)


async def start_process(argv: list[str], log: Path, env: dict[str, str], ready: str) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=out, stderr=asyncio.subprocess.STDOUT, cwd=REPO, env=env
        )

    def started() -> bool:
        if process.returncode is not None:
            raise RuntimeError(f"{argv[2:4]} exited; see {log}")
        return ready in log.read_text(errors="replace")

    await eventually(started, timeout_s=20, what=f"{argv[2:4]} to start (log: {log})", interval_s=0.05)
    return process


async def ramp(
    context: str, rates: list[float], step_s: float, budget_s: float, scenario: Path, work: Path, target: str,
    asterisk_pid: int, agi_pid: int, outbox: Outbox | None, *, profile_step: int = 1,
) -> list[Step]:
    steps: list[Step] = []
    started = time.monotonic()
    for index, rate in enumerate(rates):
        profile = work / f"perf-{context}.data" if index == min(profile_step, len(rates) - 1) else None
        step = await run_step(context, rate, step_s, scenario, work, target, asterisk_pid, agi_pid, outbox,
                              profile=profile)  # fmt: skip
        steps.append(step)
        f = step.figures()
        print(
            f"asterisk {context:5s} {rate:>5g} calls/s (~{f['concurrent_calls_about']} concurrent):"
            f" ok={step.successful}/{step.offered} failed={step.failed}"
            f"{'' if step.routed_ok is None else f' routed={step.routed_ok} {step.outcomes}'}"
            f"  Asterisk {f['asterisk_cpu_ms_per_call']} ms/call ({f['asterisk_cores_busy']} cores),"
            f" AGI server {f['agi_cpu_ms_per_call']} ms/call; SIPp {f['sipp_cores_busy']} cores,"
            f" machine {f['machine_cores_busy']} cores; Asterisk RSS {f['asterisk_rss_peak_mib']} MiB"
            f" (+{f['asterisk_kib_per_concurrent_call']} KiB per call in progress), AGI server RSS"
            f" {f['agi_rss_peak_mib']} MiB  {'clean' if step.clean else 'NOT CLEAN'}"
            f"{' (cores saturated)' if step.saturated else ''}",
            flush=True,
        )
        for line in step.perf_top or []:
            print(f"asterisk {context:5s} perf: {line}", flush=True)
        if not step.clean or step.saturated or time.monotonic() - started > budget_s:
            break
    return steps


def stopped_by(steps: list[Step], rates: list[float]) -> str:
    """Why a ramp ended: its first unclean step, saturated cores, or the end of its rates or time budget."""
    if not steps:
        return "no step ran"
    last = steps[-1]
    if not last.clean:
        return "failed or misrouted calls"
    if last.saturated:
        return "cores saturated"
    return "last rate" if len(steps) == len(rates) else "time budget"


def median(values: list[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


async def run(options: Options) -> dict[str, Any]:
    raise_fd_limit()
    work = options.results_dir / "asterisk-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # Steps at least as long as a call, so each reaches its steady number of concurrent calls.
    # IVR steps shorter than a call (about 10 s x rate calls in progress) so the ramp reaches the knee within
    # the same budget as before; floor steps stay longer than its call.
    ivr_step_s, floor_step_s = (2.0, 2.0) if options.quick else (10.0, FLOOR_CALL_S + 4)
    ivr_rates: list[float] = [1.0, 2.0] if options.quick else [5, 10, 20, 30, 40, 60, 80, 100, 130, 160]
    floor_rates: list[float] = [2.0] if options.quick else [20, 40, 80, 160, 240, 320, 400, 500]
    budget_s = 10.0 if options.quick else 180.0
    floor_port = free_port(socket.SOCK_STREAM)
    figures: dict[str, Any] = {
        "ivr_step_s": ivr_step_s, "floor_step_s": floor_step_s, "ivr_call_s": IVR_HANGUP_S,
        "floor_call_s": FLOOR_CALL_S, "maxcalls": BENCH_MAXCALLS,
    }
    processes: list[asyncio.subprocess.Process] = []
    try:
        with own_asterisk(BENCH_ROOT, source=bench_configuration(work, floor_port), lock_timeout_s=60) as asterisk:
            paths = asterisk.paths
            try:
                languages = [language.code for language in load_callcenter(None).languages]
                figures["prompts"] = install_prompts(paths, languages)
                (work / "floor-sequence.json").write_text(json.dumps(FLOOR_SEQUENCE))
                env = {**os.environ, "IVR_SPOOL_DIR": str(work / "outbox"),
                       "IVR_VOICEMAIL_DIR": str(paths.recordings_dir)}  # fmt: skip
                env.pop("IVR_API_TOKEN", None)  # records stay in the spool, where the benchmark counts them
                floor = await start_process(
                    [sys.executable, "-m", "benchmarks.agi_servers", "floor", str(work / "floor-sequence.json"),
                     "--port", str(floor_port)], work / "floor-server.log", env, "port ")  # fmt: skip
                processes.append(floor)
                agi = await start_process(
                    [sys.executable, "-m", "ivr", "agi", "--port", str(asterisk.options.agi_port), "--at", OPEN_AT],
                    work / "ivr-agi.log", env, "FastAGI listening")  # fmt: skip
                processes.append(agi)
                asterisk_pid = int((paths.run_dir / "asterisk.pid").read_text().strip())
                hold_callers_in_queue(paths, "q-fr")
                floor_steps = await ramp("floor", floor_rates, floor_step_s, budget_s, floor_scenario(work), work,
                                         asterisk.sip_target, asterisk_pid, floor.pid, None)  # fmt: skip
                ivr_steps = await ramp("ivr", ivr_rates, ivr_step_s, budget_s, ivr_scenario(work), work,
                                       asterisk.sip_target, asterisk_pid, agi.pid, Outbox(work / "outbox"))  # fmt: skip
            finally:
                for process in processes:
                    await stop_process(process)
    except AsteriskUnavailable as error:
        print(f"asterisk: skipped: {error}")
        write_results(options, "asterisk", {"skipped": str(error)})
        return {"skipped": str(error)}
    figures["floor"] = [step.figures() for step in floor_steps]
    figures["ivr"] = [step.figures() for step in ivr_steps]
    best_floor = max((s for s in floor_steps if s.clean), key=lambda s: s.rate, default=None)
    best_ivr = max((s for s in ivr_steps if s.clean), key=lambda s: s.rate, default=None)
    ivr_cost = median([s.asterisk_cpu_s * 1000 / max(s.successful, 1) for s in ivr_steps if s.clean])
    floor_cost = median([s.asterisk_cpu_s * 1000 / max(s.successful, 1) for s in floor_steps if s.clean])
    ours = median([s.agi_cpu_s * 1000 / max(s.successful, 1) for s in ivr_steps if s.clean])
    # Asterisk's memory per call in progress where about 1,000 calls were (the floor's steps get there)
    thousand = min(floor_steps, key=lambda s: abs(s.figures()["concurrent_calls_about"] - 1000), default=None)
    summary: dict[str, Any] = {
        "floor_max_clean_cps": best_floor.rate if best_floor else 0,
        "floor_stopped_by": stopped_by(floor_steps, floor_rates),
        "ivr_max_clean_cps": best_ivr.rate if best_ivr else 0,
        "ivr_stopped_by": stopped_by(ivr_steps, ivr_rates),
        "asterisk_cpu_ms_per_ivr_call": round(ivr_cost, 2) if ivr_cost is not None else None,
        "asterisk_cpu_ms_per_floor_call": round(floor_cost, 2) if floor_cost is not None else None,
        "asterisk_ivr_vs_floor_cpu": round(ivr_cost / floor_cost, 2) if ivr_cost and floor_cost else None,
        "our_cpu_ms_per_real_call": round(ours, 2) if ours is not None else None,
        "memory_near_1000_concurrent": thousand.figures() if thousand is not None else None,
    }
    # The two calls do not last as long (the IVR call 14 s of prompts and music, the floor 6 s of mostly silence):
    # per second of call shows how much of the ratio is the call's length, not the IVR's work.
    ivr_per_s = ivr_cost / IVR_HANGUP_S if ivr_cost is not None else None
    floor_per_s = floor_cost / FLOOR_CALL_S if floor_cost is not None else None
    summary |= {
        "asterisk_cpu_ms_per_ivr_call_second": round(ivr_per_s, 2) if ivr_per_s is not None else None,
        "asterisk_cpu_ms_per_floor_call_second": round(floor_per_s, 2) if floor_per_s is not None else None,
        "asterisk_ivr_vs_floor_cpu_per_second": (
            round(ivr_per_s / floor_per_s, 2) if ivr_per_s and floor_per_s else None
        ),
    }
    summary["goal_asterisk_ivr_at_most_1_5x_floor"] = (
        summary["asterisk_ivr_vs_floor_cpu"] is not None and summary["asterisk_ivr_vs_floor_cpu"] <= 1.5
    )
    summary["goal_ours_at_most_3_ms_per_call"] = ours is not None and ours <= 3.0
    knee = "at least " if summary["ivr_stopped_by"] in ("time budget", "last rate") else ""
    floor_knee = "at least " if summary["floor_stopped_by"] in ("time budget", "last rate") else ""
    print(
        f"asterisk: knee: full IVR clean up to {knee}{summary['ivr_max_clean_cps']:g} calls/s"
        f" (stopped by {summary['ivr_stopped_by']}), floor up to {floor_knee}{summary['floor_max_clean_cps']:g}"
        f" calls/s (stopped by {summary['floor_stopped_by']})"
    )
    print(
        f"asterisk: Asterisk CPU per call: IVR {summary['asterisk_cpu_ms_per_ivr_call']} ms, floor"
        f" {summary['asterisk_cpu_ms_per_floor_call']} ms: {summary['asterisk_ivr_vs_floor_cpu']}x"
        f" (goal <= 1.5x: {verdict(summary['goal_asterisk_ivr_at_most_1_5x_floor'])})"
    )
    print(
        f"asterisk: Asterisk CPU per second of call: IVR {summary['asterisk_cpu_ms_per_ivr_call_second']} ms"
        f" ({IVR_HANGUP_S:g} s calls), floor {summary['asterisk_cpu_ms_per_floor_call_second']} ms"
        f" ({FLOOR_CALL_S:g} s calls): {summary['asterisk_ivr_vs_floor_cpu_per_second']}x"
    )
    print(
        f"asterisk: our CPU per real call (AGI server: inbound + call_end + outbox):"
        f" {summary['our_cpu_ms_per_real_call']} ms"
        f" (goal <= 3 ms: {verdict(summary['goal_ours_at_most_3_ms_per_call'])})"
    )
    if thousand is not None:
        t = thousand.figures()
        print(
            f"asterisk: memory at ~{t['concurrent_calls_about']} concurrent floor calls: Asterisk RSS"
            f" {t['asterisk_rss_peak_mib']} MiB, {t['asterisk_kib_per_concurrent_call']} KiB per call in progress"
        )
    if best_ivr is not None:
        best = best_ivr.figures()
        summary |= {
            "at_max_ivr": best,
            "goal_agi_at_most_quarter_of_asterisk": best["agi_vs_asterisk_cpu"] is not None
            and best["agi_vs_asterisk_cpu"] <= 0.25,
        }
        print(
            f"asterisk: at {best_ivr.rate:g} IVR calls/s (~{best['concurrent_calls_about']} concurrent) our AGI"
            f" server used {best['agi_vs_asterisk_cpu']} of Asterisk's CPU"
            f" (goal <= 0.25: {verdict(summary['goal_agi_at_most_quarter_of_asterisk'])}); Asterisk"
            f" {best['asterisk_kib_per_concurrent_call']} KiB per IVR call in progress, AGI server RSS"
            f" {best['agi_rss_peak_mib']} MiB"
        )
    figures["summary"] = summary
    path = write_results(options, "asterisk", figures)
    print(f"asterisk: wrote {path}")
    return figures


def main(options: Options) -> dict[str, Any]:
    return asyncio.run(run(options))

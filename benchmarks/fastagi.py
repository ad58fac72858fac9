"""Benchmark 1: FastAGI. Our server vs process AGI vs a floor, driven by a scripted Asterisk peer (this process).

Rules:
- The servers run in their own processes; their CPU is read from /proc for that pid only. Process AGI's CPU is
  this process's reaped children (only the spawned process AGI runs as children during that phase).
- Every call takes the same path: a caller from +33 (French preselected) presses 3 during the first language
  option, then 1 at the request-type menu; the clock is pinned in hours (benchmarks.flows_pinned.IN_HOURS). The floor
  replays the exact command lines our flow sent in a calibration call, so all three exchange the same bytes.
- Command turnaround is measured at the peer: from writing a reply (or the environment) to reading the next
  command line. That is the time the AGI side takes, whatever the pacing.
- Back-to-back: each of N workers places calls one after another until a deadline. Paced: each media command
  is answered after the prompt's real duration (var/sounds when built, else typical lengths); N workers start
  spread over one call's length (~19 s) and call again until two call lengths have passed, when the calls
  still in progress hang up; the second half, with N calls in progress arriving at N / 19 s per second, is
  the one measured (~40 s per run). Paced CPU per call is over the calls that completed (a rough figure).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import statistics
import sys
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import flows_pinned
from benchmarks.common import (
    REPO,
    Options,
    RssPeak,
    children_cpu_s,
    latency_summary_ms,
    process_cpu_s,
    raise_fd_limit,
    verdict,
    write_results,
)
from ivr.testing import agi_environment, encode_environment

LANGUAGE_DIGIT = "3"  # French, pressed during the greeting menu
REQUEST_TYPE_DIGIT = "3"  # "other", pressed during the request-type menu (the same key: Read leaves it in a variable)
# Typical lengths when the prompts have not been generated (measured on var/sounds/fr/ivr of a built tree).
TYPICAL_PROMPT_S = {"greeting": 2.4, "language_option": 1.8, "request_type_menu": 11.7, "transfer_to_agent": 3.1}
DEFAULT_PROMPT_S = 2.0
KEY_PRESS_S = 1.0  # a caller presses a menu key about a second into the option, or after the menu ends


def prompt_seconds(sounds_dir: Path) -> dict[str, float]:
    durations = dict(TYPICAL_PROMPT_S)
    folder = sounds_dir / "fr" / "ivr"
    for name in TYPICAL_PROMPT_S:
        path = folder / f"{name}.wav"
        with contextlib.suppress(OSError, wave.Error, EOFError), wave.open(str(path)) as audio:
            durations[name] = audio.getnframes() / audio.getframerate()
    return durations


@dataclass
class Pacing:
    prompt_s: dict[str, float]
    scale: float = 1.0  # --quick shrinks the prompts so the test stays fast

    def prompt(self, sound: str) -> float:
        return self.prompt_s.get(sound.rsplit("/", 1)[-1], DEFAULT_PROMPT_S) * self.scale


def reply_for(command: str, pacing: Pacing | None) -> tuple[bytes, float]:
    """What a live channel answers and how long it takes: the caller presses 3 a second into the greeting menu
    (French), then 3 a second into the request-type menu; other prompts play to their end."""
    verb = command.upper()
    if verb.startswith("EXEC READ"):  # a menu: the key comes about a second in
        return b"200 result=0\n", KEY_PRESS_S * pacing.scale if pacing else 0.0
    if verb.startswith("GET FULL VARIABLE") and "IVR_MENU_KEY" in command:
        return f"200 result=1 (OK,{LANGUAGE_DIGIT})\n".encode(), 0.0
    if verb.startswith("STREAM FILE"):
        sound = command.split('"')[1] if '"' in command else command.split()[2]
        if "language_option" in sound:
            delay = KEY_PRESS_S * pacing.scale if pacing else 0.0
            return f"200 result={ord(LANGUAGE_DIGIT)} endpos=8000\n".encode(), delay
        return b"200 result=0 endpos=8000\n", pacing.prompt(sound) if pacing else 0.0
    if verb.startswith("GET DATA"):
        sound = command.split('"')[1] if '"' in command else command.split()[2]
        delay = (pacing.prompt(sound) + KEY_PRESS_S * pacing.scale) if pacing else 0.0
        return f"200 result={REQUEST_TYPE_DIGIT}\n".encode(), delay
    if verb.startswith(("SET VARIABLE", "HANGUP", "VERBOSE")):
        return b"200 result=1\n", 0.0
    return b"200 result=0\n", 0.0


@dataclass
class RunStats:
    turnarounds_s: list[float] = field(default_factory=list)
    calls: int = 0
    failures: int = 0
    commands_per_call: set[int] = field(default_factory=set)
    window_start: float = 0.0  # perf_counter() from which turnarounds count (paced: the steady state)
    active: int = 0  # calls in progress now
    active_seen: list[int] = field(default_factory=list)  # calls in progress at each counted turnaround

    def count(self, turnaround_s: float, now: float) -> None:
        if now >= self.window_start:
            self.turnarounds_s.append(turnaround_s)
            self.active_seen.append(self.active)


_call_numbers = itertools.count(1)


def call_environment(network: bool) -> bytes:
    """A fresh caller number per call: a returning caller skips the language menu, which would change the path."""
    number = next(_call_numbers)
    return encode_environment(
        agi_environment(
            "inbound",
            network=network,
            agi_callerid=f"+336{number:08d}",
            agi_uniqueid=f"1763890000.{number}",
        )
    )


async def converse(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    environment: bytes,
    pacing: Pacing | None,
    stats: RunStats,
    record: list[str] | None = None,
) -> int:
    sent_at = time.perf_counter()
    writer.write(environment)
    commands = 0
    while line := await reader.readline():
        now = time.perf_counter()
        stats.count(now - sent_at, now)
        commands += 1
        command = line.decode("utf-8", errors="replace").rstrip("\n")
        if record is not None:
            record.append(command)
        reply, delay = reply_for(command, pacing)
        if delay:
            await asyncio.sleep(delay)  # the prompt playing: simulated call time, not a wait for an event
        writer.write(reply)
        sent_at = time.perf_counter()
    return commands


async def tcp_call(port: int, pacing: Pacing | None, stats: RunStats, record: list[str] | None = None) -> None:
    stats.active += 1
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            stats.commands_per_call.add(await converse(reader, writer, call_environment(True), pacing, stats, record))
            stats.calls += 1
        finally:
            writer.close()
    except (ConnectionError, OSError):
        stats.failures += 1
    finally:
        stats.active -= 1


async def process_call(spool_dir: Path, pacing: Pacing | None, stats: RunStats) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "IVR_SPOOL_DIR": str(spool_dir),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        # What agi_scripts/inbound runs, with the clock pinned (`--at`: the script itself passes no options).
        "-m",
        "ivr.adapters.agi_stdio",
        "--at",
        flows_pinned.IN_HOURS.isoformat(),
        "inbound",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        commands = await converse(process.stdout, process.stdin, call_environment(False), pacing, stats)
        process.stdin.close()
        if await process.wait() == 0:
            stats.calls += 1
            stats.commands_per_call.add(commands)
        else:
            stats.failures += 1
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@dataclass
class Server:
    kind: str
    process: asyncio.subprocess.Process
    port: int

    def cpu_s(self) -> float:
        return process_cpu_s(self.process.pid)

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def start_server(kind: str, log_path: Path, *extra: str) -> Server:
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.agi_servers",
            kind,
            *extra,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=REPO,
            env={**os.environ, "IVR_SPOOL_DIR": str(log_path.parent / "outbox")},
        )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if not line.startswith(b"port "):
        process.kill()
        await process.wait()
        raise RuntimeError(f"{kind} AGI server did not start; see {log_path}")
    return Server(kind, process, int(line.split()[1]))


async def run_level(
    place_call: Any,
    concurrency: int,
    *,
    duration_s: float | None,
    pacing: Pacing | None,
    ramp_s: float,
    window_after_s: float = 0.0,
    hard_stop: bool = False,
) -> tuple[RunStats, float]:
    """N workers, started `ramp_s` apart in all, each placing calls one after another until duration_s (one
    call if None); turnarounds count from `window_after_s` on. With hard_stop the calls still in progress at
    duration_s are hung up then (so the measured window always has about N calls in progress)."""
    stats = RunStats()
    started = time.perf_counter()
    stats.window_start = started + window_after_s
    deadline = started + (duration_s or 0.0)

    async def worker(index: int) -> None:
        await asyncio.sleep(ramp_s * index / concurrency)  # spread the arrivals (and the connects: backlog 100)
        while True:
            await place_call(pacing, stats)
            if duration_s is None or time.perf_counter() >= deadline:
                return

    workers = [asyncio.create_task(worker(index)) for index in range(concurrency)]
    if hard_stop and duration_s is not None:
        _, unfinished = await asyncio.wait(workers, timeout=duration_s)
        for task in unfinished:
            task.cancel()  # the caller hangs up: the server sees the connection close
    await asyncio.gather(*workers, return_exceptions=hard_stop)
    return stats, time.perf_counter() - started


def summarize(stats: RunStats, elapsed_s: float, cpu_s: float) -> dict[str, Any]:
    return {
        "calls": stats.calls,
        "failures": stats.failures,
        "commands_per_call": sorted(stats.commands_per_call),
        "elapsed_s": round(elapsed_s, 3),
        "calls_per_s": round(stats.calls / elapsed_s, 1) if elapsed_s else 0.0,
        "cpu_s": round(cpu_s, 3),
        "cpu_ms_per_call": round(cpu_s * 1000 / stats.calls, 3) if stats.calls else None,
        "turnaround": latency_summary_ms(stats.turnarounds_s),
    }


async def measure_server(
    server: Server,
    concurrency: int,
    *,
    duration_s: float | None,
    pacing: Pacing | None,
    ramp_s: float,
    window_after_s: float = 0.0,
    hard_stop: bool = False,
) -> dict[str, Any]:
    async def place(pacing: Pacing | None, stats: RunStats) -> None:
        await tcp_call(server.port, pacing, stats)

    cpu_before = server.cpu_s()
    async with RssPeak([server.process.pid]) as peak:
        stats, elapsed = await run_level(
            place, concurrency, duration_s=duration_s, pacing=pacing, ramp_s=ramp_s, window_after_s=window_after_s,
            hard_stop=hard_stop,
        )
    figure = summarize(stats, elapsed, server.cpu_s() - cpu_before)
    figure["rss_peak_mib"] = round(peak.kib[server.process.pid] / 1024, 1)
    figure["concurrent_calls_mean"] = round(statistics.fmean(stats.active_seen), 1) if stats.active_seen else 0
    return figure


async def run(options: Options) -> dict[str, Any]:
    raise_fd_limit()
    options.results_dir.mkdir(parents=True, exist_ok=True)
    work = options.results_dir / "fastagi-work"
    work.mkdir(exist_ok=True)
    log = work / "servers.log"
    levels = [1, 10] if options.quick else [1, 100, 1000]
    back_to_back_s = 0.3 if options.quick else 4.0
    pacing = Pacing(prompt_seconds(REPO / "var" / "sounds"), scale=0.04 if options.quick else 1.0)
    process_calls = 2 if options.quick else 12

    figures: dict[str, Any] = {"levels": levels, "back_to_back_s": back_to_back_s, "prompt_s": pacing.prompt_s}
    ours = await start_server("ours", log)
    try:
        sequence: list[str] = []
        calibration = RunStats()
        await tcp_call(ours.port, None, calibration, sequence)
        if calibration.calls != 1 or not sequence:
            raise RuntimeError(f"calibration call against our server failed; see {log}")
        (work / "sequence.json").write_text(json.dumps(sequence, indent=1))
        figures["sequence"] = sequence
        print(f"fastagi: {len(sequence)} commands per call: " + ", ".join(c.split(' "')[0] for c in sequence))
        floor = await start_server("floor", log, str(work / "sequence.json"))
        try:
            results: dict[str, dict[str, Any]] = {"ours": {}, "floor": {}}
            # Paced: arrivals spread over one call's length, then one more call length of steady state (about
            # `level` calls in progress, arriving at level / call length per second), the one measured.
            call_s = sum(reply_for(command, pacing)[1] for command in sequence)
            figures["paced_call_s"] = round(call_s, 2)
            for mode in ("back_to_back", "paced"):
                for level in levels:
                    for server in (ours, floor):
                        if mode == "back_to_back":
                            settings: dict[str, Any] = {"duration_s": back_to_back_s, "pacing": None,
                                                        "ramp_s": min(2.0, level / 500)}
                        else:
                            settings = {"duration_s": 2 * call_s, "pacing": pacing, "ramp_s": call_s,
                                        "window_after_s": call_s, "hard_stop": True}
                        figure = await measure_server(server, level, **settings)
                        results[server.kind][f"{mode}@{level}"] = figure
                        print_figure(server.kind, mode, level, figure)
        finally:
            await floor.stop()
    finally:
        await ours.stop()

    place_process_call = functools.partial(process_call, work / "outbox")
    before = children_cpu_s()
    stats, elapsed = await run_level(place_process_call, 1, duration_s=None, pacing=None, ramp_s=0.0)
    for _ in range(process_calls - 1):
        more, more_elapsed = await run_level(place_process_call, 1, duration_s=None, pacing=None, ramp_s=0.0)
        stats.turnarounds_s += more.turnarounds_s
        stats.calls += more.calls
        stats.failures += more.failures
        stats.commands_per_call |= more.commands_per_call
        elapsed += more_elapsed
    results["process_agi"] = {"sequential": summarize(stats, elapsed, children_cpu_s() - before)}
    print_figure("process_agi", "sequential", 1, results["process_agi"]["sequential"])
    figures["results"] = results
    figures["ratios"] = ratios(results, levels)
    for line in describe_ratios(figures["ratios"]):
        print(line)
    path = write_results(options, "fastagi", figures)
    print(f"fastagi: wrote {path}")
    return figures


def print_figure(kind: str, mode: str, level: int, figure: dict[str, Any]) -> None:
    turnaround = figure["turnaround"]
    print(
        f"fastagi {kind:11s} {mode:12s} x{level:<5d} calls={figure['calls']:<6d} fail={figure['failures']:<3d}"
        f" {figure['calls_per_s']:>8.1f} calls/s  cpu/call={figure['cpu_ms_per_call']} ms"
        f"  turnaround p50={turnaround['p50_ms']} ms p99={turnaround['p99_ms']} ms"
        f"  (~{figure.get('concurrent_calls_mean', 0):.0f} in progress, RSS {figure.get('rss_peak_mib', 0)} MiB)",
        flush=True,
    )


def ratios(results: dict[str, dict[str, Any]], levels: list[int]) -> dict[str, Any]:
    def cpu(kind: str, key: str) -> float | None:
        value = results[kind].get(key, {}).get("cpu_ms_per_call")
        return float(value) if value else None

    middle = levels[min(1, len(levels) - 1)]
    ours_cpu, floor_cpu = cpu("ours", f"back_to_back@{middle}"), cpu("floor", f"back_to_back@{middle}")
    process_cpu = cpu("process_agi", "sequential")
    top = levels[-1]
    paced_top = results["ours"].get(f"paced@{top}", {})
    ours_top, floor_top = cpu("ours", f"back_to_back@{top}"), cpu("floor", f"back_to_back@{top}")
    figures: dict[str, Any] = {
        "at_concurrency": middle,
        "ours_cpu_vs_floor": round(ours_cpu / floor_cpu, 2) if ours_cpu and floor_cpu else None,
        "top_concurrency": top,
        "ours_cpu_vs_floor_at_top": round(ours_top / floor_top, 2) if ours_top and floor_top else None,
        "ours_rss_mib_at_top": paced_top.get("rss_peak_mib"),
        "floor_rss_mib_at_top": results["floor"].get(f"paced@{top}", {}).get("rss_peak_mib"),
        "process_agi_cpu_vs_ours": round(process_cpu / ours_cpu, 1) if process_cpu and ours_cpu else None,
        "paced_concurrency": top,
        "paced_p99_ms": paced_top.get("turnaround", {}).get("p99_ms"),
        "paced_failures": paced_top.get("failures"),
    }
    figures["goal_cpu_at_most_2x_floor"] = bool(figures["ours_cpu_vs_floor"] and figures["ours_cpu_vs_floor"] <= 2)
    figures["goal_cpu_at_most_2x_floor_at_top"] = bool(
        figures["ours_cpu_vs_floor_at_top"] and figures["ours_cpu_vs_floor_at_top"] <= 2
    )
    figures["goal_50x_cheaper_than_process_agi"] = bool(
        figures["process_agi_cpu_vs_ours"] and figures["process_agi_cpu_vs_ours"] >= 50
    )
    figures["goal_paced_p99_below_5ms"] = figures["paced_p99_ms"] is not None and figures["paced_p99_ms"] < 5
    return figures


def describe_ratios(r: dict[str, Any]) -> list[str]:
    return [
        f"fastagi: CPU per call, ours / floor at {r['at_concurrency']} concurrent: {r['ours_cpu_vs_floor']}x"
        f" (goal <= 2x: {verdict(r['goal_cpu_at_most_2x_floor'])});"
        f" at {r['top_concurrency']} concurrent: {r['ours_cpu_vs_floor_at_top']}x"
        f" (goal <= 2x: {verdict(r['goal_cpu_at_most_2x_floor_at_top'])})",
        f"fastagi: CPU per call, process AGI / ours: {r['process_agi_cpu_vs_ours']}x"
        f" (goal >= 50x: {verdict(r['goal_50x_cheaper_than_process_agi'])})",
        f"fastagi: paced, {r['paced_concurrency']} concurrent: p99 turnaround {r['paced_p99_ms']} ms"
        f" (goal < 5 ms: {verdict(r['goal_paced_p99_below_5ms'])})",
        f"fastagi: memory at {r['paced_concurrency']} calls in progress: our agi process {r['ours_rss_mib_at_top']} MiB"
        f" RSS (floor server {r['floor_rss_mib_at_top']} MiB)",
    ]


def main(options: Options) -> dict[str, Any]:
    return asyncio.run(run(options))

"""Shared helpers for the benchmark parts: CPU of a process, percentiles, machine description, JSON results.

CPU is read from /proc/<pid>/stat (utime + stime) of the process being measured, never of the driver, so the
load generator's own work does not count against the system under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by process `pid` (its own threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (proc(5)), i.e. indexes 11 and 12 here.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_kib(pid: int) -> int:
    """Resident memory of process `pid` now (VmRSS), in KiB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class RssPeak:
    """The highest resident memory of some processes while a block runs, sampled every `interval_s` (an async
    context manager: `async with RssPeak([pid]) as peak: ...; peak.kib[pid]`)."""

    def __init__(self, pids: Sequence[int], interval_s: float = 0.25) -> None:
        self.pids = list(pids)
        self.interval_s = interval_s
        self.before = {pid: rss_kib(pid) for pid in self.pids}
        self.kib = dict(self.before)
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        for pid in self.pids:
            self.kib[pid] = max(self.kib[pid], rss_kib(pid))

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval_s)  # a sampling period, not a wait for an event

    async def __aenter__(self) -> RssPeak:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.sample()


def children_cpu_s() -> float:
    """CPU of this process's terminated and reaped children (the spawned process-AGI scripts)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raise_fd_limit() -> None:
    """1,000 concurrent calls need more than the usual 1,024 descriptors on each side."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values (a run that produced nothing shows as zeros, not a crash)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def latency_summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    return {
        "count": len(values_s),
        "p50_ms": round(percentile(values_s, 0.50) * 1000, 3),
        "p99_ms": round(percentile(values_s, 0.99) * 1000, 3),
        "max_ms": round(max(values_s, default=0.0) * 1000, 3),
        "mean_ms": round(statistics.fmean(values_s) * 1000, 3) if values_s else 0.0,
    }


def machine() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory_kb = int(meminfo.read_text().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


@dataclass(frozen=True)
class Options:
    quick: bool = False
    results_dir: Path = RESULTS_DIR


def write_results(options: Options, part: str, figures: dict[str, Any]) -> Path:
    options.results_dir.mkdir(parents=True, exist_ok=True)
    name = f"{part}-quick.json" if options.quick else f"{part}.json"
    path = options.results_dir / name
    document = {
        "part": part,
        "quick": options.quick,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **figures,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"

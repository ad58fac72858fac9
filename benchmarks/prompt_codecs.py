"""Benchmark: Asterisk's CPU per IVR call with WAV-only prompts and with codec-native prompts (issue 18), in the
same run, on the same Asterisk, alternating, so both modes see the same machine.

Rules:
- The prompts are the real offline build (promptgen, espeak-ng; incremental cache var/prompts-cache): every key in
  every language as .wav, .alaw, .ulaw and .sln16. "wav" installs only the .wav files (Asterisk transcodes every
  frame from slin to the caller's A-law); "codec" installs them all (Asterisk opens the .alaw file: no transcoding).
- The calls are benchmarks/asterisk_load.py's full IVR (French preselected, 3 then 1, the French queue with one busy
  agent, hang up 14 s after the answer), at one rate; the modes alternate (wav, codec, wav, codec) and each mode's
  figure is the mean of its steps. A step counts only when clean (every call routed), as in asterisk_load.
- The queue's music on hold is the same in both modes: the difference is the prompts' share of the call.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from benchmarks import asterisk_load as load
from benchmarks.common import REPO, Options, raise_fd_limit, write_results
from callcenter.loading import load_callcenter
from ivr.adapters.outbox import Outbox
from promptgen import build as prompt_build
from promptgen.audio import FORMATS, siblings
from sandbox.paths import SandboxPaths
from tests.support.asterisk import AsteriskUnavailable, own_asterisk
from tests.support.ports import free_port
from tests.support.processes import stop_process

PROMPTS_CACHE = REPO / "var" / "prompts-cache"


def install_built(paths: SandboxPaths, languages: list[str], cache: Path, *, codecs: bool) -> int:
    """Copy the built prompts into the sandbox: every format, or the .wav alone (the others removed)."""
    installed = 0
    for language in languages:
        for wav in sorted((cache / language / "ivr").glob("*.wav")):
            target = paths.sounds_dir(language) / wav.name
            target.parent.mkdir(parents=True, exist_ok=True)
            for source, dest in zip(siblings(wav), siblings(target), strict=True):
                dest.unlink(missing_ok=True)
                if codecs or dest.suffix == ".wav":
                    shutil.copyfile(source, dest)
                    installed += 1
    return installed


def compare(steps: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Mean Asterisk CPU ms per call of each mode's clean steps, and how much codec-native files save."""
    means: dict[str, float | None] = {}
    for mode, figures in steps.items():
        clean = [f["asterisk_cpu_ms_per_call"] for f in figures if f["clean"]]
        means[mode] = round(sum(clean) / len(clean), 2) if clean else None
    wav, codec = means.get("wav"), means.get("codec")
    saved = round(100 * (wav - codec) / wav, 1) if wav and codec is not None else None
    return {"asterisk_cpu_ms_per_call": means, "codec_native_saves_percent": saved}


async def run(options: Options) -> dict[str, Any]:
    raise_fd_limit()
    work = options.results_dir / "prompt-codecs-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    callcenter = load_callcenter(None)
    report = prompt_build.install(PROMPTS_CACHE, callcenter, offline=True)
    if report.failed or report.missing:
        raise RuntimeError(f"prompts did not build: {report.summary()}")
    languages = [language.code for language in callcenter.languages]
    rate, step_s = (1.0, 2.0) if options.quick else (5.0, load.IVR_HANGUP_S + 2)
    modes = ("wav", "codec") if options.quick else ("wav", "codec", "wav", "codec")
    steps: dict[str, list[dict[str, Any]]] = {"wav": [], "codec": []}
    floor_port = free_port(socket.SOCK_STREAM)
    processes: list[asyncio.subprocess.Process] = []
    try:
        source = load.bench_configuration(work, floor_port)
        with own_asterisk(load.BENCH_ROOT, source=source, lock_timeout_s=60) as asterisk:
            paths = asterisk.paths
            try:
                env = {**os.environ, "IVR_SPOOL_DIR": str(work / "outbox"),
                       "IVR_VOICEMAIL_DIR": str(paths.recordings_dir)}  # fmt: skip
                env.pop("IVR_API_TOKEN", None)
                agi = await load.start_process(
                    [sys.executable, "-m", "ivr", "agi", "--port", str(asterisk.options.agi_port), "--at",
                     load.OPEN_AT], work / "ivr-agi.log", env, "FastAGI listening")  # fmt: skip
                processes.append(agi)
                asterisk_pid = int((paths.run_dir / "asterisk.pid").read_text().strip())
                load.hold_callers_in_queue(paths, "q-fr")
                scenario = load.ivr_scenario(work)
                for mode in modes:
                    install_built(paths, languages, PROMPTS_CACHE, codecs=mode == "codec")
                    step = await load.run_step("ivr", rate, step_s, scenario, work, asterisk.sip_target,
                                               asterisk_pid, agi.pid, Outbox(work / "outbox"))  # fmt: skip
                    figures = step.figures()
                    steps[mode].append(figures)
                    print(f"prompt-codecs {mode:5s} {rate:g} calls/s: ok={step.successful}/{step.offered}"
                          f" routed={step.routed_ok} Asterisk {figures['asterisk_cpu_ms_per_call']} ms/call"
                          f" {'clean' if step.clean else 'NOT CLEAN'}", flush=True)
            finally:
                for process in processes:
                    await stop_process(process)
    except AsteriskUnavailable as error:
        print(f"prompt-codecs: skipped: {error}")
        write_results(options, "prompt-codecs", {"skipped": str(error)})
        return {"skipped": str(error)}
    summary = compare(steps)
    print(f"prompt-codecs: Asterisk CPU per IVR call {summary['asterisk_cpu_ms_per_call']} ms;"
          f" codec-native prompts save {summary['codec_native_saves_percent']} %", flush=True)
    figures_out = {"rate_cps": rate, "step_s": step_s, "formats": list(FORMATS), "steps": steps, "summary": summary}
    path = write_results(options, "prompt-codecs", figures_out)
    print(f"prompt-codecs: wrote {path}")
    return figures_out


def main(options: Options) -> dict[str, Any]:
    return asyncio.run(run(options))

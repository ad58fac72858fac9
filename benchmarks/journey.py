"""Benchmark 6: the caller's journey (issue 11), seconds from the answer to where the caller is going, per language.

Three journeys, each in every language:
- (a) a silent caller in hours reaches the queue: `a_known` when the number (or memory) gives the language,
  `a_unknown` when it does not (every option once, then the default language);
- (b) a silent caller after hours starts hearing the after-hours message;
- (c) a caller who presses the right keys as early as possible (the language key 0.3 s into the greeting, the
  request type 0.3 s into its menu) reaches the queue.

Two measurements of the same journeys, the first being the baseline of the second:
- model: the real inbound flow on the clocked FakeChannel, every prompt lasting what the built prompt lasts (the
  offline espeak-ng build in var/sounds, built first if needed): what the design promises;
- asterisk: the same callers as SIPp calls through a sandbox Asterisk 22 playing those prompts, timed from
  Asterisk's own log (messages.log, verbose 3, millisecond stamps: Answer, Playing '<lang>/ivr/after_hours',
  Queue). The ratio asterisk / model shows what the real media path adds.
Targets: (a) <= 25 s known / 45 s unknown, (b) <= 10 s, (c) <= 8 s.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.asterisk_load import BENCH_ROOT, start_process
from benchmarks.common import REPO, Options, verdict, write_results
from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter, Language
from callcenter.loading import load_callcenter
from ivr import background
from ivr.adapters.outbox import Outbox
from ivr.channel import CallInfo
from ivr.fake_channel import FakeChannel
from ivr.flows import inbound
from ivr.flows.context import FlowContext
from ivr.language_memory import InMemoryLanguageMemory
from ivr.prompts import Prompt
from sandbox import process as sandbox_process
from sandbox.journey import journeys_from_log, log_size, read_log_from
from sandbox.paths import SandboxError, SandboxPaths
from sandbox.sipp import CallerScript, run_sipp, write_caller_scenario
from tests.support.asterisk import OwnAsterisk, own_asterisk
from tests.support.ports import free_media_port, free_port
from tests.support.processes import stop_process

OPEN_AT = "2026-11-23T10:00:00+01:00"  # a Monday morning in Casablanca
CLOSED_AT = "2026-11-23T21:30:00+01:00"
TARGETS_S = {"a_known": 25.0, "a_unknown": 45.0, "b": 10.0, "c": 8.0}
EARLY_S = 0.3  # "as early as possible": a key 0.3 s into the menu it belongs to
COMMAND_S = 0.001  # one AGI round trip on loopback
UNKNOWN_NUMBER = "+99912345678"  # no country prefix: the number says nothing about the language
SOUNDS = REPO / "var" / "sounds"


def build_prompts(out: Path) -> None:
    """The offline (espeak-ng) build, incremental: only changed texts are rebuilt."""
    subprocess.run(
        [sys.executable, "-m", "ivr", "prompts", "build", "--out", str(out), "--offline"],
        check=True, cwd=REPO, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def duration_reader(sounds: Path) -> Callable[[str], float]:
    """Seconds of a built prompt by its Asterisk name (`fr/ivr/greeting`); 0 for a missing file."""

    @cache
    def seconds(name: str) -> float:
        try:
            with wave.open(str(sounds / f"{name}.wav")) as audio:
                frames: int = audio.getnframes()
                rate: int = audio.getframerate()
                return frames / rate
        except (OSError, wave.Error, EOFError):
            return 0.0

    return seconds


BENCH_PREFIX = "9990"  # + the language's digit: a made-up prefix for languages no country gives (Amazigh)


def bench_callcenter(directory: Path) -> Path:
    """The packaged call center, plus a made-up country prefix for every language that has none, so that every
    language has a caller whose number gives it, in the model and through Asterisk alike (no API memory)."""
    packaged = load_callcenter(None)
    given = set(packaged.country_prefixes.values())
    extra = "".join(
        f'{BENCH_PREFIX}{language.digit} = "{language.code}"\n'
        for language in packaged.languages
        if language.code not in given
    )
    text = Path(packaged_path()).read_text()
    text, count = re.subn(r"(?m)^\[country_prefixes\]\n", lambda m: m[0] + extra, text)
    if count != 1:
        raise RuntimeError("callcenter.toml has no [country_prefixes] table")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "callcenter.toml"
    path.write_text(text)
    return path


def packaged_path() -> Path:
    return REPO / "callcenter" / "callcenter.toml"


def number_for(language: Language, callcenter: CallCenter, serial: int) -> str:
    """A caller number whose country prefix gives `language` (the shortest such prefix)."""
    prefix = min((p for p, code in callcenter.country_prefixes.items() if code == language.code), key=len)
    return f"+{prefix}{serial:0{11 - len(prefix)}d}"


@dataclass(frozen=True)
class Caller:
    journey: str
    language: str
    number: str
    presses: tuple[tuple[float, str], ...]
    at: str


def callers(callcenter: CallCenter) -> list[Caller]:
    """Every journey in every language; each caller has a number of their own (SIPp calls run side by side)."""
    request_key = callcenter.request_types[0].digit
    result = []
    for index, language in enumerate(callcenter.languages):
        # (c): the language key EARLY_S into the greeting; the request-type menu starts as that key ends the
        # greeting menu, and its key comes EARLY_S later.
        early = ((EARLY_S, language.digit), (2 * EARLY_S + 0.01, request_key))
        result += [
            Caller("a_known", language.code, number_for(language, callcenter, 100 + index), (), OPEN_AT),
            Caller("b", language.code, number_for(language, callcenter, 200 + index), (), CLOSED_AT),
            Caller("c", language.code, f"{UNKNOWN_NUMBER[:-2]}{index:02d}", early, OPEN_AT),
        ]
    result.append(Caller("a_unknown", callcenter.default_language, UNKNOWN_NUMBER, (), OPEN_AT))
    return result


# --- model: the real flow on a clocked FakeChannel --------------------------------------------------------------


async def model_seconds(
    caller: Caller, callcenter: CallCenter, seconds: Callable[[str], float], spool: Path
) -> float:
    at = datetime.fromisoformat(caller.at)
    ctx = FlowContext(
        callcenter=callcenter, calendar=BusinessCalendar(callcenter), clock=lambda: at,
        language_memory=InMemoryLanguageMemory(),
        outbox=Outbox(spool), voicemail_dir="/tmp",
    )  # fmt: skip
    channel = FakeChannel(
        info=CallInfo(script="inbound", caller_number=caller.number, unique_id="1.1"),
        presses=caller.presses, duration_of=seconds, command_s=COMMAND_S,
    )  # fmt: skip
    await inbound.run(channel, ctx)
    await background.settle()
    if caller.journey == "b":
        return next(start for start, name in channel.timeline if name.endswith(f"/{Prompt.AFTER_HOURS.value}"))
    return channel.now


# --- asterisk: SIPp callers through a sandbox, timed from Asterisk's log -----------------------------------------

async def asterisk_seconds(
    callers_: list[Caller], callcenter_path: Path, work: Path
) -> dict[tuple[str, str], float | None]:
    """Place every caller through a sandbox Asterisk (in-hours and after-hours batches, calls of a batch at once)."""
    found: dict[tuple[str, str], float | None] = {}
    with own_asterisk(BENCH_ROOT, lock_timeout_s=60) as asterisk:
        install_built_prompts(asterisk.paths)
        sandbox_process.cli(asterisk.paths, "core set verbose 3")
        for at in (OPEN_AT, CLOSED_AT):
            batch = [caller for caller in callers_ if caller.at == at]
            found |= await run_batch(batch, at, asterisk, callcenter_path, work / at[11:13])
    return found


async def run_batch(
    batch: list[Caller],
    at: str,
    asterisk: OwnAsterisk,
    callcenter_path: Path,
    work: Path,
) -> dict[tuple[str, str], float | None]:
    paths = asterisk.paths
    work.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once per batch, before any call)
    env = {**os.environ, "IVR_SPOOL_DIR": str(work / "outbox"), "IVR_VOICEMAIL_DIR": str(paths.recordings_dir),
           "IVR_CALLCENTER": str(callcenter_path)}  # fmt: skip
    env.pop("IVR_API_TOKEN", None)  # no API, no language memory: every caller's number gives the language
    argv = [sys.executable, "-m", "ivr", "agi", "--port", str(asterisk.options.agi_port), "--at", at]
    agi = await start_process(argv, work / "agi.log", env, "FastAGI listening")
    offset = log_size(paths)
    try:
        calls = []
        for caller in batch:
            directory = work / f"{caller.journey}-{caller.language}"
            directory.mkdir(exist_ok=True)
            hangup_at = TARGETS_S["a_unknown"] + 5 if at == OPEN_AT else TARGETS_S["b"] + 2
            script = CallerScript(caller=caller.number, keys=caller.presses, hangup_at=hangup_at)
            scenario = write_caller_scenario(script, directory)
            calls.append(run_sipp(scenario, target=asterisk.sip_target, local_port=free_port(socket.SOCK_DGRAM),
                                  media_port=free_media_port(), timeout_s=script.hangup_at + 20))  # fmt: skip
        await asyncio.gather(*calls)
    finally:
        await stop_process(agi)
    journeys = journeys_from_log(read_log_from(paths, offset))
    found: dict[tuple[str, str], float | None] = {}
    for caller in batch:
        journey = journeys.get(caller.number)
        reached = None
        if journey is not None:
            reached = journey.first(f"ivr/{Prompt.AFTER_HOURS.value}") if caller.journey == "b" else journey.queue_at
        found[(caller.journey, caller.language)] = reached
    return found


def install_built_prompts(paths: SandboxPaths) -> None:
    for language_dir in SOUNDS.iterdir():
        source = language_dir / "ivr"
        if source.is_dir():
            target = paths.sounds_dir(language_dir.name)
            target.mkdir(parents=True, exist_ok=True)
            for wav in source.glob("*.wav"):
                shutil.copyfile(wav, target / wav.name)



# --- the run -------------------------------------------------------------------------------------------------------


async def run(options: Options) -> dict[str, Any]:
    work = options.results_dir / "journey-work"
    shutil.rmtree(work, ignore_errors=True)  # logs are appended to, and a stale "listening" line misleads
    callcenter_path = bench_callcenter(work)
    callcenter = load_callcenter(callcenter_path)
    await asyncio.to_thread(build_prompts, SOUNDS)
    seconds = duration_reader(SOUNDS)
    everyone = callers(callcenter)
    spool = work / "model-outbox"
    model = {(c.journey, c.language): round(await model_seconds(c, callcenter, seconds, spool), 2) for c in everyone}
    figures: dict[str, Any] = {"targets_s": TARGETS_S, "model": _table(model)}
    measured: dict[tuple[str, str], float | None] = {}
    if options.quick:
        figures["asterisk"] = {"skipped": "--quick"}
    else:
        try:
            measured = await asterisk_seconds(everyone, callcenter_path, work)
            figures["asterisk"] = _table(measured)
        except (RuntimeError, SandboxError) as error:  # AsteriskUnavailable is a SandboxError
            figures["asterisk"] = {"skipped": str(error)}
    print("journey: seconds from answer (model: the flow with the built prompts | asterisk: SIPp through Asterisk)")
    print(f"  {'lang':5} " + " ".join(f"{name + ' <=' + format(goal, 'g'):>22}" for name, goal in TARGETS_S.items()))
    met = True
    for language in [language.code for language in callcenter.languages]:
        cells = []
        for journey, goal in TARGETS_S.items():
            key = (journey, language if journey != "a_unknown" else callcenter.default_language)
            if journey == "a_unknown" and language != callcenter.default_language:
                cells.append(f"{'':>22}")
                continue
            modelled, real = model.get(key), measured.get(key)
            worst = max(v for v in (modelled, real) if v is not None) if modelled is not None else None
            met = met and worst is not None and worst <= goal
            ratio = f" x{real / modelled:.2f}" if real is not None and modelled else ""
            cells.append(f"{modelled!s:>6} | {real!s:>6}{ratio:>7}")
        print(f"  {language:5} " + " ".join(f"{cell:>22}" for cell in cells))
    figures["all_targets_met"] = met
    print(f"journey: every journey within its target: {verdict(met)}")
    path = write_results(options, "journey", figures)
    print(f"journey: wrote {path}")
    return figures


def _table(values: Mapping[tuple[str, str], float | None]) -> dict[str, dict[str, float | None]]:
    table: dict[str, dict[str, float | None]] = {}
    for (journey, language), value in values.items():
        table.setdefault(journey, {})[language] = value
    return table


def main(options: Options) -> dict[str, Any]:
    return asyncio.run(run(options))

"""The incremental build: plan -> recorded and synthesised files (in parallel) -> fallback copies -> manifest.

A manifest (<out>/.prompts-manifest.json) keeps, per file, a hash of what made it and the engine: unchanged
files are reused, and a file synthesised offline is rebuilt once a better engine is reachable.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from callcenter.config import CallCenter
from ivr.prompts import NUMBER_PREFIX
from promptgen import levels
from promptgen.audio import SynthesisError, copy_prompt, render, siblings
from promptgen.catalog import CATALOG_DIR, RECORDED_DIR, Deployment, load_catalog
from promptgen.engines import Engine, default_engines
from promptgen.plan import Item, plan

SOUND_FOLDER = "ivr"
MANIFEST_NAME = ".prompts-manifest.json"
MANIFEST_VERSION = 3  # bumped whenever the same inputs would now make different audio


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    fallback: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # no text, no recording, no fallback
    engines: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        engines = ", ".join(f"{name} {count}" for name, count in sorted(self.engines.items()))
        return (
            f"prompts: {len(self.built)} built{f' ({engines})' if engines else ''}, {len(self.reused)} reused, "
            f"{len(self.recorded)} from recordings, {len(self.fallback)} from a fallback language, "
            f"{len(self.missing)} missing, {len(self.failed)} failed"
        )


class Progress:
    """A one-line bar on a terminal (stderr); silent when not a terminal, so logs hold only the summary."""

    def __init__(self, stream: TextIO, total: int, enabled: bool | None = None) -> None:
        self.stream, self.total, self.done = stream, max(total, 1), 0
        self.enabled = stream.isatty() if enabled is None else enabled

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            filled = 30 * self.done // self.total
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {label:<36.36}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def load_manifest(out: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION or not isinstance(data.get("files"), dict):
        return {}
    return {k: v for k, v in data["files"].items() if isinstance(v, dict)}


def save_manifest(out: Path, files: dict[str, dict[str, str]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".manifest.", dir=out)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump({"version": MANIFEST_VERSION, "files": dict(sorted(files.items()))}, stream, indent=1,
                  ensure_ascii=False)
    os.replace(name, out / MANIFEST_NAME)


class Builder:
    """One build: plan -> recorded and synthesised files (in parallel) -> fallback copies -> manifest."""

    def __init__(self, out: Path, engines: Sequence[Engine], *, jobs: int | None = None) -> None:
        self.out = out
        self.engines = [engine for engine in engines if engine.available()]
        self.rank = {engine.name: index for index, engine in enumerate(engines)}
        self.jobs = jobs or min(8, os.cpu_count() or 2)
        self.manifest = load_manifest(out)
        # An engine that fails this many prompts in a row is dropped for the rest of the build, so a service that
        # answers the probe but refuses requests costs a few timeouts, not one per prompt.
        self.max_strikes = 3
        self._strikes: Counter[str] = Counter()
        self._lock = threading.Lock()

    def path(self, item: Item) -> Path:
        return self.out / item.language / SOUND_FOLDER / f"{item.name}.wav"

    def _reusable(self, item: Item, digest: str) -> bool:
        entry = self.manifest.get(item.label)
        if entry is None or entry.get("hash") != digest or not all(p.is_file() for p in siblings(self.path(item))):
            return False
        if item.text is None or not self.engines:
            return True
        # Synthesised: keep it unless a better engine than the one that made it is reachable now.
        return self.rank.get(entry.get("source", ""), len(self.rank)) <= self.rank[self.engines[0].name]

    @staticmethod
    def _pad(item: Item) -> tuple[float, float]:
        return levels.NUMBER_PAD if item.name.startswith(NUMBER_PREFIX) else levels.PROMPT_PAD

    def _render_from(self, item: Item, make_source: Callable[[Path], None], suffix: str) -> dict[str, str]:
        folder = self.path(item).parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{item.name}.src.", suffix=suffix, dir=folder)
        os.close(fd)
        source = Path(name)
        try:
            make_source(source)
            if source.stat().st_size == 0:
                raise SynthesisError("the engine produced an empty file")
            return render(source, self.path(item), pad=self._pad(item))
        finally:
            source.unlink(missing_ok=True)

    def _synthesise(self, item: Item) -> tuple[str, dict[str, str]]:
        """Write the item with the best engine that works; return the engine's name and the levels."""
        assert item.text is not None and item.voice is not None
        text, voice = item.text, item.voice
        errors = []
        for engine in self.engines:
            with self._lock:
                if self._strikes[engine.name] >= self.max_strikes:
                    errors.append(f"{engine.name}: skipped after {self.max_strikes} failures in a row")
                    continue

            def make(source: Path, engine: Engine = engine) -> None:
                engine.synthesize(text, voice, source)

            try:
                measured = self._render_from(item, make, engine.suffix)
            except (SynthesisError, OSError, subprocess.SubprocessError) as exc:
                errors.append(f"{engine.name}: {exc}")
                with self._lock:
                    self._strikes[engine.name] += 1
                continue
            with self._lock:
                self._strikes[engine.name] = 0
            return engine.name, measured
        raise SynthesisError("; ".join(errors) or "no synthesis engine available (install espeak-ng)")

    def _convert_recorded(self, item: Item) -> tuple[str, dict[str, str]]:
        assert item.recorded is not None
        return "recorded", render(item.recorded, self.path(item), pad=self._pad(item))

    def run(self, items: Sequence[Item], progress: Progress) -> BuildReport:
        report = BuildReport()
        direct = [item for item in items if item.fallback is None]
        copies = [item for item in items if item.fallback is not None]
        work: dict[concurrent.futures.Future[tuple[str, dict[str, str]]], tuple[Item, str]] = {}
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs) as pool:
                for item in direct:
                    if item.recorded is not None:
                        digest = _digest("recorded", _file_digest(item.recorded))
                    elif item.text is not None and item.voice is not None:
                        digest = _digest("tts", item.voice, item.text)
                    else:
                        report.missing.append(item.label)
                        progress.step(item.label)
                        continue
                    if self._reusable(item, digest):
                        report.reused.append(item.label)
                        progress.step(item.label)
                        continue
                    task = self._convert_recorded if item.recorded is not None else self._synthesise
                    work[pool.submit(task, item)] = (item, digest)
                for future in concurrent.futures.as_completed(work):
                    item, digest = work[future]
                    progress.step(item.label)
                    try:
                        source, measured = future.result()
                    except (SynthesisError, OSError, subprocess.SubprocessError) as exc:
                        report.failed.append((item.label, str(exc)))
                        continue
                    self.manifest[item.label] = {"source": source, "hash": digest, **measured}
                    if source == "recorded":
                        report.recorded.append(item.label)
                    else:
                        report.built.append(item.label)
                        report.engines[source] += 1
            for item in copies:
                progress.step(item.label)
                self._copy_fallback(item, report)
        finally:
            save_manifest(self.out, self.manifest)
            progress.close()
        return report

    def _copy_fallback(self, item: Item, report: BuildReport) -> None:
        assert item.fallback is not None
        origin = Item(item.fallback, item.name)
        entry = self.manifest.get(origin.label)
        if entry is None or not self.path(origin).is_file():
            report.missing.append(item.label)
            return
        digest = _digest("fallback", item.fallback, entry["hash"])
        if self._reusable(item, digest):
            report.reused.append(item.label)
            return
        try:
            copy_prompt(self.path(origin), self.path(item))
        except (SynthesisError, OSError) as exc:
            report.failed.append((item.label, str(exc)))
            return
        measured = {k: v for k, v in entry.items() if k not in {"source", "hash"}}
        self.manifest[item.label] = {"source": f"fallback:{item.fallback}", "hash": digest, **measured}
        report.fallback.append(item.label)


def install(
    out: Path,
    callcenter: CallCenter,
    *,
    offline: bool = True,
    catalog_dir: Path = CATALOG_DIR,
    recorded_dir: Path = RECORDED_DIR,
    engines: Sequence[Engine] | None = None,
) -> BuildReport:
    """Build every prompt of `callcenter` into the sounds folder `out` (for test fixtures and the sandbox)."""
    items = plan(load_catalog(catalog_dir), Deployment.from_callcenter(callcenter), recorded_dir)
    builder = Builder(out, engines if engines is not None else default_engines(offline))
    return builder.run(items, Progress(sys.stderr, len(items), enabled=False))

"""`ivr prompts build | check`: turn the prompt catalog into Asterisk sound files, and check it is complete.

Rules:
- The catalog is prompts/texts/<lang>.toml: [prompts] (one text per `Prompt` key), [numbers] (the pieces
  `ivr.prompts` composes numbers from), [time] (how this language writes an opening hour) and, for languages
  written in two scripts, [latin] (Amazigh: [prompts] is Tifinagh, [latin] its transcription).
- Texts may name configuration values, filled at build time from the call center (callcenter.config): {digit} (this
  language's menu key), {portal}, {open_time}, {close_time}, {language_change_digit}. Another deployment's
  prompts so follow its own configuration. An unknown placeholder is an error, never spoken as is.
- Where a file comes from, best first: a human recording (prompts/recorded/<lang>/<name>.wav|mp3|ogg|flac),
  synthesis (gTTS when its service answers a quick probe, else espeak-ng offline), or a copy of another
  language's file: the language's `audio_fallback` (Amazigh: no engine speaks it) or, for number pieces, the
  language whose numbers it borrows (`ivr.prompts.NUMBER_RULES_OF`).
- Every file is written under a temporary name, converted to 8 kHz mono 16-bit WAV by sox, checked with the
  wave module and only then renamed into place: a failing engine never leaves an empty or partial prompt.
- A manifest (<out>/.prompts-manifest.json) keeps, per file, a hash of what made it (text and voice, recording
  bytes, or the fallback's hash) and the engine: unchanged files are reused, and a file synthesised offline is
  rebuilt once a better engine is reachable.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import tomllib
import wave
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from callcenter.config import CallCenter, ConfigError, load_callcenter
from ivr.prompts import NUMBER_PREFIX, Prompt, number_language, pieces_used

PROJECT_DIR = Path(__file__).resolve().parents[1]
CATALOG_DIR = PROJECT_DIR / "prompts" / "texts"
RECORDED_DIR = PROJECT_DIR / "prompts" / "recorded"
DEFAULT_OUT = Path("var/sounds")
SOUND_FOLDER = "ivr"
MANIFEST_NAME = ".prompts-manifest.json"
MANIFEST_VERSION = 2  # bumped whenever the same inputs would now make different audio
RECORDED_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac")
SAMPLE_RATE = 8000

# Latin (IRCAM) to Tifinagh, letter by letter; placeholders in {braces} and anything else are kept as they are.
TIFINAGH = {
    "a": "ⴰ", "b": "ⴱ", "c": "ⵛ", "d": "ⴷ", "ḍ": "ⴹ", "e": "ⴻ", "f": "ⴼ", "g": "ⴳ", "ɣ": "ⵖ", "h": "ⵀ",
    "ḥ": "ⵃ", "ɛ": "ⵄ", "i": "ⵉ", "j": "ⵊ", "k": "ⴽ", "l": "ⵍ", "m": "ⵎ", "n": "ⵏ", "q": "ⵇ", "r": "ⵔ",
    "ṛ": "ⵕ", "s": "ⵙ", "ṣ": "ⵚ", "t": "ⵜ", "ṭ": "ⵟ", "u": "ⵓ", "w": "ⵡ", "x": "ⵅ", "y": "ⵢ", "z": "ⵣ",
    "ẓ": "ⵥ", "ʷ": "ⵯ",
}


class CatalogError(Exception):
    """A catalog file cannot be read or a text cannot be filled; the message names the file and key."""


class SynthesisError(Exception):
    """An engine or sox failed for one prompt."""


def to_tifinagh(latin: str) -> str:
    out: list[str] = []
    depth = 0
    for char in latin:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        out.append(char if depth or char == "}" else TIFINAGH.get(char.lower(), char))
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Catalog and deployment
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LanguageTexts:
    code: str
    prompts: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    time: dict[str, str] = field(default_factory=dict)
    latin: dict[str, str] = field(default_factory=dict)


def _strings(table: object, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise CatalogError(f"{where}: expected a table of strings")
    return {str(k): v for k, v in table.items()}


def load_catalog(directory: Path = CATALOG_DIR) -> dict[str, LanguageTexts]:
    """Every <lang>.toml in `directory`, by language code."""
    catalog: dict[str, LanguageTexts] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CatalogError(f"{path}: {exc}") from exc
        unknown = set(data) - {"prompts", "numbers", "time", "latin"}
        if unknown:
            raise CatalogError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}")
        catalog[path.stem] = LanguageTexts(
            code=path.stem,
            **{name: _strings(data.get(name, {}), f"{path}: [{name}]")
               for name in ("prompts", "numbers", "time", "latin")},
        )
    return catalog


@dataclass(frozen=True)
class VoiceLanguage:
    code: str
    digit: str
    tts_voice: str | None = None
    audio_fallback: str | None = None


@dataclass(frozen=True)
class Deployment:
    """What the prompts need from the call center: languages and voices, and the values texts may name."""

    languages: tuple[VoiceLanguage, ...]
    portal: str
    open_s: int  # seconds after midnight, local time
    close_s: int
    language_change_digit: str = ""

    @classmethod
    def from_callcenter(cls, callcenter: CallCenter) -> Deployment:
        # Prompts say one opening range: the most common first-opening/last-closing pair of the open weekdays.
        days = [callcenter.hours.for_weekday(day) for day in range(7)]
        ranges = Counter((day[0].open_s, day[-1].close_s) for day in days if day)
        open_s, close_s = ranges.most_common(1)[0][0] if ranges else (0, 0)
        return cls(
            languages=tuple(
                VoiceLanguage(language.code, language.digit, language.tts_voice, language.audio_fallback)
                for language in callcenter.languages
            ),
            portal=callcenter.portal_url,
            open_s=open_s,
            close_s=close_s,
            language_change_digit=callcenter.menu.language_change_digit or "",
        )

    def language(self, code: str) -> VoiceLanguage:
        return next(language for language in self.languages if language.code == code)


def spoken_time(seconds: int, formats: dict[str, str]) -> str:
    """An opening hour as this language writes it for speech ([time] hour / hour_minute)."""
    hours, minutes = divmod(seconds // 60, 60)
    template = formats.get("hour_minute" if minutes else "hour", "{h}:{m:02d}" if minutes else "{h}")
    values = {"h": hours, "m": minutes, "h12": (hours - 1) % 12 + 1, "ampm": "p.m." if 12 <= hours < 24 else "a.m."}
    return template.format(**values)


def placeholder_values(deployment: Deployment, texts: LanguageTexts) -> dict[str, str]:
    digit = next((language.digit for language in deployment.languages if language.code == texts.code), "")
    return {
        "digit": digit,
        "portal": deployment.portal,
        "open_time": spoken_time(deployment.open_s, texts.time),
        "close_time": spoken_time(deployment.close_s, texts.time),
        "language_change_digit": deployment.language_change_digit,
    }


def fill(text: str, values: dict[str, str], where: str) -> str:
    try:
        return text.format_map(values)
    except KeyError as exc:
        raise CatalogError(f"{where}: unknown placeholder {{{exc.args[0]}}} (known: {', '.join(values)})") from exc
    except (ValueError, IndexError) as exc:
        raise CatalogError(f"{where}: malformed placeholder: {exc}") from exc


# ---------------------------------------------------------------------------------------------------------------
# Engines and conversion
# ---------------------------------------------------------------------------------------------------------------


class Engine(Protocol):
    name: str
    suffix: str  # what synthesize() writes (".wav", ".mp3"); sox reads it by suffix

    def available(self) -> bool: ...

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        """Write `text` spoken by `voice` to `dest`, or raise."""
        ...


class EspeakEngine:
    """espeak-ng (Debian package): offline, robotic but intelligible; ~25 ms a prompt."""

    name = "espeak-ng"
    suffix = ".wav"

    def __init__(self, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which("espeak-ng") is not None

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        # Text on stdin: never parsed as an option, whatever it starts with.
        result = subprocess.run(
            ["espeak-ng", "-v", voice, "-w", str(dest), "--stdin"],
            input=text.encode(), capture_output=True, timeout=self.timeout_s, check=False,
        )
        if result.returncode != 0:
            raise SynthesisError(f"espeak-ng -v {voice}: {result.stderr.decode(errors='replace').strip()}")


def tcp_reachable(host: str, port: int, timeout_s: float) -> bool:
    """True when a TCP connection opens within timeout_s, name resolution included (it ignores socket timeouts,
    so the attempt runs in a daemon thread and is abandoned at the deadline)."""
    outcome: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout_s)
    return bool(outcome and outcome[0])


class GttsEngine:
    """Google Translate's voices through gTTS: natural, online only, no Amazigh. Probed once per build."""

    name = "gtts"
    suffix = ".mp3"

    def __init__(self, host: str = "translate.google.com", port: int = 443, probe_timeout_s: float = 1.5,
                 request_timeout_s: float = 5.0) -> None:
        self.host, self.port = host, port
        self.probe_timeout_s, self.request_timeout_s = probe_timeout_s, request_timeout_s
        self._reachable: bool | None = None

    def available(self) -> bool:
        if self._reachable is None:
            self._reachable = tcp_reachable(self.host, self.port, self.probe_timeout_s)
        return self._reachable

    def synthesize(self, text: str, voice: str, dest: Path) -> None:  # pragma: no cover - needs Google's service
        from gtts import gTTS  # imported here: a build without network never pays for it

        try:
            gTTS(text, lang=voice, timeout=(self.probe_timeout_s, self.request_timeout_s)).save(str(dest))
        except Exception as exc:  # gTTS raises requests' and its own errors alike
            raise SynthesisError(f"gtts {voice}: {exc}") from exc


def validate_wav(path: Path) -> None:
    """Raise SynthesisError unless `path` is a non-empty 8 kHz mono 16-bit WAV."""
    try:
        with wave.open(str(path), "rb") as audio:
            shape = (audio.getframerate(), audio.getnchannels(), audio.getsampwidth())
            frames = audio.getnframes()
    except (OSError, EOFError, wave.Error) as exc:
        raise SynthesisError(f"{path.name}: not a WAV file: {exc}") from exc
    if shape != (SAMPLE_RATE, 1, 2) or frames == 0:
        raise SynthesisError(f"{path.name}: {shape} with {frames} frames, expected 8 kHz mono 16-bit audio")


# Number pieces are played back to back ("vingt" "et" "un"): the synthesisers' leading and trailing silence
# (a quarter of a second and more) would space them out word by word.
TRIM_EFFECTS = ("silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
                "pad", "0", "0.04")


def convert(source: Path, dest: Path, *, trim: bool = False) -> None:
    """Any audio sox reads -> 8 kHz mono 16-bit signed PCM WAV (what Asterisk plays without transcoding)."""
    result = subprocess.run(
        ["sox", "-G", str(source), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
         "-t", "wav", str(dest), *(TRIM_EFFECTS if trim else ())],
        capture_output=True, timeout=60, check=False,
    )
    if result.returncode != 0:
        raise SynthesisError(f"sox {source.name}: {result.stderr.decode(errors='replace').strip()}")


def write_atomically(final: Path, produce: Callable[[Path], None]) -> None:
    """Run produce(tmp) then validate and rename tmp to `final`; on any failure no file is left behind."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=".tmp.wav", dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        produce(tmp)
        validate_wav(tmp)
        tmp.chmod(0o644)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _converted_from(make_source: Callable[[Path], None], suffix: str, trim: bool) -> Callable[[Path], None]:
    def produce(tmp: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=f"{tmp.stem}.src.", suffix=suffix, dir=tmp.parent)
        os.close(fd)
        source = Path(name)
        try:
            make_source(source)
            if source.stat().st_size == 0:
                raise SynthesisError("the engine produced an empty file")
            convert(source, tmp, trim=trim)
        finally:
            source.unlink(missing_ok=True)

    return produce


# ---------------------------------------------------------------------------------------------------------------
# Planning: what every output file is made from
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    language: str
    name: str  # file stem: a Prompt value or num_<piece>
    text: str | None = None  # filled text to synthesise
    voice: str | None = None
    recorded: Path | None = None
    fallback: str | None = None  # copy this language's file of the same name

    @property
    def label(self) -> str:
        return f"{self.language}/{self.name}"


def find_recorded(recorded_dir: Path, language: str, name: str) -> Path | None:
    for suffix in RECORDED_SUFFIXES:
        candidate = recorded_dir / language / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def output_names(language: str) -> list[str]:
    """Every file a language needs: the prompt keys, then the number pieces its rules can ask for."""
    return [key.value for key in Prompt] + sorted(NUMBER_PREFIX + piece for piece in pieces_used(language))


def plan(catalog: dict[str, LanguageTexts], deployment: Deployment, recorded_dir: Path) -> list[Item]:
    items: list[Item] = []
    for language in deployment.languages:
        texts = catalog.get(language.code, LanguageTexts(language.code))
        values = placeholder_values(deployment, texts)
        borrowed_numbers = number_language(language.code) != language.code
        for name in output_names(language.code):
            recorded = find_recorded(recorded_dir, language.code, name)
            is_number = name.startswith(NUMBER_PREFIX)
            if recorded is not None:
                items.append(Item(language.code, name, recorded=recorded))
            elif is_number and borrowed_numbers:
                items.append(Item(language.code, name, fallback=number_language(language.code)))
            elif language.tts_voice is None:
                items.append(Item(language.code, name, fallback=language.audio_fallback))
            else:
                raw = texts.numbers.get(name.removeprefix(NUMBER_PREFIX)) if is_number else texts.prompts.get(name)
                text = None if raw is None else fill(raw, values, f"{language.code}.toml: {name}")
                items.append(Item(language.code, name, text=text, voice=language.tts_voice))
    return items


# ---------------------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------------------


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
        if entry is None or entry.get("hash") != digest or not self.path(item).is_file():
            return False
        if item.text is None or not self.engines:
            return True
        # Synthesised: keep it unless a better engine than the one that made it is reachable now.
        return self.rank.get(entry.get("source", ""), len(self.rank)) <= self.rank[self.engines[0].name]

    def _synthesise(self, item: Item) -> str:
        """Write the item with the best engine that works; return the engine's name."""
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
                trim = item.name.startswith(NUMBER_PREFIX)
                write_atomically(self.path(item), _converted_from(make, engine.suffix, trim))
            except (SynthesisError, OSError, subprocess.SubprocessError) as exc:
                errors.append(f"{engine.name}: {exc}")
                with self._lock:
                    self._strikes[engine.name] += 1
                continue
            with self._lock:
                self._strikes[engine.name] = 0
            return engine.name
        raise SynthesisError("; ".join(errors) or "no synthesis engine available (install espeak-ng)")

    def _convert_recorded(self, item: Item) -> str:
        assert item.recorded is not None
        recorded, trim = item.recorded, item.name.startswith(NUMBER_PREFIX)
        write_atomically(self.path(item), lambda tmp: convert(recorded, tmp, trim=trim))
        return "recorded"

    def run(self, items: Sequence[Item], progress: Progress) -> BuildReport:
        report = BuildReport()
        direct = [item for item in items if item.fallback is None]
        copies = [item for item in items if item.fallback is not None]
        work: dict[concurrent.futures.Future[str], tuple[Item, str]] = {}
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
                        source = future.result()
                    except (SynthesisError, OSError, subprocess.SubprocessError) as exc:
                        report.failed.append((item.label, str(exc)))
                        continue
                    self.manifest[item.label] = {"source": source, "hash": digest}
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
        source_path = self.path(origin)

        def copy(tmp: Path) -> None:
            shutil.copyfile(source_path, tmp)

        try:
            write_atomically(self.path(item), copy)
        except (SynthesisError, OSError) as exc:
            report.failed.append((item.label, str(exc)))
            return
        self.manifest[item.label] = {"source": f"fallback:{item.fallback}", "hash": digest}
        report.fallback.append(item.label)


# ---------------------------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class LanguageCheck:
    code: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recorded: int = 0
    needed: int = 0
    not_recorded: list[str] = field(default_factory=list)

    def line(self) -> str:
        state = "FAIL" if self.errors else "ok"
        line = f"{self.code:<4} {state}: {self.recorded}/{self.needed} recorded"
        if self.not_recorded and self.recorded:  # the last few to record are worth naming
            shown = ", ".join(self.not_recorded[:8]) + (", ..." if len(self.not_recorded) > 8 else "")
            line += f"; not recorded: {shown}"
        return line


def check(catalog: dict[str, LanguageTexts], deployment: Deployment, recorded_dir: Path) -> list[LanguageCheck]:
    """Per deployment language: errors (a missing text, a bad placeholder) and warnings (what is not recorded)."""
    keys = [key.value for key in Prompt]
    results = []
    for language in deployment.languages:
        result = LanguageCheck(language.code)
        results.append(result)
        texts = catalog.get(language.code)
        if texts is None:
            result.errors.append(f"no catalog file {language.code}.toml")
            continue
        values = placeholder_values(deployment, texts)
        missing = [key for key in keys if not texts.prompts.get(key, "").strip()]
        if missing:
            result.errors.append(f"missing prompt texts: {', '.join(missing)}")
        for key, text in texts.prompts.items():
            try:
                fill(text, values, f"{language.code}.toml: [prompts] {key}")
            except CatalogError as exc:
                result.errors.append(str(exc))
        if number_language(language.code) == language.code:
            pieces = sorted(pieces_used(language.code) - set(texts.numbers), key=lambda p: (len(p), p))
            if pieces:
                result.errors.append(f"missing number pieces: {', '.join(pieces)}")
        if texts.latin:
            mismatched = [key for key, latin in texts.latin.items() if to_tifinagh(latin) != texts.prompts.get(key)]
            absent = [key for key in keys if key not in texts.latin]
            if absent:
                result.errors.append(f"missing Latin transcriptions: {', '.join(absent)}")
            if mismatched:
                result.errors.append(f"Tifinagh differs from its Latin transcription: {', '.join(mismatched)}")
        unused = sorted(set(texts.prompts) - set(keys))
        if unused:
            result.warnings.append(f"texts for keys no flow plays: {', '.join(unused)}")
        needed = output_names(language.code)
        result.needed = len(needed)
        not_recorded = [name for name in needed if find_recorded(recorded_dir, language.code, name) is None]
        result.recorded = len(needed) - len(not_recorded)
        result.not_recorded = not_recorded
        if language.tts_voice is None and not_recorded:
            result.warnings.append(
                f"no synthetic voice: {len(not_recorded)} files play the {language.audio_fallback or 'NO'} "
                f"fallback audio until recorded (first missing: {', '.join(not_recorded[:5])})"
            )
        folder = recorded_dir / language.code
        if folder.is_dir():
            strays = sorted(p.name for p in folder.iterdir()
                            if p.suffix in RECORDED_SUFFIXES and p.stem not in set(needed))
            if strays:
                result.warnings.append(f"recordings for unknown keys: {', '.join(strays)}")
    return results


# ---------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------


def default_engines(offline: bool) -> list[Engine]:
    return [EspeakEngine()] if offline else [GttsEngine(), EspeakEngine()]


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


def sandbox_sounds_dir() -> Path:
    """The sounds folder of the sandbox Asterisk (ivr.sandbox), where `--sandbox` installs."""
    from ivr import sandbox  # only this option needs it

    return sandbox.default_paths().in_root(sandbox.SOUNDS_DIR)


def _load(args: argparse.Namespace) -> tuple[dict[str, LanguageTexts], Deployment]:
    return load_catalog(args.catalog), Deployment.from_callcenter(load_callcenter(args.config))


def build_command(args: argparse.Namespace, engines: Sequence[Engine] | None = None) -> int:
    if shutil.which("sox") is None:
        print("ivr prompts build: sox is not installed (make system-deps)", file=sys.stderr)
        return 1
    catalog, deployment = _load(args)
    items = plan(catalog, deployment, args.recorded)
    out = sandbox_sounds_dir() if args.sandbox else args.out
    builder = Builder(out, engines if engines is not None else default_engines(args.offline), jobs=args.jobs)
    if not builder.engines:
        print("ivr prompts build: no synthesis engine available (install espeak-ng)", file=sys.stderr)
    report = builder.run(items, Progress(sys.stderr, len(items)))
    for label, error in report.failed:
        print(f"  failed {label}: {error}", file=sys.stderr)
    if report.missing:
        print(f"  missing: {', '.join(report.missing)}", file=sys.stderr)
    print(f"{report.summary()} -> {out}")
    return 1 if report.failed or report.missing else 0


def check_command(args: argparse.Namespace) -> int:
    catalog, deployment = _load(args)
    results = check(catalog, deployment, args.recorded)
    for result in results:
        print(result.line())
        for error in result.errors:
            print(f"     error: {error}")
        for warning in result.warnings:
            print(f"     note: {warning}")
    failed = [result.code for result in results if result.errors]
    print(f"prompts check: {'FAILED for ' + ', '.join(failed) if failed else 'every key has a text in every language'}")
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ivr prompts", description="Build or check the voice prompts.")
    commands = root.add_subparsers(dest="command", required=True)
    for name, help_text in (("build", "generate the sound files"), ("check", "report missing texts and recordings")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--catalog", type=Path, default=CATALOG_DIR, help="folder of <lang>.toml texts")
        command.add_argument("--recorded", type=Path, default=RECORDED_DIR, help="folder of <lang>/<key>.wav")
        command.add_argument("--config", type=Path, default=None, help="call-center file (default: $IVR_CALLCENTER)")
        if name == "build":
            command.add_argument("--out", type=Path, default=DEFAULT_OUT,
                                 help="Asterisk sounds folder; files go to OUT/<lang>/ivr/<key>.wav")
            command.add_argument("--sandbox", action="store_true", help="install into the sandbox Asterisk's sounds")
            command.add_argument("--offline", action="store_true", help="espeak-ng only, do not try gTTS")
            command.add_argument("--jobs", type=int, default=None, help="parallel conversions")
    return root


def main(argv: Iterable[str], engines: Sequence[Engine] | None = None) -> int:
    args = parser().parse_args(list(argv))
    try:
        return build_command(args, engines) if args.command == "build" else check_command(args)
    except (CatalogError, ConfigError) as exc:
        print(f"ivr prompts {args.command}: {exc}", file=sys.stderr)
        return 1

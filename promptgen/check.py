"""`ivr prompts check`: per deployment language, what is missing (errors), what is not recorded yet, where each
prompt's audio comes from when not from its own language (the explicit fallback), and the level report.

Rules:
- Errors (exit 1) are catalog faults only: a missing text, a bad placeholder, Tifinagh and Latin that disagree.
  Audio problems are notes: a clipped recording still plays, and `make test` must not fail on a take.
- The level report covers the recordings (decoded and measured: clipping, a very quiet take, long silences,
  too little sound) and, when a build exists (--sounds), every built prompt from its manifest entry (level off
  the target, peak above the ceiling, silence left at the edges, a clipped source, a codec file missing):
  reading the manifest instead of decoding 500 files keeps the check fast enough to run first in `make test`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ivr.prompts import Prompt, number_language, pieces_used
from promptgen import levels
from promptgen.audio import SynthesisError, decode, siblings
from promptgen.build import SOUND_FOLDER, load_manifest
from promptgen.catalog import CatalogError, Deployment, LanguageTexts, fill, placeholder_values, to_tifinagh
from promptgen.plan import RECORDED_SUFFIXES, find_recorded, output_names


@dataclass
class LanguageCheck:
    code: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recorded: int = 0
    needed: int = 0
    not_recorded: list[str] = field(default_factory=list)
    fallbacks: dict[str, str] = field(default_factory=dict)  # file name -> the language whose audio it plays
    levels: list[str] = field(default_factory=list)  # level, clipping and silence problems, one per file
    measured: int = 0  # built files whose levels were read

    def line(self) -> str:
        state = "FAIL" if self.errors else "ok"
        line = f"{self.code:<4} {state}: {self.recorded}/{self.needed} recorded"
        if self.not_recorded and self.recorded:  # the last few to record are worth naming
            shown = ", ".join(self.not_recorded[:8]) + (", ..." if len(self.not_recorded) > 8 else "")
            line += f"; not recorded: {shown}"
        return line


REFERENCE_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"\{\w+\}")


def keys_named(text: str) -> list[str]:
    """The placeholders and phone keys (0-9 # *) a text names, in order: every language must name the same ones
    (a caller told "press 2" in one language and "press 3" in another hears a different menu)."""
    return sorted(re.findall(r"\{\w+\}|[0-9#*]", text))


def recording_level(path: Path) -> list[str]:
    """Problems of one recording, measured from its audio."""
    try:
        samples = decode(path, guard=False)
    except SynthesisError as exc:
        return [f"unreadable: {exc}"]
    return levels.measure(samples, 16000).problems(normalised=False)


def built_level(entry: dict[str, str]) -> list[str]:
    """Problems of one built prompt, from its manifest entry."""
    try:
        level = levels.Level(float(entry["loudness_db"]), float(entry["peak_db"]), 0, float(entry["lead_s"]),
                             float(entry["trail_s"]), 0.0)
        clipped = int(entry.get("source_clipped", "0"))
    except (KeyError, ValueError):
        return ["no level in the manifest (built by an older version: rebuild)"]
    found = level.problems(normalised=True)
    if clipped:
        found.append(f"the source was clipped ({clipped} runs): re-record or re-synthesise")
    return found


def check(
    catalog: dict[str, LanguageTexts], deployment: Deployment, recorded_dir: Path, sounds_dir: Path | None = None
) -> list[LanguageCheck]:
    """Per deployment language: errors (a missing text, a bad placeholder), notes (what is not recorded, what plays
    another language's audio) and the level report of the recordings and, if built, of `sounds_dir`."""
    manifest = load_manifest(sounds_dir) if sounds_dir is not None else {}
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
        reference = catalog.get(REFERENCE_LANGUAGE)
        if reference is not None and language.code != REFERENCE_LANGUAGE:
            differing = [key for key, text in texts.prompts.items()
                         if key in reference.prompts and keys_named(text) != keys_named(reference.prompts[key])]
            if differing:
                result.warnings.append(f"keys or placeholders differ from the {REFERENCE_LANGUAGE} text: "
                                       f"{', '.join(differing)}")
        schwa = [key for key, latin in texts.latin.items() if "e" in PLACEHOLDER.sub("", latin).lower()]
        if schwa:
            result.warnings.append(f"schwa written (IRCAM spelling leaves it out): {', '.join(schwa)}")
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
        borrowed = number_language(language.code)
        for name in not_recorded:
            if name.startswith("num_") and borrowed != language.code:
                result.fallbacks[name] = borrowed
            elif language.tts_voice is None and language.audio_fallback is not None:
                result.fallbacks[name] = language.audio_fallback
        for name in needed:
            recording = find_recorded(recorded_dir, language.code, name)
            if recording is not None:
                result.levels.extend(f"recording {recording.name}: {p}" for p in recording_level(recording))
            entry = manifest.get(f"{language.code}/{name}")
            if entry is None or sounds_dir is None:
                continue
            result.measured += 1
            result.levels.extend(f"built {name}: {p}" for p in built_level(entry))
            wav = sounds_dir / language.code / SOUND_FOLDER / f"{name}.wav"
            absent = [p.suffix for p in siblings(wav) if not p.is_file()]
            if absent:
                result.levels.append(f"built {name}: no {', '.join(absent)} file")
        folder = recorded_dir / language.code
        if folder.is_dir():
            strays = sorted(p.name for p in folder.iterdir()
                            if p.suffix in RECORDED_SUFFIXES and p.stem not in set(needed))
            if strays:
                result.warnings.append(f"recordings for unknown keys: {', '.join(strays)}")
    return results

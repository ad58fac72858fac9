"""Recorded overrides: store an accepted take (phone or browser) as a prompt's recording, with who and when, and
rebuild that prompt in every codec; revert to synthesis; the catalog as the admin page lists it.

Rules:
- An override is prompts/recorded/<lang>/<key>.wav (recorded_dir), trimmed and normalised when stored (the build
  normalises it again, to the same level), beside <key>.json: {"by", "via" (phone|browser|file), "at" (ISO 8601)}.
  Storing replaces any other recording of the key (.mp3, .ogg, .flac), so the new take is the one that plays.
- Storing or reverting rebuilds the key in that language and in every language whose audio falls back to it
  (Amazigh copies Arabic), into the Asterisk sounds folder `sounds_dir`, through the same incremental Builder as
  `ivr prompts build`: the next call plays the new files.
- The call plane and the API reach this module only through the command line (`ivr prompts list | store |
  revert`): neither imports the prompt builder.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import wave
from datetime import datetime
from pathlib import Path

from callcenter.config import CallCenter
from ivr.prompts import Prompt
from ivr.studio import StudioError, prompt_number
from promptgen import levels
from promptgen.audio import MASTER_RATE, SynthesisError, decode, samples_bytes
from promptgen.build import SOUND_FOLDER, Builder, BuildReport, Progress
from promptgen.catalog import CATALOG_DIR, CatalogError, Deployment, load_catalog
from promptgen.engines import Engine, default_engines
from promptgen.plan import RECORDED_SUFFIXES, plan

MAX_TAKE_S = 120.0


def store_recording(recorded_dir: Path, language: str, key: str, take: Path, *, by: str, via: str,
                    at: datetime) -> Path:
    """Trim and normalise `take` into recorded_dir/<lang>/<key>.wav (16 kHz) with its .json; the path."""
    if key not in {prompt.value for prompt in Prompt} or not language.isascii() or not language.isalpha():
        raise StudioError(f"no prompt {language}/{key}")
    try:
        samples = decode(take)
    except SynthesisError as exc:
        raise StudioError(f"not audio: {exc}") from exc
    if len(samples) > MAX_TAKE_S * MASTER_RATE:
        raise StudioError(f"longer than {MAX_TAKE_S:.0f} s")
    result = levels.normalise(samples, MASTER_RATE)
    if len(result.samples) < 0.2 * MASTER_RATE + sum(levels.PROMPT_PAD) * MASTER_RATE:
        raise StudioError("no speech in the recording (silence, or shorter than 0.2 s)")
    folder = recorded_dir / language
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{key}.wav"
    fd, name = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp.wav", dir=folder)
    os.close(fd)
    try:
        with wave.open(name, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(MASTER_RATE)
            out.writeframes(samples_bytes(result.samples))
        os.replace(name, final)
    finally:
        Path(name).unlink(missing_ok=True)
    for suffix in RECORDED_SUFFIXES:
        if suffix != ".wav":
            (folder / f"{key}{suffix}").unlink(missing_ok=True)
    meta = {"by": by, "via": via, "at": at.isoformat(timespec="seconds"),
            "source_db": round(result.source.loudness_db, 1), "clipped": result.source.clipped}
    (folder / f"{key}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return final


def recording_meta(recorded_dir: Path, language: str, key: str) -> dict[str, object] | None:
    try:
        data = json.loads((recorded_dir / language / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def remove_recording(recorded_dir: Path, language: str, key: str) -> bool:
    """Delete the override of key (every suffix and its .json); True when there was one."""
    removed = False
    for suffix in (*RECORDED_SUFFIXES, ".json"):
        path = recorded_dir / language / f"{key}{suffix}"
        if path.is_file():
            path.unlink()
            removed = removed or suffix != ".json"
    return removed


def rebuild(sounds_dir: Path, callcenter: CallCenter, recorded_dir: Path, language: str, key: str, *,
            catalog_dir: Path = CATALOG_DIR, engines: list[Engine] | None = None) -> BuildReport:
    """Rebuild `key` in `language` and in the languages whose audio falls back to it."""
    try:
        deployment = Deployment.from_callcenter(callcenter)
        items = plan(load_catalog(catalog_dir), deployment, recorded_dir)
    except CatalogError as exc:
        raise StudioError(str(exc)) from exc
    followers = {lang.code for lang in deployment.languages if lang.audio_fallback == language}
    chosen = [item for item in items if item.name == key
              and (item.language == language or (item.language in followers and item.fallback == language))]
    builder = Builder(sounds_dir, engines if engines is not None else default_engines(offline=True), jobs=1)
    report = builder.run(chosen, Progress(io.StringIO(), len(chosen), enabled=False))
    if report.failed or report.missing:
        raise StudioError(f"rebuilding {language}/{key}: {report.failed or report.missing}")
    return report


def catalog_entries(callcenter: CallCenter, recorded_dir: Path, sounds_dir: Path,
                    catalog_dir: Path = CATALOG_DIR) -> dict[str, object]:
    """Every prompt key in every language, as the admin page shows it (`ivr prompts list --json`): number, text
    (and Latin), source (recorded, synthesised, fallback, missing), the language it falls back to, whether it
    is built, and who recorded it when; with the coverage per language."""
    deployment = Deployment.from_callcenter(callcenter)
    texts = load_catalog(catalog_dir)
    keys = [key.value for key in Prompt]
    entries: list[dict[str, object]] = []
    for item in plan(texts, deployment, recorded_dir):
        if item.name not in keys:
            continue  # number pieces: not on the page
        language = texts.get(item.language)
        if item.recorded is not None:
            source = "recorded"
        elif item.fallback is not None:
            source = "fallback"
        elif item.text is not None:
            source = "synthesised"
        else:
            source = "missing"
        voice = deployment.language(item.language)
        meta = recording_meta(recorded_dir, item.language, item.name) or {}
        entries.append({
            "language": item.language, "key": item.name, "number": prompt_number(Prompt(item.name)),
            "text": language.prompts.get(item.name) if language else None,
            "latin": language.latin.get(item.name) if language else None,
            "source": source,
            "fallback_from": voice.audio_fallback if voice.tts_voice is None and source != "recorded" else None,
            "built": (sounds_dir / item.language / SOUND_FOLDER / f"{item.name}.wav").is_file(),
            "recorded_by": meta.get("by"), "recorded_at": meta.get("at"), "recorded_via": meta.get("via"),
        })
    coverage = [
        {"language": lang.code, "total": len(keys),
         "recorded": sum(1 for e in entries if e["language"] == lang.code and e["source"] == "recorded"),
         "fallback_from": lang.audio_fallback if lang.tts_voice is None else None}
        for lang in deployment.languages
    ]
    return {"prompts": entries, "coverage": coverage}

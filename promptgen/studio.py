"""Recorded overrides: store an accepted take (phone or browser) as a prompt's recording, with who and when, and
rebuild that prompt in every codec; revert to synthesis; the voice talents who may record by phone.

Rules:
- An override is prompts/recorded/<lang>/<key>.wav (recorded_dir), trimmed and normalised when stored (the build
  normalises it again, to the same level), beside <key>.json: {"by", "via" (phone|browser|file), "at" (ISO 8601)}.
  Storing replaces any other recording of the key (.mp3, .ogg, .flac), so the new take is the one that plays.
- Storing or reverting rebuilds the key in that language and in every language whose audio falls back to it
  (Amazigh copies Arabic), into the Asterisk sounds folder `sounds_dir`, through the same incremental Builder as
  `ivr prompts build`: the next call plays the new files.
- Talents live in a TOML file (IVR_PROMPT_TALENTS), one table per talent number:
  [talents.1001] name = "...", pin_hash = "$argon2id$..." (`ivr prompts pin-hash`), languages = ["zgh"] (optional).
  PINs are only ever stored as argon2 hashes; a wrong number and a wrong PIN look the same to the caller.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import tempfile
import tomllib
import wave
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from callcenter.config import CallCenter
from ivr.prompts import Prompt
from ivr.studio import StudioError, Talent
from promptgen import levels
from promptgen.audio import MASTER_RATE, SynthesisError, decode, samples_bytes
from promptgen.build import Builder, BuildReport, Progress
from promptgen.catalog import CATALOG_DIR, CatalogError, Deployment, load_catalog
from promptgen.engines import Engine, default_engines
from promptgen.plan import RECORDED_SUFFIXES, plan

_HASHER = PasswordHasher()
MAX_TAKE_S = 120.0


def hash_pin(pin: str) -> str:
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("a PIN is 4 to 12 digits")
    return _HASHER.hash(pin)


@dataclass(frozen=True)
class TalentEntry:
    talent: Talent
    pin_hash: str


def load_talents(path: Path) -> dict[str, TalentEntry]:
    """The talents file; a StudioError naming the problem when it is malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StudioError(f"{path}: {exc}") from exc
    talents: dict[str, TalentEntry] = {}
    for number, entry in data.get("talents", {}).items():
        if not (number.isascii() and number.isdigit()) or not isinstance(entry, dict):
            raise StudioError(f"{path}: [talents.{number}] must be a table named by digits")
        name, pin_hash, languages = entry.get("name"), entry.get("pin_hash"), entry.get("languages", [])
        if not isinstance(name, str) or not isinstance(pin_hash, str) or not isinstance(languages, list):
            raise StudioError(f"{path}: [talents.{number}] needs name, pin_hash and optionally languages")
        talents[number] = TalentEntry(Talent(number, name, tuple(str(code) for code in languages)), pin_hash)
    return talents


def verify(talents: dict[str, TalentEntry], number: str, pin: str) -> Talent | None:
    entry = talents.get(number)
    if entry is None:
        _HASHER.hash("0000")  # the same work as a wrong PIN: the timing does not tell which numbers exist
        return None
    try:
        _HASHER.verify(entry.pin_hash, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return entry.talent


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


@dataclass
class FileStudio:
    """The studio the agi process uses: talents from a file, overrides in recorded_dir, rebuilt into sounds_dir."""

    talents_file: Path
    recorded_dir: Path
    sounds_dir: Path
    callcenter: CallCenter
    takes: str
    catalog_dir: Path = CATALOG_DIR
    engines: list[Engine] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def takes_dir(self) -> str:
        return self.takes

    async def authenticate(self, number: str, pin: str) -> Talent | None:
        talents = await asyncio.to_thread(load_talents, self.talents_file)  # edits apply without a restart
        return await asyncio.to_thread(verify, talents, number, pin)

    async def accept(self, *, language: str, key: Prompt, take: Path, talent: Talent, at: datetime) -> None:
        async with self._lock:  # one rebuild at a time: the manifest is one file
            await asyncio.to_thread(self._accept, language, key.value, take, talent, at)

    def _accept(self, language: str, key: str, take: Path, talent: Talent, at: datetime) -> None:
        store_recording(self.recorded_dir, language, key, take, by=talent.label, via="phone", at=at)
        rebuild(self.sounds_dir, self.callcenter, self.recorded_dir, language, key, catalog_dir=self.catalog_dir,
                engines=self.engines)
        take.unlink(missing_ok=True)

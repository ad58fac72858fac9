"""The prompt studio behind the record_prompts flow: voice talents from a TOML file (argon2 PIN hashes), and an
accepted take handed to the prompt builder as a separate process (`ivr prompts store`).

Rules:
- Talents live in the file IVR_PROMPT_TALENTS, one table per talent number:
  [talents.1001] name = "...", pin_hash = "$argon2id$..." (`ivr prompts pin-hash`), languages = ["zgh"] (optional).
  It is read at each authentication, so edits apply without a restart. PINs are only ever stored as hashes; an
  unknown number costs the same hashing work as a wrong PIN, so the timing does not tell which numbers exist.
- The call plane never imports the prompt builder (tests/unit/test_import_rules.py): `accept` runs
  `python -m ivr prompts store ...` (trim, normalise, store with who and when, rebuild every codec), in its own
  process, so sox's work never blocks the event loop; one at a time. Its environment says where the files are
  (IVR_SOUNDS_DIR, IVR_RECORDED_DIR, IVR_CALLCENTER, as for this process).
"""

from __future__ import annotations

import asyncio
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ivr.prompts import Prompt
from ivr.studio import StudioError, Talent

_HASHER = PasswordHasher()
STORE_TIMEOUT_S = 120.0


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
        _HASHER.hash("0000")  # the same work as a wrong PIN
        return None
    try:
        _HASHER.verify(entry.pin_hash, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return entry.talent


@dataclass
class FileStudio:
    talents_file: Path
    takes: str  # where Asterisk writes takes: the same path for Asterisk and this process
    command: tuple[str, ...] = (sys.executable, "-m", "ivr", "prompts")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def takes_dir(self) -> str:
        return self.takes

    async def authenticate(self, number: str, pin: str) -> Talent | None:
        talents = await asyncio.to_thread(load_talents, self.talents_file)
        return await asyncio.to_thread(verify, talents, number, pin)

    async def accept(self, *, language: str, key: Prompt, take: Path, talent: Talent, at: datetime) -> None:
        argv = [*self.command, "store", language, key.value, str(take), "--by", talent.label, "--via", "phone",
                "--at", at.isoformat(), "--remove-take"]
        async with self._lock:  # one rebuild at a time: the build manifest is one file
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            try:
                output, _ = await asyncio.wait_for(process.communicate(), STORE_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
                raise StudioError(f"storing {language}/{key.value} took over {STORE_TIMEOUT_S:.0f} s") from None
        if process.returncode != 0:
            raise StudioError(f"storing {language}/{key.value}: {output.decode(errors='replace').strip()[-500:]}")

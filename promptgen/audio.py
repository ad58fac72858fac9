"""Audio files Asterisk plays: sox conversion to 8 kHz mono 16-bit WAV, validation, and atomic writes (a failing
engine never leaves an empty or partial prompt)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path

SAMPLE_RATE = 8000


class SynthesisError(Exception):
    """An engine or sox failed for one prompt."""


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


def converted_from(make_source: Callable[[Path], None], suffix: str, trim: bool) -> Callable[[Path], None]:
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

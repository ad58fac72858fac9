"""Audio files Asterisk plays: sox conversion, loudness normalisation (promptgen.levels), one file per codec,
validation, and atomic writes (a failing engine never leaves an empty or partial prompt).

Rules:
- A prompt is decoded once to 16 kHz mono (MASTER_RATE), trimmed and normalised in Python, then written in every
  format of FORMATS beside each other: <key>.wav (8 kHz 16-bit, the reference every tool reads), <key>.alaw and
  <key>.ulaw (raw G.711, what trunks and SIP phones carry: Asterisk plays them without transcoding) and
  <key>.sln16 (raw 16 kHz signed linear, for wideband WebRTC seats). Asterisk opens the format cheapest to
  translate to the channel's codec (file.c: ast_openstream picks from every format present).
- The .wav is renamed into place last: a prompt counts as built (manifest, reuse) only when its .wav exists,
  and then its siblings exist too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path

from promptgen import levels

SAMPLE_RATE = 8000
MASTER_RATE = 16000
# extension -> sox output options (after `-t raw -r 16000 ... -` input); Asterisk's format modules: format_wav,
# format_pcm (alaw, ulaw), format_sln (sln16).
FORMATS: dict[str, tuple[str, ...]] = {
    "alaw": ("-r", "8000", "-c", "1", "-t", "al"),
    "ulaw": ("-r", "8000", "-c", "1", "-t", "ul"),
    "sln16": ("-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-L", "-t", "raw"),
    "wav": ("-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "wav"),
}
RAW_IN = ("-t", "raw", "-r", str(MASTER_RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-L")


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


def sibling(wav: Path, extension: str) -> Path:
    """The same prompt in another format: greeting.wav -> greeting.alaw."""
    return wav.with_suffix(f".{extension}")


def siblings(wav: Path) -> list[Path]:
    return [sibling(wav, extension) for extension in FORMATS]


def write_siblings(wav: Path) -> list[Path]:
    """The other formats of an existing 8 kHz WAV, written beside it where missing (hold music, a benchmark's
    stand-in prompts): Asterisk then plays them without transcoding. Returns the files written."""
    written: list[Path] = []
    for extension, options in FORMATS.items():
        target = sibling(wav, extension)
        if extension == "wav" or target.exists():
            continue
        _sox([str(wav), *options, str(target)])
        written.append(target)
    return written


def _sox(args: Sequence[str], stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["sox", *args], input=stdin, capture_output=True, timeout=60, check=False)
    if result.returncode != 0:
        raise SynthesisError(f"sox: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def decode(source: Path, rate: int = MASTER_RATE, *, guard: bool = True) -> array[int]:
    """Any audio sox reads -> mono 16-bit samples at `rate`; `guard` lowers the gain rather than clip in the
    resampling (off to measure a recording's own clipping)."""
    try:
        raw = _sox([*(["-G"] if guard else []), str(source), "-t", "raw", "-r", str(rate), "-c", "1", "-b", "16",
                    "-e", "signed-integer", "-L", "-"])
    except SynthesisError as exc:
        raise SynthesisError(f"{source.name}: {exc}") from exc
    samples: array[int] = array("h")
    samples.frombytes(raw[: len(raw) // 2 * 2])
    if sys.byteorder == "big":  # pragma: no cover - x86 and arm64 are little-endian
        samples.byteswap()
    return samples


def samples_bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":  # pragma: no cover
        swapped = array("h", samples)
        swapped.byteswap()
        return swapped.tobytes()
    return samples.tobytes()


def render(source: Path, final_wav: Path, *, pad: tuple[float, float] = levels.PROMPT_PAD) -> dict[str, str]:
    """Decode `source`, trim and normalise it, and write every format beside `final_wav` atomically.

    Returns the levels for the manifest (source loudness and clipping, gain, result loudness and peak)."""
    samples = decode(source)
    result = levels.normalise(samples, MASTER_RATE, pad)
    if not result.samples:
        raise SynthesisError(f"{source.name}: {len(samples)} frames and no audio above the silence gate")
    payload = samples_bytes(result.samples)
    final_wav.parent.mkdir(parents=True, exist_ok=True)
    temps: dict[str, Path] = {}
    try:
        for extension, options in FORMATS.items():
            fd, name = tempfile.mkstemp(prefix=f".{final_wav.stem}.", suffix=f".tmp.{extension}",
                                        dir=final_wav.parent)
            os.close(fd)
            temps[extension] = Path(name)
            _sox([*RAW_IN, "-", *options, name], stdin=payload)
            temps[extension].chmod(0o644)
        validate_wav(temps["wav"])
        for extension in FORMATS:  # "wav" is last: the marker that the set is complete
            os.replace(temps[extension], sibling(final_wav, extension))
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    after = levels.measure(result.samples, MASTER_RATE)
    return {
        "source_db": f"{result.source.loudness_db:.1f}",
        "source_clipped": str(result.source.clipped),
        "gain_db": f"{result.gain_db:.1f}",
        "loudness_db": f"{after.loudness_db:.1f}",
        "peak_db": f"{after.peak_db:.1f}",
        "lead_s": f"{after.lead_s:.2f}",
        "trail_s": f"{after.trail_s:.2f}",
    }


def copy_prompt(source_wav: Path, final_wav: Path) -> None:
    """Another language's prompt, every format (a fallback), atomically per file, the .wav last."""
    final_wav.parent.mkdir(parents=True, exist_ok=True)
    for extension in FORMATS:
        origin = sibling(source_wav, extension)
        fd, name = tempfile.mkstemp(prefix=f".{final_wav.stem}.", suffix=f".tmp.{extension}", dir=final_wav.parent)
        os.close(fd)
        try:
            shutil.copyfile(origin, name)
            if extension == "wav":
                validate_wav(Path(name))
            os.replace(name, sibling(final_wav, extension))
        finally:
            Path(name).unlink(missing_ok=True)


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

"""Loudness, trimming and the level report (promptgen.levels, promptgen.check): pure functions on samples, and
the check on a small build in tmp_path (real sox)."""

from __future__ import annotations

import io
import json
import math
import shutil
import wave
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from promptgen import audio, check, cli, levels
from promptgen.build import MANIFEST_NAME, Builder, Progress
from promptgen.catalog import Deployment, LanguageTexts, VoiceLanguage
from promptgen.plan import Item

RATE = 16000
needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (make system-deps)")


def tone(seconds: float, amplitude: int, rate: int = RATE) -> list[int]:
    return [round(amplitude * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate))]


def silence(seconds: float, rate: int = RATE) -> list[int]:
    return [0] * int(seconds * rate)


def test_a_quiet_padded_tone_is_trimmed_and_brought_to_the_target() -> None:
    samples = silence(0.5) + tone(0.4, 1000) + silence(0.7)
    before = levels.measure(samples, RATE)
    assert before.loudness_db == pytest.approx(-33.3, abs=0.3)  # a sine's RMS is 3 dB under its peak
    assert before.lead_s == pytest.approx(0.5, abs=0.02) and before.trail_s == pytest.approx(0.7, abs=0.02)
    result = levels.normalise(samples, RATE, pad=(0.02, 0.1))
    after = levels.measure(result.samples, RATE)
    assert after.loudness_db == pytest.approx(levels.TARGET_DB, abs=0.2)
    assert len(result.samples) == pytest.approx((0.02 + 0.4 + 0.1) * RATE, abs=levels.BLOCK_S * RATE)
    assert after.problems(normalised=True) == []
    assert result.gain_db == pytest.approx(levels.TARGET_DB - before.loudness_db, abs=0.01)


def test_the_gain_never_pushes_a_peak_past_the_ceiling() -> None:
    clicks = tone(1.0, 300)
    clicks[8000] = 30000  # one loud click in a quiet prompt
    result = levels.normalise(clicks, RATE)
    after = levels.measure(result.samples, RATE)
    assert after.peak_db == pytest.approx(levels.PEAK_CEILING_DB, abs=0.05)
    assert after.loudness_db < levels.TARGET_DB - levels.TOLERANCE_DB
    assert any("level" in problem for problem in after.problems(normalised=True))


def test_silence_has_no_level_and_normalises_to_nothing() -> None:
    level = levels.measure(silence(0.3), RATE)
    assert level.loudness_db == levels.SILENT_DB and level.lead_s == pytest.approx(0.3)
    assert level.problems(normalised=False) == ["no audio above the silence gate"]
    assert len(levels.normalise(silence(0.3), RATE).samples) == 0
    assert levels.measure([], RATE).duration_s == 0


def test_clipping_is_counted_in_runs_at_full_scale() -> None:
    samples = [0, 32767, 32767, 32767, 0, -32768, -32768, 0, 32767, 32767, 32767, 32767]
    assert levels.count_clipped(samples) == 2
    level = levels.measure(tone(0.5, 32767) + [32767] * 10, RATE)
    assert any(problem.startswith("clipped") for problem in level.problems(normalised=False))


def test_a_recording_is_judged_on_sanity_not_on_the_target() -> None:
    quiet = levels.measure(silence(2.0) + tone(0.1, 100) + silence(2.0), RATE).problems(normalised=False)
    assert len(quiet) == 3
    assert quiet[0].startswith("very quiet") and quiet[1].startswith("long silence") and "0.2 s" in quiet[2]
    built = levels.Level(-30.0, 0.0, 0, 0.5, 0.5, 2.0).problems(normalised=True)
    assert [problem.split()[0] for problem in built] == ["level", "peak", "silence"]


def test_a_manifest_entry_without_levels_asks_for_a_rebuild() -> None:
    assert check.built_level({"source": "espeak-ng", "hash": "x"}) == [
        "no level in the manifest (built by an older version: rebuild)"]
    entry = {"loudness_db": "-23.0", "peak_db": "-3.0", "lead_s": "0.02", "trail_s": "0.12", "source_clipped": "4"}
    assert check.built_level(entry) == ["the source was clipped (4 runs): re-record or re-synthesise"]


class SineEngine:
    name, suffix = "sine", ".wav"

    def available(self) -> bool:
        return True

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        write_wav(dest, silence(0.3, 8000) + tone(0.5, 4000, 8000) + silence(0.3, 8000), 8000)


def write_wav(path: Path, samples: list[int], rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))


@needs_sox
def test_every_codec_file_is_built_at_one_level_and_the_check_reads_it(tmp_path: Path) -> None:
    out = tmp_path / "sounds"
    items = [Item("en", "greeting", text="Hello.", voice="en"), Item("zgh", "greeting", fallback="en")]
    report = Builder(out, [SineEngine()]).run(items, Progress(io.StringIO(), 2))
    assert (report.built, report.fallback) == (["en/greeting"], ["zgh/greeting"])
    wav = out / "en" / "ivr" / "greeting.wav"
    samples = audio.decode(wav)
    assert levels.measure(samples, audio.MASTER_RATE).loudness_db == pytest.approx(levels.TARGET_DB, abs=0.5)
    # raw G.711 is one byte a sample at 8 kHz, sln16 two bytes at 16 kHz: the same duration in every format
    with wave.open(str(wav), "rb") as reference:
        frames = reference.getnframes()
    sizes = {ext: audio.sibling(wav, ext).stat().st_size for ext in ("alaw", "ulaw", "sln16")}
    assert sizes == {"alaw": frames, "ulaw": frames, "sln16": 4 * frames}
    assert audio.sibling(wav, "alaw").read_bytes() != audio.sibling(wav, "ulaw").read_bytes()
    for ext in audio.FORMATS:  # the fallback copies every format
        assert (out / "zgh" / "ivr" / f"greeting.{ext}").read_bytes() == audio.sibling(wav, ext).read_bytes()
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    assert float(manifest["en/greeting"]["loudness_db"]) == pytest.approx(levels.TARGET_DB, abs=0.2)
    assert manifest["zgh/greeting"]["loudness_db"] == manifest["en/greeting"]["loudness_db"]

    # A codec file lost by hand is reported, then rebuilt by the next build.
    audio.sibling(wav, "ulaw").unlink()
    recorded = tmp_path / "recorded"
    write_wav(recorded / "en" / "goodbye.wav", tone(0.05, 32767, 8000) + [32767] * 8, 8000)
    deployment = Deployment((VoiceLanguage("en", "1", "en"), VoiceLanguage("zgh", "2", None, "en")), "x", 0, 0)
    texts = {code: LanguageTexts(code, prompts={"greeting": "Hi."}) for code in ("en", "zgh")}
    results = check.check(texts, deployment, recorded, out)
    english, amazigh = results
    assert "built greeting: no .ulaw file" in english.levels
    assert any(line.startswith("recording goodbye.wav: clipped") for line in english.levels)
    assert amazigh.fallbacks["greeting"] == "en" and amazigh.measured == 1
    assert Builder(out, [SineEngine()]).run(items[:1], Progress(io.StringIO(), 1)).built == ["en/greeting"]


@needs_sox
def test_the_check_command_names_each_fallback_and_sums_up_the_levels(tmp_path: Path) -> None:
    stdout = io.StringIO()
    with redirect_stdout(stdout):
        code = cli.main(["check", "--sounds", str(tmp_path / "not-built"), "--recorded", str(tmp_path)])
    text = stdout.getvalue()
    assert code == 0, text
    assert "fallback to ar: 39 prompts (greeting, " in text and "number pieces play ar audio" in text
    assert "of the recordings only (no build in" in text


def test_texts_must_name_the_same_keys_and_amazigh_leaves_the_schwa_out(tmp_path: Path) -> None:
    deployment = Deployment((VoiceLanguage("en", "1", "en"), VoiceLanguage("zgh", "2", None, "en")), "x", 0, 0)
    texts = {
        "en": LanguageTexts("en", prompts={"confirm_or_change": "To confirm, press 1. To correct it, press 2."}),
        "zgh": LanguageTexts("zgh", prompts={"confirm_or_change": "ⵙⵉⵜ ⴼ 1. ⵙⵉⵜ ⴼ 3. ⵖⴻⴼ"},
                             latin={"confirm_or_change": "sit f 1. sit f 3. ɣef"}),
    }
    english, amazigh = check.check(texts, deployment, tmp_path)
    assert not any("differ" in note for note in english.warnings)
    assert "keys or placeholders differ from the en text: confirm_or_change" in amazigh.warnings
    assert "schwa written (IRCAM spelling leaves it out): confirm_or_change" in amazigh.warnings
    assert check.keys_named("Press {digit}, then 1 and # ({portal})") == ["#", "1", "{digit}", "{portal}"]

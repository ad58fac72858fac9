"""Prompt catalog, number composition and the prompt generator (ivr.prompts, promptgen).

The generator tests run the real sox (and one test the real espeak-ng) on a few dozen files in tmp_path; the
engines are fakes wherever the point is what happens around synthesis (failures, reuse, engine order).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import struct
import time
import wave
from pathlib import Path

import pytest

from callcenter.loading import load_callcenter
from ivr.prompts import (
    Prompt,
    digit_sounds,
    minutes_pieces,
    number_pieces,
    number_sound,
    pieces_used,
    position_sounds,
    sound,
    wait_time_sounds,
)
from promptgen import audio as prompt_audio
from promptgen import build as prompt_build
from promptgen import catalog as prompt_catalog
from promptgen import check as checking
from promptgen import cli as prompts_cli
from promptgen import engines as prompt_engines
from promptgen import levels
from promptgen import plan as planning
from promptgen.audio import SynthesisError
from promptgen.build import MANIFEST_NAME, Builder, Progress
from promptgen.catalog import Deployment, LanguageTexts, VoiceLanguage
from promptgen.engines import EspeakEngine
from promptgen.plan import Item

LANGUAGES = ("ar", "zgh", "fr", "en", "es", "nl", "it", "de")
needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (make system-deps)")

MINI_CALLCENTER = """
name = "City hall"
timezone = "Europe/Paris"
default_language = "fr"
portal_url = "mairie.example"
[hours]
monday = ["09:30-12:00", "13:00-17:15"]
tuesday = ["09:30-12:00", "13:00-17:15"]
saturday = ["10:00-12:00"]
[menu]
language_change_digit = "0"
[[languages]]
code = "fr"
digit = "7"
name = "Français"
english_name = "French"
queue = "q-fr"
tts_voice = "fr"
[[languages]]
code = "zgh"
digit = "8"
name = "ⵜⴰⵎⴰⵣⵉⵖⵜ"
english_name = "Amazigh"
queue = "q-zgh"
audio_fallback = "fr"
[[request_types]]
digit = "1"
key = "other"
names = { fr = "Autre" }
deadline_hours = 72
"""


@pytest.fixture(scope="module")
def catalog() -> dict[str, LanguageTexts]:
    return prompt_catalog.load_catalog()


@pytest.fixture(scope="module")
def reference() -> Deployment:
    return Deployment.from_callcenter(load_callcenter(prompt_catalog.PROJECT_DIR / "callcenter" / "callcenter.toml"))


# ---------------------------------------------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------------------------------------------


def test_reference_catalog_is_complete_in_all_eight_languages(
    catalog: dict[str, LanguageTexts], reference: Deployment, tmp_path: Path
) -> None:
    assert [language.code for language in reference.languages] == list(LANGUAGES)
    results = checking.check(catalog, reference, tmp_path)
    assert {result.code: result.errors for result in results} == {code: [] for code in LANGUAGES}
    for code in LANGUAGES:
        assert set(catalog[code].prompts) == {key.value for key in Prompt}


def test_every_number_piece_the_rules_use_has_a_text(catalog: dict[str, LanguageTexts]) -> None:
    for code in ("ar", "fr", "en", "es", "nl", "it", "de"):
        assert pieces_used(code) <= set(catalog[code].numbers), code
    assert pieces_used("zgh") == pieces_used("ar")


ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
ARABIC_MARK = re.compile(r"[\u064B-\u0652]")


def test_arabic_is_fully_vowelled(catalog: dict[str, LanguageTexts]) -> None:
    texts = [*catalog["ar"].prompts.values(), *catalog["ar"].numbers.values()]
    unmarked = [
        word for text in texts for word in re.split(r"[\s،.:؟]+", text)
        if len(ARABIC_LETTER.findall(word)) >= 2 and not ARABIC_MARK.search(word)
    ]
    assert unmarked == []


def test_amazigh_is_tifinagh_with_its_latin_transcription(catalog: dict[str, LanguageTexts]) -> None:
    zgh = catalog["zgh"]
    assert set(zgh.latin) == {key.value for key in Prompt}
    for key, tifinagh in zgh.prompts.items():
        outside_placeholders = re.sub(r"\{[a-z_]+\}", "", tifinagh)
        assert re.search(r"[\u2D30-\u2D7F]", outside_placeholders), key
        assert not re.search(r"[A-Za-z]", outside_placeholders), key
        assert tifinagh == prompt_catalog.to_tifinagh(zgh.latin[key])
    assert prompt_catalog.to_tifinagh("Azul {digit}") == "ⴰⵣⵓⵍ {digit}"


def test_each_language_option_is_spoken_in_that_language_with_its_digit(
    catalog: dict[str, LanguageTexts], reference: Deployment
) -> None:
    names = {"ar": "العَرَبِيَّةِ", "zgh": "ⵜⵎⴰⵣⵉⵖⵜ", "fr": "français", "en": "English", "es": "español",
             "nl": "Nederlands", "it": "italiano", "de": "Deutsch"}
    for language in reference.languages:
        texts = catalog[language.code]
        values = prompt_catalog.placeholder_values(reference, texts)
        spoken = prompt_catalog.fill(texts.prompts[Prompt.LANGUAGE_OPTION], values, "")
        assert names[language.code] in spoken
        assert re.findall(r"\d", spoken) == [language.digit]


def test_placeholders_follow_the_configuration(catalog: dict[str, LanguageTexts], tmp_path: Path) -> None:
    config = tmp_path / "cityhall.toml"
    config.write_text(MINI_CALLCENTER, encoding="utf-8")
    deployment = Deployment.from_callcenter(load_callcenter(config))
    assert (deployment.open_s, deployment.close_s) == (9 * 3600 + 1800, 17 * 3600 + 900)  # most common weekday
    values = prompt_catalog.placeholder_values(deployment, catalog["fr"])
    after_hours = prompt_catalog.fill(catalog["fr"].prompts[Prompt.AFTER_HOURS], values, "")
    assert "de 9 heures 30 à 17 heures 15" in after_hours
    assert "mairie.example" in after_hours
    assert values["digit"] == "7"
    hint = prompt_catalog.fill(catalog["fr"].prompts[Prompt.LANGUAGE_CHANGE_HINT], values, "")
    assert hint.endswith("tapez 0.")


def test_spoken_time_per_language(catalog: dict[str, LanguageTexts]) -> None:
    def spoken(code: str, hours: int, minutes: int = 0) -> str:
        return prompt_catalog.spoken_time(hours * 3600 + minutes * 60, catalog[code].time)

    assert (spoken("en", 8), spoken("en", 20), spoken("en", 12, 30), spoken("en", 0)) == (
        "8 a.m.", "8 p.m.", "12 30 p.m.", "12 a.m.")
    assert spoken("fr", 20, 30) == "20 heures 30"
    assert spoken("de", 8) == "8 Uhr"
    assert prompt_catalog.spoken_time(8 * 3600 + 5 * 60, {}) == "8:05"


def test_unknown_or_malformed_placeholder_is_an_error(tmp_path: Path, reference: Deployment) -> None:
    texts = LanguageTexts("en", prompts={key.value: "ok" for key in Prompt} | {"greeting": "Hello {nope}"})
    with pytest.raises(prompt_catalog.CatalogError, match=r"\{nope\}"):
        prompt_catalog.fill(texts.prompts["greeting"], prompt_catalog.placeholder_values(reference, texts), "en.toml")
    with pytest.raises(prompt_catalog.CatalogError, match="malformed"):
        prompt_catalog.fill("Hello {", {}, "en.toml")
    results = checking.check({"en": texts}, Deployment((VoiceLanguage("en", "1", "en"),), "x", 0, 0), tmp_path)
    assert any("{nope}" in error for error in results[0].errors)


def copy_catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    shutil.copytree(prompt_catalog.CATALOG_DIR, folder)
    return folder


def test_check_command_fails_naming_a_missing_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_catalog(tmp_path)
    german = folder / "de.toml"
    german.write_text(
        "\n".join(line for line in german.read_text(encoding="utf-8").splitlines()
                  if not line.startswith("survey_thanks =")),
        encoding="utf-8",
    )
    assert prompts_cli.main(["check", "--catalog", str(folder), "--recorded", str(tmp_path / "none")]) == 1
    output = capsys.readouterr().out
    assert "de   FAIL" in output and "survey_thanks" in output
    assert "fr   ok" in output


def test_check_command_passes_on_the_reference_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert prompts_cli.main(["check"]) == 0
    output = capsys.readouterr().out
    assert "fallback audio until recorded" in output  # Amazigh has no voice


def test_check_reports_missing_pieces_scripts_and_stray_recordings(tmp_path: Path) -> None:
    recorded = tmp_path / "recorded"
    (recorded / "zgh").mkdir(parents=True)
    (recorded / "zgh" / "greeting.wav").write_bytes(b"")
    (recorded / "zgh" / "greting.wav").write_bytes(b"")  # typo: no such key
    catalog = {
        "fr": LanguageTexts("fr", prompts={key.value: "ok" for key in Prompt} | {"old_key": "x"},
                            numbers={"0": "zéro"}),
        "zgh": LanguageTexts("zgh", prompts={key.value: "ⴰⵣⵓⵍ" for key in Prompt},
                             latin={"greeting": "Azul", "goodbye": "Ar"}),
    }
    deployment = Deployment(
        (VoiceLanguage("fr", "1", "fr"), VoiceLanguage("zgh", "2", None, "fr"), VoiceLanguage("de", "3", "de")),
        "x", 0, 0,
    )
    fr, zgh, de = checking.check(catalog, deployment, recorded)
    assert any(error.startswith("missing number pieces: 1, 2") for error in fr.errors)
    assert fr.warnings == ["texts for keys no flow plays: old_key"]
    assert any("Tifinagh differs" in error and "goodbye" in error for error in zgh.errors)
    assert any("missing Latin" in error for error in zgh.errors)
    assert zgh.recorded == 1
    assert zgh.line().startswith(f"zgh  FAIL: 1/{len(planning.output_names('zgh'))} recorded; not recorded: ")
    assert "greeting" not in zgh.line() and "language_option" in zgh.line()
    assert any("greting.wav" in warning for warning in zgh.warnings)
    assert de.errors == ["no catalog file de.toml"]


def test_catalog_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "fr.toml").write_text("[prompts]\ngreeting = 3\n", encoding="utf-8")
    with pytest.raises(prompt_catalog.CatalogError, match=r"fr.toml: \[prompts\]"):
        prompt_catalog.load_catalog(tmp_path)
    (tmp_path / "fr.toml").write_text("[sounds]\n", encoding="utf-8")
    with pytest.raises(prompt_catalog.CatalogError, match="unknown table"):
        prompt_catalog.load_catalog(tmp_path)
    (tmp_path / "fr.toml").write_text("greeting = \n", encoding="utf-8")
    assert prompts_cli.main(["check", "--catalog", str(tmp_path)]) == 1
    assert "fr.toml" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "n", "pieces"),
    [
        ("fr", 21, ["20", "et", "1"]),
        ("fr", 70, ["60", "10"]),
        ("fr", 71, ["60", "et", "11"]),
        ("fr", 77, ["60", "17"]),
        ("fr", 80, ["80"]),
        ("fr", 81, ["80", "1"]),
        ("fr", 91, ["80", "11"]),
        ("fr", 200, ["2", "100"]),
        ("de", 21, ["ein", "und", "20"]),
        ("de", 1, ["1"]),
        ("de", 101, ["ein", "hundert", "1"]),
        ("nl", 21, ["1", "en", "20"]),
        ("nl", 145, ["100", "5", "en", "40"]),
        ("en", 115, ["1", "hundred", "and", "15"]),
        ("en", 42, ["40", "2"]),
        ("es", 21, ["21"]),
        ("es", 31, ["30", "y", "1"]),
        ("es", 100, ["100"]),
        ("es", 115, ["ciento", "15"]),
        ("es", 500, ["500"]),
        ("it", 21, ["vent", "1"]),
        ("it", 28, ["vent", "8"]),
        ("it", 23, ["20", "3"]),
        ("it", 300, ["3", "100"]),
        ("ar", 1, ["1"]),
        ("ar", 2, ["2"]),
        ("ar", 11, ["11"]),
        ("ar", 21, ["1", "wa", "20"]),
        ("ar", 105, ["100", "wa", "5"]),
        ("zgh", 21, ["1", "wa", "20"]),  # Amazigh borrows the Arabic numbers
        ("xx", 305, ["3", "0", "5"]),  # a language without rules reads digits
    ],
)
def test_number_composition(language: str, n: int, pieces: list[str]) -> None:
    assert number_pieces(n, language) == pieces


@pytest.mark.parametrize(
    ("language", "n", "pieces"),
    [
        ("fr", 1, ["une", "minute"]),
        ("fr", 21, ["20", "et", "une", "minutes"]),
        ("fr", 81, ["80", "une", "minutes"]),
        ("de", 1, ["eine", "minute"]),
        ("de", 21, ["ein", "und", "20", "minutes"]),
        ("es", 1, ["un", "minute"]),
        ("es", 21, ["veintiun", "minutes"]),
        ("es", 41, ["40", "y", "un", "minutes"]),
        ("it", 1, ["un", "minute"]),
        ("en", 1, ["1", "minute"]),
        ("nl", 3, ["3", "minutes"]),
        ("ar", 1, ["minute_1"]),
        ("ar", 2, ["minutes_2"]),
        ("ar", 3, ["f3", "minutes_pl"]),
        ("ar", 10, ["f10", "minutes_pl"]),
        ("ar", 11, ["f11", "minute_acc"]),
        ("ar", 21, ["f1", "wa", "20", "minute_acc"]),
        ("xx", 12, ["1", "2", "minutes"]),
    ],
)
def test_minutes_composition(language: str, n: int, pieces: list[str]) -> None:
    assert minutes_pieces(n, language) == pieces


def test_numbers_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="spoken range"):
        number_pieces(1000, "fr")
    with pytest.raises(ValueError, match="spoken range"):
        number_pieces(-1, "fr")
    with pytest.raises(ValueError, match="less than a minute"):
        minutes_pieces(0, "fr")


def test_announcements_are_sound_names() -> None:
    assert sound(Prompt.GREETING) == "ivr/greeting"
    assert sound(Prompt.LANGUAGE_OPTION, "fr") == "fr/ivr/language_option"
    assert position_sounds(1, "fr") == [sound(Prompt.QUEUE_NEXT)]
    assert position_sounds(71, "fr") == [sound(Prompt.QUEUE_POSITION), "ivr/num_60", "ivr/num_et", "ivr/num_11"]
    assert position_sounds(5000, "en") == [sound(Prompt.QUEUE_POSITION),
                                           *map(number_sound, ["9", "hundred", "and", "90", "9"])]
    assert wait_time_sounds(0, "de") == [sound(Prompt.WAIT_TIME), sound(Prompt.WAIT_LESS_THAN_MINUTE)]
    assert wait_time_sounds(61, "de") == [sound(Prompt.WAIT_TIME), "ivr/num_2", "ivr/num_minutes"]
    assert wait_time_sounds(60, "ar") == [sound(Prompt.WAIT_TIME), "ivr/num_minute_1"]
    assert digit_sounds("07-1x") == ["ivr/num_0", "ivr/num_7", "ivr/num_1"]


# ---------------------------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------------------------


def write_tone(path: Path, rate: int = 16000, channels: int = 2, frames: int = 1600) -> None:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        sample = struct.pack("<h", 3000)
        audio.writeframes(sample * channels * frames)


class ToneEngine:
    """Writes a short 16 kHz stereo tone for any text, and remembers what it was asked to say."""

    suffix = ".wav"

    def __init__(self, name: str = "tone", reachable: bool = True) -> None:
        self.name, self.reachable = name, reachable
        self.spoken: list[tuple[str, str]] = []

    def available(self) -> bool:
        return self.reachable

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        self.spoken.append((voice, text))
        write_tone(dest)


class BrokenEngine:
    """Fails the way gTTS does without network: a partial (here: garbage) file, then an exception."""

    name = "broken"
    suffix = ".mp3"

    def __init__(self, leave: bytes = b"ID3\x00partial") -> None:
        self.leave = leave
        self.calls = 0

    def available(self) -> bool:
        return True

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        self.calls += 1
        dest.write_bytes(self.leave)
        raise SynthesisError("Failed to connect")


class SilentEngine:
    """Returns without error but writes nothing."""

    name = "silent"
    suffix = ".wav"

    def available(self) -> bool:
        return True

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        pass


def assert_telephone_wav(path: Path) -> None:
    with wave.open(str(path), "rb") as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() > 0


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


ITEMS = [Item("en", "greeting", text="Hello.", voice="en"), Item("en", "goodbye", text="Goodbye.", voice="en")]


@needs_sox
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (make system-deps)")
def test_espeak_build_makes_telephone_wavs_and_a_second_build_reuses_them(
    catalog: dict[str, LanguageTexts], tmp_path: Path
) -> None:
    deployment = Deployment((VoiceLanguage("ar", "1", "ar"), VoiceLanguage("zgh", "2", None, "ar")), "x.ma",
                            8 * 3600, 20 * 3600)
    items = planning.plan(catalog, deployment, tmp_path / "recorded")
    out = tmp_path / "sounds"
    report = Builder(out, [EspeakEngine()]).run(items, Progress(io.StringIO(), len(items)))
    assert report.failed == [] and report.missing == []
    # Amazigh's language option is said by the Arabic voice naming Amazigh and its own key; the rest is copied.
    assert len(report.built) == len(items) // 2 + 1 == report.engines["espeak-ng"]
    assert len(report.fallback) == len(items) // 2 - 1
    for path in (out / "ar" / "ivr").glob("*.wav"):
        assert_telephone_wav(path)
    # Amazigh callers hear the Arabic audio, numbers included, until recordings exist.
    for name in ("greeting.wav", "num_f11.wav"):
        assert (out / "zgh" / "ivr" / name).read_bytes() == (out / "ar" / "ivr" / name).read_bytes()
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["files"]["zgh/greeting"]["source"] == "fallback:ar"
    option = next(item for item in items if item.label == "zgh/language_option")
    assert (option.voice, option.fallback) == ("ar", None)
    assert option.text is not None and "الأَمَازِيغِيَّةِ" in option.text and option.text.endswith("2.")

    again = Builder(out, [EspeakEngine()]).run(items, Progress(io.StringIO(), len(items)))
    assert (len(again.reused), again.built, again.fallback) == (len(items), [], [])


@needs_sox
def test_only_changed_texts_are_rebuilt(tmp_path: Path) -> None:
    engine = ToneEngine()
    Builder(tmp_path, [engine]).run(ITEMS, Progress(io.StringIO(), 2))
    changed = [ITEMS[0], Item("en", "goodbye", text="Bye now.", voice="en")]
    report = Builder(tmp_path, [engine]).run(changed, Progress(io.StringIO(), 2))
    assert (report.built, report.reused) == (["en/goodbye"], ["en/greeting"])
    assert len(engine.spoken) == 3 and engine.spoken[-1] == ("en", "Bye now.")
    (tmp_path / "en" / "ivr" / "greeting.wav").unlink()  # a file deleted by hand is made again
    assert Builder(tmp_path, [engine]).run(changed, Progress(io.StringIO(), 2)).built == ["en/greeting"]


@needs_sox
def test_a_recording_wins_over_synthesis_and_over_the_fallback(tmp_path: Path) -> None:
    recorded = tmp_path / "recorded"
    (recorded / "en").mkdir(parents=True)
    (recorded / "zgh").mkdir(parents=True)
    write_tone(recorded / "en" / "greeting.wav", rate=44100, channels=2)
    write_tone(recorded / "zgh" / "goodbye.wav", rate=22050, channels=1, frames=2205)
    texts = {"en": LanguageTexts("en", prompts={"greeting": "Hello.", "goodbye": "Goodbye."})}
    deployment = Deployment((VoiceLanguage("en", "1", "en"), VoiceLanguage("zgh", "2", None, "en")), "x", 0, 0)
    items = [item for item in planning.plan(texts, deployment, recorded) if item.name in {"greeting", "goodbye"}]
    out = tmp_path / "sounds"
    engine = ToneEngine()
    report = Builder(out, [engine]).run(items, Progress(io.StringIO(), len(items)))
    assert sorted(report.recorded) == ["en/greeting", "zgh/goodbye"]
    assert (report.built, report.fallback) == (["en/goodbye"], ["zgh/greeting"])
    assert engine.spoken == [("en", "Goodbye.")]  # nobody synthesised the recorded greeting
    for path in (out / "en" / "ivr" / "greeting.wav", out / "zgh" / "ivr" / "goodbye.wav"):
        assert_telephone_wav(path)
    with wave.open(str(out / "zgh" / "ivr" / "goodbye.wav"), "rb") as audio:
        # 0.1 s at 22.05 kHz is 0.1 s at 8 kHz (the recording, not a tone), plus the prompt padding.
        assert audio.getnframes() == 800 + round(sum(levels.PROMPT_PAD) * 8000)
    assert (out / "zgh" / "ivr" / "greeting.wav").read_bytes() == (out / "en" / "ivr" / "greeting.wav").read_bytes()

    # A new take of the recording is picked up; everything else is reused.
    write_tone(recorded / "en" / "greeting.wav", rate=8000, channels=1, frames=400)
    again = Builder(out, [engine]).run(items, Progress(io.StringIO(), len(items)))
    assert again.recorded == ["en/greeting"]
    assert again.fallback == ["zgh/greeting"]  # its source changed, so the copy follows
    assert sorted(again.reused) == ["en/goodbye", "zgh/goodbye"]


@needs_sox
def test_a_failing_engine_leaves_no_empty_or_partial_file(tmp_path: Path) -> None:
    broken = BrokenEngine()
    report = Builder(tmp_path, [broken, SilentEngine()]).run(ITEMS, Progress(io.StringIO(), 2))
    assert sorted(label for label, _ in report.failed) == ["en/goodbye", "en/greeting"]
    assert "Failed to connect" in report.failed[0][1] and "empty" in report.failed[0][1]
    assert broken.calls == 2
    assert files_under(tmp_path) == [MANIFEST_NAME]  # no temporary, empty or partial file anywhere

    # A good file survives a failed rebuild of a changed text (and stays marked as the old text).
    Builder(tmp_path, [ToneEngine()]).run(ITEMS, Progress(io.StringIO(), 2))
    before = (tmp_path / "en" / "ivr" / "greeting.wav").read_bytes()
    changed = [Item("en", "greeting", text="Hi.", voice="en")]
    assert Builder(tmp_path, [broken]).run(changed, Progress(io.StringIO(), 1)).failed
    assert (tmp_path / "en" / "ivr" / "greeting.wav").read_bytes() == before
    assert files_under(tmp_path / "en") == sorted(f"ivr/{name}.{extension}" for name in ("goodbye", "greeting")
                                                  for extension in prompt_audio.FORMATS)
    assert Builder(tmp_path, [ToneEngine()]).run(changed, Progress(io.StringIO(), 1)).built == ["en/greeting"]


class MuteEngine(ToneEngine):
    """A well-formed WAV holding no audio at all: sox converts it happily, the check must not."""

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        write_tone(dest, frames=0)


@needs_sox
def test_a_file_without_audio_is_never_installed(tmp_path: Path) -> None:
    report = Builder(tmp_path, [MuteEngine("mute")]).run(ITEMS[:1], Progress(io.StringIO(), 1))
    assert [label for label, _ in report.failed] == ["en/greeting"]
    assert "0 frames" in report.failed[0][1]
    assert files_under(tmp_path) == [MANIFEST_NAME]


class PaddedEngine(ToneEngine):
    """0.3 s of silence, 0.2 s of tone, 0.3 s of silence at 8 kHz: how espeak-ng frames a word."""

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        with wave.open(str(dest), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            silence, tone = struct.pack("<h", 0) * 2400, struct.pack("<hh", 6000, -6000) * 800
            audio.writeframes(silence + tone + silence)


@needs_sox
def test_number_pieces_are_trimmed_so_they_join_up(tmp_path: Path) -> None:
    items = [Item("fr", "num_et", text="et", voice="fr"), Item("fr", "goodbye", text="Au revoir.", voice="fr")]
    Builder(tmp_path, [PaddedEngine("padded")]).run(items, Progress(io.StringIO(), 2))
    with wave.open(str(tmp_path / "fr" / "ivr" / "num_et.wav"), "rb") as piece:
        assert 0.2 <= piece.getnframes() / 8000 < 0.3
    with wave.open(str(tmp_path / "fr" / "ivr" / "goodbye.wav"), "rb") as prompt:
        # prompts are trimmed too, with a little more air around them than number pieces
        sound = prompt.getnframes() - round(sum(levels.PROMPT_PAD) * 8000)
        assert 1600 <= sound <= 1600 + 2 * levels.BLOCK_S * 8000  # the tone, give or take one block each side


@needs_sox
def test_unreadable_audio_is_refused(tmp_path: Path) -> None:
    not_audio = tmp_path / "bad.wav"
    not_audio.write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(SynthesisError):
        prompt_audio.convert(not_audio, tmp_path / "out.wav")
    with pytest.raises(SynthesisError, match="not a WAV"):
        prompt_audio.validate_wav(not_audio)
    write_tone(tmp_path / "wide.wav", rate=16000, channels=2)
    with pytest.raises(SynthesisError, match="expected 8 kHz mono"):
        prompt_audio.validate_wav(tmp_path / "wide.wav")


@needs_sox
def test_the_best_reachable_engine_is_used_and_an_offline_file_is_upgraded_later(tmp_path: Path) -> None:
    online, offline = ToneEngine("online", reachable=False), ToneEngine("offline")
    first = Builder(tmp_path, [online, offline]).run(ITEMS, Progress(io.StringIO(), 2))
    assert first.engines == {"offline": 2} and online.spoken == []
    # Still offline: reused. Online again: rebuilt with the better engine. Then reused again.
    assert len(Builder(tmp_path, [online, offline]).run(ITEMS, Progress(io.StringIO(), 2)).reused) == 2
    online.reachable = True
    assert Builder(tmp_path, [online, offline]).run(ITEMS, Progress(io.StringIO(), 2)).engines == {"online": 2}
    online.reachable = False
    assert len(Builder(tmp_path, [online, offline]).run(ITEMS, Progress(io.StringIO(), 2)).reused) == 2
    # An engine that fails per prompt hands over to the next one, and is dropped after 3 failures in a row.
    broken = BrokenEngine()
    many = [Item("en", f"num_{n}", text=str(n), voice="en") for n in range(6)]
    mixed = Builder(tmp_path / "mixed", [broken, offline], jobs=1).run(many, Progress(io.StringIO(), 6))
    assert mixed.engines == {"offline": 6} and mixed.failed == []
    assert broken.calls == 3


def test_without_text_or_fallback_a_file_is_reported_missing(tmp_path: Path) -> None:
    items = [Item("en", "greeting", voice="en"), Item("zgh", "greeting", fallback="en")]
    report = Builder(tmp_path, []).run(items, Progress(io.StringIO(), 2))
    assert report.missing == ["en/greeting", "zgh/greeting"]
    assert "2 missing" in report.summary()


def test_a_corrupt_manifest_means_rebuild_not_crash(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    assert prompt_build.load_manifest(tmp_path) == {}
    (tmp_path / MANIFEST_NAME).write_text('{"version": 99, "files": {}}', encoding="utf-8")
    assert prompt_build.load_manifest(tmp_path) == {}


def test_progress_bar_only_on_a_terminal() -> None:
    shown = io.StringIO()
    bar = Progress(shown, 4, enabled=True)
    for label in ("en/a", "en/b"):
        bar.step(label)
    bar.close()
    assert "\r[" + "#" * 15 + "." * 15 + "] 2/4 en/b" in shown.getvalue()
    assert shown.getvalue().endswith("\n")
    quiet = io.StringIO()
    bar = Progress(quiet, 4)  # a StringIO is not a terminal
    bar.step("en/a")
    bar.close()
    assert quiet.getvalue() == ""


def test_gtts_probe_is_quick_and_bounded() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert prompt_engines.tcp_reachable("127.0.0.1", port, 1.0)
    started = time.monotonic()
    assert not prompt_engines.GttsEngine("127.0.0.1", port, probe_timeout_s=1.0).available()  # closed now
    assert time.monotonic() - started < 1.5
    assert [engine.name for engine in prompt_engines.default_engines(offline=False)] == ["gtts", "espeak-ng"]
    assert [engine.name for engine in prompt_engines.default_engines(offline=True)] == ["espeak-ng"]


@needs_sox
def test_build_command_follows_the_configured_languages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "cityhall.toml"
    config.write_text(MINI_CALLCENTER, encoding="utf-8")
    out = tmp_path / "sounds"
    engine = ToneEngine()
    argv = ["build", "--config", str(config), "--out", str(out), "--recorded", str(tmp_path / "none"), "--jobs", "2"]
    # Amazigh numbers are the Arabic pieces, and this city hall has no Arabic: reported, and the build fails.
    assert prompts_cli.main(argv, engines=[engine]) == 1
    captured = capsys.readouterr()
    built = len(planning.output_names("fr"))
    assert f"{built} built (tone {built}), 0 reused, 0 from recordings, {len(Prompt)} from a fallback" in captured.out
    assert "missing: zgh/num_" in captured.err
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "fr", "zgh"]
    assert ("fr", "Pour le français, tapez 7.") in engine.spoken  # the city hall's own digit
    assert any("mairie.example" in text for _, text in engine.spoken)
    assert (out / "zgh" / "ivr" / "greeting.wav").read_bytes() == (out / "fr" / "ivr" / "greeting.wav").read_bytes()


def test_build_command_without_sox_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it: no sox, no espeak-ng
    assert prompts_cli.main(["build", "--out", str(tmp_path / "out")]) == 1
    assert "sox" in capsys.readouterr().err


@needs_sox
def test_install_into_the_sandbox_sounds_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IVR_ASTERISK_ROOT", str(tmp_path / "root"))
    config = tmp_path / "cityhall.toml"
    config.write_text(MINI_CALLCENTER.replace('audio_fallback = "fr"', 'tts_voice = "fr"'), encoding="utf-8")
    argv = ["build", "--sandbox", "--config", str(config), "--recorded", str(tmp_path / "none")]
    assert prompts_cli.main(argv, engines=[ToneEngine()]) == 1  # zgh numbers borrow the absent Arabic pieces
    sounds = tmp_path / "root" / "usr" / "share" / "asterisk" / "sounds"
    assert_telephone_wav(sounds / "fr" / "ivr" / "greeting.wav")
    assert str(sounds) in capsys.readouterr().out


@needs_sox
def test_install_api_builds_a_call_center(tmp_path: Path) -> None:
    config = tmp_path / "cityhall.toml"
    config.write_text(MINI_CALLCENTER, encoding="utf-8")
    report = prompt_build.install(tmp_path / "sounds", load_callcenter(config), engines=[ToneEngine()],
                               recorded_dir=tmp_path / "none")
    assert len(report.built) == len(planning.output_names("fr"))
    assert_telephone_wav(tmp_path / "sounds" / "zgh" / "ivr" / "after_hours.wav")


def test_flows_name_prompts_through_the_catalog_only() -> None:
    # Issue 5: no prompt name is a bare string in the flows, so `ivr prompts check` knows every key they play.
    flows = sorted((prompt_catalog.PROJECT_DIR / "ivr" / "flows").glob("*.py"))
    assert flows
    for path in flows:
        assert not re.search(r"""["']ivr/""", path.read_text(encoding="utf-8")), path.name

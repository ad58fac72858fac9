"""Recording prompts by phone: the record_prompts flow on a FakeChannel with a fake studio, and the file studio
(promptgen/studio.py) storing takes and rebuilding prompts with real sox and a tone engine."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import shutil
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from callcenter.loading import load_callcenter
from ivr.adapters import prompt_studio as talents_file
from ivr.fake_channel import FakeChannel
from ivr.flows import record_prompts
from ivr.prompts import Prompt, sound
from ivr.settings import Settings
from ivr.studio import StudioError, Talent, prompt_by_number, prompt_number
from ivr.wiring import prompt_studio
from promptgen import studio
from promptgen.build import MANIFEST_NAME
from tests.unit.flow_helpers import make_context

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (make system-deps)")
AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
FATIMA = Talent("1001", "Fatima")


@dataclasses.dataclass
class FakeStudio:
    takes_dir: str = "/spool/takes"
    talents: dict[tuple[str, str], Talent] = dataclasses.field(
        default_factory=lambda: {("1001", "2468"): FATIMA, ("2002", "1357"): Talent("2002", "Idir", ("zgh",))})
    accepted: list[tuple[str, Prompt, Path, str]] = dataclasses.field(default_factory=list)
    fail: bool = False

    async def authenticate(self, number: str, pin: str) -> Talent | None:
        return self.talents.get((number, pin))

    async def accept(self, *, language: str, key: Prompt, take: Path, talent: Talent, at: datetime) -> None:
        if self.fail:
            raise StudioError("disk full")
        self.accepted.append((language, key, take, talent.label))


def test_prompts_are_numbered_from_one_in_catalog_order() -> None:
    assert prompt_by_number("1") is Prompt.GREETING and prompt_number(Prompt.GREETING) == 1
    last = list(Prompt)[-1]
    assert prompt_by_number(str(prompt_number(last))) is last
    for typed in ("", "0", str(len(Prompt) + 1), "1#", "١"):
        assert prompt_by_number(typed) is None


async def test_a_talent_records_listens_re_records_and_accepts(tmp_path: Path) -> None:
    fake = FakeStudio()
    ctx = dataclasses.replace(make_context(tmp_path), studio=fake)
    # number, PIN, French (3), prompt 1, review: listen (2), re-record (3), accept (1); then silence: done
    channel = FakeChannel(["1001", "2468", "3", "1", "2", "3", "1", ""])
    await record_prompts.run(channel, ctx)
    take = "/spool/takes/take-1700000000_1-fr-greeting"
    assert fake.accepted == [("fr", Prompt.GREETING, Path(f"{take}.wav"), "Fatima (1001)")]
    assert channel.recordings == [f"{take}.wav", f"{take}.wav"]
    assert sound(Prompt.GREETING, "fr") in channel.played  # the text to read, as it plays today
    assert channel.played.index(take) > channel.played.index(record_prompts.REVIEW)  # listened
    assert channel.played[-3:] == [record_prompts.SAVED, record_prompts.CHOOSE, record_prompts.GOODBYE]


async def test_three_wrong_pins_end_the_call_without_recording(tmp_path: Path) -> None:
    fake = FakeStudio()
    ctx = dataclasses.replace(make_context(tmp_path), studio=fake)
    channel = FakeChannel(["1001", "0000", "1001", "1111", "", ""])
    await record_prompts.run(channel, ctx)
    assert channel.played.count(record_prompts.WRONG) == 3
    assert channel.recordings == [] and channel.played[-1] == record_prompts.GOODBYE


async def test_a_talent_for_one_language_skips_the_menu_and_nothing_runs_without_a_studio(tmp_path: Path) -> None:
    fake = FakeStudio()
    ctx = dataclasses.replace(make_context(tmp_path), studio=fake)
    channel = FakeChannel(["2002", "1357", "99", ""])  # 99: no such prompt, ends like silence
    await record_prompts.run(channel, ctx)
    assert not any("language_option" in name for name in channel.played)
    assert channel.recordings == []
    none = FakeChannel([])
    await record_prompts.run(none, make_context(tmp_path))
    assert none.played == [record_prompts.GOODBYE] and none.answered


async def test_a_failing_studio_is_logged_and_the_review_survives_stray_keys(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = dataclasses.replace(make_context(tmp_path), studio=FakeStudio(fail=True))
    channel = FakeChannel(["1001", "2468", "3", "5", "7", "1"])
    await record_prompts.run(channel, ctx)
    assert record_prompts.INVALID in channel.played  # 7 is no review choice
    assert "prompt recording failed" in caplog.text


async def test_a_take_abandoned_at_the_review_is_not_stored(tmp_path: Path) -> None:
    fake = FakeStudio()
    ctx = dataclasses.replace(make_context(tmp_path), studio=fake)
    channel = FakeChannel(["1001", "2468", "1", "1", "", ""])
    await record_prompts.run(channel, ctx)
    assert fake.accepted == [] and len(channel.recordings) == 1


# --- the file studio -----------------------------------------------------------------------------------------


def write_wav(path: Path, samples: list[int], rate: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))


def speech_like(seconds: float, amplitude: int, rate: int = 8000) -> list[int]:
    return [round(amplitude * math.sin(2 * math.pi * 300 * n / rate) * math.sin(math.pi * n / (seconds * rate)))
            for n in range(int(seconds * rate))]


class ToneEngine:
    name, suffix = "tone", ".wav"

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def available(self) -> bool:
        return True

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        self.spoken.append(f"{voice}:{text}")
        write_wav(dest, speech_like(0.6, 3000))


def test_pins_are_hashed_and_checked(tmp_path: Path) -> None:
    hashed = talents_file.hash_pin("2468")
    assert "2468" not in hashed
    path = tmp_path / "talents.toml"
    path.write_text(f'[talents.1001]\nname = "Fatima"\npin_hash = "{hashed}"\nlanguages = ["zgh"]\n')
    talents = talents_file.load_talents(path)
    assert talents_file.verify(talents, "1001", "2468") == Talent("1001", "Fatima", ("zgh",))
    assert talents_file.verify(talents, "1001", "2469") is None and talents_file.verify(talents, "9", "2468") is None
    with pytest.raises(ValueError):
        talents_file.hash_pin("12")
    path.write_text('[talents.boss]\nname = "x"\n')
    with pytest.raises(StudioError, match="digits"):
        talents_file.load_talents(path)
    path.write_text('[talents.1]\nname = 3\n')
    with pytest.raises(StudioError, match="pin_hash"):
        talents_file.load_talents(path)
    with pytest.raises(StudioError):
        talents_file.load_talents(tmp_path / "absent.toml")


@needs_sox
async def test_an_accepted_take_becomes_the_prompt_in_every_codec_and_for_its_followers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    callcenter = load_callcenter()
    sounds, recorded = tmp_path / "sounds", tmp_path / "recorded"
    monkeypatch.setenv("IVR_SOUNDS_DIR", str(sounds))  # what `ivr prompts store` (a child process) reads
    monkeypatch.setenv("IVR_RECORDED_DIR", str(recorded))
    engine = ToneEngine()
    talents = tmp_path / "talents.toml"
    talents.write_text(f'[talents.1001]\nname = "Fatima"\npin_hash = "{talents_file.hash_pin("2468")}"\n')
    file_studio = talents_file.FileStudio(talents_file=talents, takes=str(tmp_path))
    talent = await file_studio.authenticate("1001", "2468")
    assert talent is not None and await file_studio.authenticate("1001", "1") is None
    # Arabic greeting synthesised first (Amazigh copies it), then a take recorded in Arabic replaces both.
    studio.rebuild(sounds, callcenter, recorded, "ar", "greeting", engines=[engine])
    before = (sounds / "zgh" / "ivr" / "greeting.alaw").read_bytes()
    take = tmp_path / "take.wav"
    write_wav(take, [0] * 8000 + speech_like(1.0, 800) + [0] * 8000)
    await file_studio.accept(language="ar", key=Prompt.GREETING, take=take, talent=talent, at=AT)
    assert not take.exists()
    stored = recorded / "ar" / "greeting.wav"
    meta = studio.recording_meta(recorded, "ar", "greeting")
    assert meta is not None and (meta["by"], meta["via"], meta["at"]) == ("Fatima (1001)", "phone",
                                                                           "2026-11-30T15:00:00+00:00")
    with wave.open(str(stored), "rb") as kept:  # trimmed: the two seconds of silence are gone
        assert kept.getnframes() / kept.getframerate() < 1.3
    manifest = json.loads((sounds / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    assert manifest["ar/greeting"]["source"] == "recorded"
    assert manifest["zgh/greeting"]["source"] == "fallback:ar"
    after = (sounds / "zgh" / "ivr" / "greeting.alaw").read_bytes()
    assert after != before and after == (sounds / "ar" / "ivr" / "greeting.alaw").read_bytes()
    listed = studio.catalog_entries(callcenter, recorded, sounds)
    entries = {(e["language"], e["key"]): e for e in listed["prompts"]}  # type: ignore[attr-defined]
    assert entries[("ar", "greeting")]["source"] == "recorded" and entries[("ar", "greeting")]["built"]
    amazigh = entries[("zgh", "greeting")]
    assert (amazigh["source"], amazigh["fallback_from"]) == ("fallback", "ar")
    assert {"language": "ar", "total": 39, "recorded": 1, "fallback_from": None} in listed["coverage"]  # type: ignore[operator]

    # A take that is not audio: the command refuses it (exit 2), the flow hears a StudioError.
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(StudioError, match="not audio"):
        await file_studio.accept(language="ar", key=Prompt.GOODBYE, take=garbage, talent=talent, at=AT)

    # Revert: the recording goes, synthesis comes back.
    assert studio.remove_recording(recorded, "ar", "greeting") and not stored.exists()
    assert not studio.remove_recording(recorded, "ar", "greeting")
    studio.rebuild(sounds, callcenter, recorded, "ar", "greeting", engines=[engine])
    assert json.loads((sounds / MANIFEST_NAME).read_text())["files"]["ar/greeting"]["source"] == "tone"


@needs_sox
def test_the_store_list_and_revert_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from promptgen import cli

    places = ["--recorded", str(tmp_path / "recorded"), "--sounds", str(tmp_path / "sounds")]
    take = tmp_path / "take.wav"
    write_wav(take, speech_like(1.0, 3000))
    assert cli.main(["store", *places, "fr", "goodbye", str(take), "--by", "Idir", "--via", "file"]) == 0
    assert cli.main(["list", *places]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])
    goodbye = next(e for e in listed["prompts"] if (e["language"], e["key"]) == ("fr", "goodbye"))
    assert (goodbye["source"], goodbye["recorded_by"], goodbye["recorded_via"]) == ("recorded", "Idir", "file")
    assert cli.main(["revert", *places, "fr", "goodbye"]) == 0
    assert cli.main(["revert", *places, "fr", "goodbye"]) == 2
    silent = tmp_path / "silent.wav"
    write_wav(silent, [0] * 800)
    assert cli.main(["store", *places, "fr", "goodbye", str(silent), "--by", "x"]) == 2
    assert "refused: no speech" in capsys.readouterr().err


@needs_sox
def test_silence_or_garbage_is_never_stored(tmp_path: Path) -> None:
    silent, garbage = tmp_path / "silent.wav", tmp_path / "garbage.wav"
    write_wav(silent, [0] * 8000)
    garbage.write_bytes(b"RIFF....WAVEjunk")
    for take, message in ((silent, "no speech"), (garbage, "not audio")):
        with pytest.raises(StudioError, match=message):
            studio.store_recording(tmp_path / "rec", "fr", "greeting", take, by="x", via="file", at=AT)
    with pytest.raises(StudioError, match="no prompt"):
        studio.store_recording(tmp_path / "rec", "fr", "nope", silent, by="x", via="file", at=AT)
    assert not (tmp_path / "rec" / "fr").exists() or list((tmp_path / "rec" / "fr").iterdir()) == []


def test_the_studio_is_wired_only_with_a_talents_file(tmp_path: Path) -> None:
    assert prompt_studio(Settings()) is None
    wired = prompt_studio(Settings(prompt_talents=tmp_path / "t.toml", voicemail_dir=tmp_path))
    assert wired is not None and wired.takes_dir == str(tmp_path)


def test_the_pin_hash_command_prints_a_hash_and_refuses_short_pins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from promptgen import cli

    monkeypatch.setattr("sys.stdin", io.StringIO("2468\n"))
    assert cli.main(["pin-hash"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("$argon2") and talents_file.verify(
        {"1": talents_file.TalentEntry(Talent("1", "x"), printed)}, "1", "2468") is not None
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert cli.main(["pin-hash"]) == 1

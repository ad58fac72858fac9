"""Recording a prompt by phone through the real Asterisk (issue 18): a voice talent dials the recording number,
keys their number and PIN, picks French and prompt 1 (the greeting), speaks (SIPp plays real A-law speech),
accepts; the next caller hears the recording, played from the codec-native file (Asterisk's log names it)."""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ivr.adapters.prompt_studio import hash_pin
from promptgen import studio
from promptgen.build import MANIFEST_NAME, load_manifest
from sandbox.ami import AmiClient
from sandbox.paths import SOUNDS_DIR
from sandbox.sipp import CallerScript
from tests.asterisk.conftest import OPEN_AT, AgiServer, Tier, install_test_prompts, place_call
from tests.support.poll import eventually

StartAgi = Callable[[str], AgiServer]
RECORD_NUMBER = "0800100999"


def agi_commands(ami: AmiClient, linkedid: str) -> str:
    """What the flow did on the call, with Asterisk's answers: for a failure message."""
    return "\n".join(f"{event.get('Event')} {event.get('Command', '')} {event.get('Result', '')}"
                     for event in ami.events if event.get("Linkedid") == linkedid
                     and event.get("Event") in {"AGIExecStart", "AGIExecEnd"})


def presses(first_at: float, keys: str, gap: float = 0.6) -> list[tuple[float, str]]:
    return [(first_at + gap * index, key) for index, key in enumerate(keys)]


@pytest.fixture
def sounds_root(tier: Tier) -> Iterator[Path]:
    root = tier.paths.resolve_in_root(SOUNDS_DIR)
    try:
        yield root
    finally:
        (root / MANIFEST_NAME).unlink(missing_ok=True)
        install_test_prompts(tier.paths, tier.callcenter_path)  # the tones again, codec files removed


async def test_a_prompt_recorded_by_phone_is_what_the_next_caller_hears(
    tier: Tier, sounds_root: Path, start_agi: StartAgi, ami: AmiClient, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    talents = tmp_path / "talents.toml"
    talents.write_text(f'[talents.1001]\nname = "Test talent"\npin_hash = "{hash_pin("2468")}"\n')
    recorded = tmp_path / "recorded"
    monkeypatch.setenv("IVR_PROMPT_TALENTS", str(talents))
    monkeypatch.setenv("IVR_RECORDED_DIR", str(recorded))
    monkeypatch.setenv("IVR_SOUNDS_DIR", str(sounds_root))
    server = start_agi(OPEN_AT)
    await ami.action("Setvar", Variable="IVR_RECORD_PROMPTS_NUMBER", Value=RECORD_NUMBER)

    # agent-user (4.9 s) and agent-pass (3.3 s) stop at the first key; the language menu; "beep", then prompt 1;
    # the greeting as it plays today; Record's beep; 7 s of speech; # ends the take; vm-review: 1 accepts.
    keys = (presses(1.0, "1001#") + presses(4.4, "2468#") + [(8.6, "3")] + presses(10.0, "1#")
            + [(21.0, "#"), (22.5, "1")])
    talent_call = CallerScript(caller="+212600000001", dialed=RECORD_NUMBER, keys=tuple(keys), speak_at=13.5,
                               hangup_at=27.0)
    (tmp_path / "talent").mkdir()
    linkedid = await place_call(tier, ami, talent_call, tmp_path / "talent")

    def rebuilt() -> bool:  # the take stored, then the prompt rebuilt from it (`ivr prompts store`)
        entry = load_manifest(sounds_root).get("fr/greeting")
        return entry is not None and entry["source"] == "recorded"

    try:
        await eventually(rebuilt, timeout_s=20, what="fr/greeting rebuilt from the accepted take")
    except AssertionError as failed:
        raise AssertionError(f"{failed}\n{agi_commands(ami, linkedid)}\n{server.log()[-3000:]}") from None
    meta = studio.recording_meta(recorded, "fr", "greeting")
    assert meta is not None and (meta["by"], meta["via"]) == ("Test talent (1001)", "phone"), server.log()
    installed = sounds_root / "fr" / "ivr" / "greeting.wav"
    with wave.open(str(installed), "rb") as greeting:
        seconds = greeting.getnframes() / greeting.getframerate()
    assert 3.0 < seconds < 9.0  # the speech, trimmed: not the 2 s test tone
    for codec in ("alaw", "ulaw", "sln16"):
        assert installed.with_suffix(f".{codec}").is_file()

    messages = tier.paths.log_dir / "messages.log"
    offset = messages.stat().st_size
    caller = CallerScript(caller="+33612345678", keys=(), hangup_at=4.0)
    (tmp_path / "caller").mkdir()
    await place_call(tier, ami, caller, tmp_path / "caller")
    # A PCMA caller: Asterisk opens the .alaw file, no transcoding; the file is the recording installed above.
    played = messages.read_bytes()[offset:].decode(errors="replace")
    assert "Playing 'fr/ivr/greeting.alaw'" in played, played[-3000:]
    assert "prompt recording failed" not in server.log()

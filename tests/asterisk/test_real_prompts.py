"""The real voice prompts (the offline espeak-ng build) through a real call: Asterisk finds every sound the
flows ask for, in the caller's language, so the catalog, the generator's layout and the flows' names agree."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from callcenter.loading import load_callcenter
from promptgen import build as prompt_build
from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript
from tests.asterisk.conftest import (
    OPEN_AT,
    PROJECT,
    AgiServer,
    Tier,
    install_test_prompts,
    place_call,
    sounds_heard,
    variables_set,
)

StartAgi = Callable[[str], AgiServer]

PROMPTS_CACHE = PROJECT / "var" / "prompts-cache"  # incremental: the manifest keeps unchanged prompts
MISSING_FILE_WARNINGS = ("does not exist in any format", "Unable to open")


@pytest.fixture
def real_prompts(tier: Tier) -> Iterator[list[str]]:
    callcenter = load_callcenter(tier.callcenter_path)
    report = prompt_build.install(PROMPTS_CACHE, callcenter, offline=True)
    assert not report.failed and not report.missing, report.summary()
    languages = [language.code for language in callcenter.languages]
    for language in languages:
        for tone in tier.paths.sounds_dir(language).glob("*.wav"):  # no tone may stand in for a missing prompt
            tone.unlink()
        for built in (PROMPTS_CACHE / language / "ivr").glob("*.*"):  # every codec's file
            shutil.copyfile(built, tier.paths.sounds_dir(language) / built.name)
    try:
        yield languages
    finally:
        install_test_prompts(tier.paths, tier.callcenter_path)


def _log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def test_a_call_through_the_real_prompts_misses_no_sound(
    tier: Tier, real_prompts: list[str], start_agi: StartAgi, ami: AmiClient, tmp_path: Path
) -> None:
    messages = tier.paths.log_dir / "messages.log"
    offset = _log_size(messages)
    server = start_agi(OPEN_AT)
    # The caller keeps pressing 3: the first press (in the greeting menu) picks French, the next one request type
    # 3; nobody is logged in to q-fr, so the queue sends the caller on to the voicemail instructions.
    presses = tuple((at, "3") for at in (5.0, 8.0, 11.0, 14.0, 17.0, 20.0, 23.0, 26.0))
    script = CallerScript(caller="+33612345678", keys=presses, hangup_at=36.0)
    linkedid = await place_call(tier, ami, script, tmp_path)
    await server.record_for(linkedid)
    values = variables_set(ami.events, linkedid)
    assert values["IVR_LANG"][-1] == "fr"
    heard = sounds_heard(ami.events, linkedid)
    for sound in ("ivr/greeting", "ivr/request_type_menu", "ivr/voicemail_instructions"):
        assert sound in heard, heard

    new_log = messages.read_bytes()[offset:].decode(errors="replace")
    missing = [line for line in new_log.splitlines() if any(w in line for w in MISSING_FILE_WARNINGS)]
    assert missing == [], "\n".join(missing)
    assert "is missing on the Asterisk host" not in server.log()

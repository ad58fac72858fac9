"""The voice prompts page in headless Chromium (issue 18): every prompt listed with its source and the coverage
per language; a file uploaded and a take recorded with the (fake) microphone become recordings, rebuilt in every
codec; a recording reverted goes back to synthesis."""

from __future__ import annotations

import math
import shutil
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from api.security.tokens import DEMO_TOKENS, Role
from promptgen import studio
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Page, launch, require_chromium
from tests.support.database import throwaway_database
from tests.support.poll import eventually

pytestmark = pytest.mark.browser


def speech_like(path: Path, seconds: float, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(
            round(9000 * math.sin(2 * math.pi * 330 * n / rate) * abs(math.sin(3 * math.pi * n / rate)))
            .to_bytes(2, "little", signed=True) for n in range(int(seconds * rate))))
    return path


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    require_chromium()
    if shutil.which("sox") is None:
        pytest.skip("sox not installed (make system-deps)")
    with throwaway_database("ivr_prompts_page") as url:
        yield url


@pytest.fixture
async def api(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LiveApi]:
    monkeypatch.setenv("IVR_SOUNDS_DIR", str(tmp_path / "sounds"))
    monkeypatch.setenv("IVR_RECORDED_DIR", str(tmp_path / "recorded"))
    async with serve_api(database) as live:
        yield live


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    microphone = speech_like(tmp_path / "microphone.wav", 3.0)
    async with launch(webrtc=True, flags=(f"--use-file-for-fake-audio-capture={microphone}",)) as browser:
        yield await browser.new_page()


def row(language: str, key: str) -> str:
    return f"document.querySelector('#prompts tr[data-language=\"{language}\"][data-key=\"{key}\"]')"


async def becomes(page: Page, language: str, key: str, source: str) -> None:
    """Until the row shows `source`, or the page shows an error (then fail with it); the builder runs meanwhile."""
    state = await page.wait_for(
        f"({row(language, key)}?.dataset.source === '{source}' && document.body.dataset.busy !== 'true') ? 'ok'"
        " : document.getElementById('error').textContent", timeout_s=45, what=f"{language}/{key} {source}")
    assert state == "ok", state


async def accept_take(page: Page, label: str) -> None:
    await page.wait_for(f"document.body.dataset.take === '{label}'", what=f"the take of {label} offered")
    await page.evaluate("document.getElementById('take-accept').click()")


async def test_upload_record_and_revert_in_the_page(api: LiveApi, page: Page, tmp_path: Path) -> None:
    await page.goto(f"{api.url}/ui/prompts.html#token={DEMO_TOKENS[Role.SUPERVISOR]}")
    state = await page.wait_for("document.body.dataset.loaded || document.getElementById('error').textContent",
                                timeout_s=20)
    assert state == "true", state
    coverage = await page.evaluate("document.querySelector('#coverage li[data-language=\"zgh\"]').textContent")
    assert coverage.startswith("zgh: 0/39") and "ar" in coverage
    assert await page.evaluate(f"{row('zgh', 'greeting')}.dataset.source") == "fallback"
    assert await page.evaluate(f"{row('fr', 'goodbye')}.dataset.source") == "synthesised"
    assert await page.evaluate("document.querySelectorAll('#prompts tbody tr').length") == 8 * 39

    # Upload a file for fr/goodbye: decoded in the page, sent as WAV, stored, rebuilt.
    upload = tmp_path / "goodbye.wav"
    speech_like(upload, 1.5, rate=44100)
    await page.playwright.set_input_files("#prompts tr[data-language='fr'][data-key='goodbye'] input[type=file]",
                                          str(upload))
    await accept_take(page, "fr/goodbye")
    await becomes(page, "fr", "goodbye", "recorded")
    recorded = tmp_path / "recorded"
    meta = studio.recording_meta(recorded, "fr", "goodbye")
    assert meta is not None and (meta["by"], meta["via"]) == ("demo-supervisor", "browser"), meta
    for codec in ("wav", "alaw", "ulaw", "sln16"):
        assert (tmp_path / "sounds" / "fr" / "ivr" / f"goodbye.{codec}").is_file()

    # Record zgh/greeting with the fake microphone (its file loops), about a second and a half.
    await page.evaluate(f"{row('zgh', 'greeting')}.querySelector('button.record').click()")
    await page.wait_for("document.body.dataset.recording === 'zgh/greeting'", what="recording")
    started = await page.evaluate("performance.now()")
    await page.wait_for(f"performance.now() - {started} > 1500", what="1.5 s of microphone")
    await page.evaluate(f"{row('zgh', 'greeting')}.querySelector('button.record').click()")
    await accept_take(page, "zgh/greeting")
    await becomes(page, "zgh", "greeting", "recorded")
    coverage = await page.evaluate("document.querySelector('#coverage li[data-language=\"zgh\"]').textContent")
    assert coverage.startswith("zgh: 1/39")
    with wave.open(str(recorded / "zgh" / "greeting.wav"), "rb") as take:
        assert 0.5 < take.getnframes() / take.getframerate() < 3.0

    # Revert fr/goodbye: espeak-ng speaks it again.
    await page.evaluate(f"{row('fr', 'goodbye')}.querySelector('button.revert').click()")
    await becomes(page, "fr", "goodbye", "synthesised")
    await eventually(lambda: not (recorded / "fr" / "goodbye.wav").exists(), timeout_s=5, what="recording gone")


async def test_the_api_refuses_what_is_not_audio(api: LiveApi) -> None:
    headers = api.auth(Role.SUPERVISOR)
    text = await api.client.put("/prompts/fr/goodbye/recording", content=b"hello", headers={
        **headers, "Content-Type": "text/plain"})
    assert text.status_code == 415, text.text
    garbage = await api.client.put("/prompts/fr/goodbye/recording", content=b"RIFF....WAVEjunk", headers={
        **headers, "Content-Type": "audio/wav"})
    assert garbage.status_code == 422 and "not audio" in garbage.json()["detail"]
    assert (await api.client.put("/prompts/fr/nope/recording", content=b"x", headers={
        **headers, "Content-Type": "audio/wav"})).status_code == 404
    assert (await api.client.delete("/prompts/fr/goodbye/recording", headers=headers)).status_code == 404
    assert (await api.client.get("/prompts/fr/goodbye/audio", headers=headers)).status_code == 404
    agent = await api.client.get("/prompts", headers=api.auth(Role.AGENT))
    assert agent.status_code == 403

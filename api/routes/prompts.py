"""Voice prompts for supervisors and admins (the page /ui/prompts.html): every prompt in every language with its
text and source, its audio, a new recording (uploaded from the browser) or a revert to synthesis (issue 18).

Rules:
- The files are the ones Asterisk plays: the sounds folder IVR_SOUNDS_DIR (as this process sees it) and the
  overrides in IVR_RECORDED_DIR (default prompts/recorded); the API and the agi process must share them.
- An upload is the request body itself (no form): its Content-Type must be one of UPLOAD_TYPES, it must fit the
  API's body limit, and sox must decode it to at least 0.2 s of sound; otherwise 415, 413 or 422, and nothing is
  stored. The page sends WAV (it decodes the microphone's or the file's audio in the browser first).
- Storing or reverting rebuilds that prompt (every codec; the languages that fall back to it) before answering,
  so the next call plays it.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import FileResponse
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.deps import NowDep, SettingsDep, SupervisorDep
from api.problems import documented
from api.schemas.prompts import LanguageCoverage, PromptCatalog, PromptPublic, PromptSource
from callcenter.config import CallCenter
from callcenter.loading import load_callcenter
from ivr.prompts import Prompt
from ivr.studio import StudioError, prompt_number
from promptgen import studio
from promptgen.build import SOUND_FOLDER
from promptgen.catalog import RECORDED_DIR, Deployment, load_catalog
from promptgen.plan import plan

router = APIRouter(prefix="/prompts", tags=["prompts"])
UPLOAD_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/ogg", "audio/flac"})
LanguagePath = Annotated[str, Path(pattern=r"^[a-z]{2,3}$")]
KeyPath = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]


class PromptSettings(BaseSettings):
    """Where the prompt files are (the same variables as the agi process)."""

    model_config = SettingsConfigDict(env_prefix="IVR_", extra="ignore")
    sounds_dir: FilePath = FilePath("var/sounds")
    recorded_dir: FilePath = RECORDED_DIR


def _callcenter(request: Request) -> CallCenter:
    callcenter: CallCenter | None = request.app.state.callcenter
    return callcenter if callcenter is not None else load_callcenter()


def catalog_view(callcenter: CallCenter, places: PromptSettings, max_upload: int) -> PromptCatalog:
    deployment = Deployment.from_callcenter(callcenter)
    texts = load_catalog()
    keys = {key.value for key in Prompt}
    entries = []
    for item in plan(texts, deployment, places.recorded_dir):
        if item.name not in keys:
            continue  # number pieces: not on the page
        language = texts.get(item.language)
        if item.recorded is not None:
            source = PromptSource.RECORDED
        elif item.fallback is not None:
            source = PromptSource.FALLBACK
        elif item.text is not None:
            source = PromptSource.SYNTHESISED
        else:
            source = PromptSource.MISSING
        lang = deployment.language(item.language)
        fallback_from = lang.audio_fallback if lang.tts_voice is None and source is not PromptSource.RECORDED else None
        meta = studio.recording_meta(places.recorded_dir, item.language, item.name) or {}
        entries.append(PromptPublic(
            language=item.language, key=item.name, number=prompt_number(Prompt(item.name)),
            text=language.prompts.get(item.name) if language else None,
            latin=language.latin.get(item.name) if language else None,
            source=source, fallback_from=fallback_from,
            built=(places.sounds_dir / item.language / SOUND_FOLDER / f"{item.name}.wav").is_file(),
            recorded_by=str(meta["by"]) if "by" in meta else None,
            recorded_at=str(meta["at"]) if "at" in meta else None,
            recorded_via=str(meta["via"]) if "via" in meta else None,
        ))
    coverage = [
        LanguageCoverage(
            language=lang.code, total=len(keys),
            recorded=sum(1 for e in entries if e.language == lang.code and e.source is PromptSource.RECORDED),
            fallback_from=lang.audio_fallback if lang.tts_voice is None else None,
        )
        for lang in deployment.languages
    ]
    return PromptCatalog(prompts=entries, coverage=coverage, max_upload_bytes=max_upload)


def _entry(view: PromptCatalog, language: str, key: str) -> PromptPublic:
    found = next((e for e in view.prompts if e.language == language and e.key == key), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no prompt {language}/{key}")
    return found


@router.get("")
async def list_prompts(principal: SupervisorDep, request: Request, settings: SettingsDep) -> PromptCatalog:
    """Every prompt in every language: text, source, recording, and the coverage per language."""
    return await asyncio.to_thread(catalog_view, _callcenter(request), PromptSettings(), settings.max_body_bytes)


@router.get("/{language}/{key}/audio", response_class=FileResponse, responses=documented(404))
async def prompt_audio(language: LanguagePath, key: KeyPath, principal: SupervisorDep) -> FileResponse:
    """The prompt's audio as Asterisk plays it (8 kHz WAV)."""
    if key not in {k.value for k in Prompt}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no prompt {language}/{key}")
    path = PromptSettings().sounds_dir / language / SOUND_FOLDER / f"{key}.wav"
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{language}/{key} is not built")
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-store"})


def _store(callcenter: CallCenter, places: PromptSettings, language: str, key: str, body: bytes, by: str,
           at: datetime) -> None:
    with tempfile.TemporaryDirectory(prefix="prompt-upload-") as folder:
        take = FilePath(folder) / "upload"
        take.write_bytes(body)
        studio.store_recording(places.recorded_dir, language, key, take, by=by, via="browser", at=at)
    studio.rebuild(places.sounds_dir, callcenter, places.recorded_dir, language, key)


def _revert(callcenter: CallCenter, places: PromptSettings, language: str, key: str) -> None:
    studio.remove_recording(places.recorded_dir, language, key)
    studio.rebuild(places.sounds_dir, callcenter, places.recorded_dir, language, key)


@router.put("/{language}/{key}/recording", responses=documented(404, 413, 415, 422))
async def upload_recording(
    language: LanguagePath, key: KeyPath, request: Request, principal: SupervisorDep, settings: SettingsDep,
    now: NowDep,
) -> PromptPublic:
    """Store the body (audio) as the prompt's recording, trimmed and normalised, and rebuild the prompt."""
    callcenter, places = _callcenter(request), PromptSettings()
    view = await asyncio.to_thread(catalog_view, callcenter, places, settings.max_body_bytes)
    _entry(view, language, key)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in UPLOAD_TYPES:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"send audio ({', '.join(sorted(UPLOAD_TYPES))})")
    body = await request.body()
    if not body:
        raise HTTPException(422, "the recording is empty")
    try:
        await asyncio.to_thread(_store, callcenter, places, language, key, body, principal.name, now)
    except StudioError as error:
        raise HTTPException(422, str(error)) from error
    return _entry(await asyncio.to_thread(catalog_view, callcenter, places, settings.max_body_bytes), language, key)


@router.delete("/{language}/{key}/recording", responses=documented(404, 422))
async def revert_recording(
    language: LanguagePath, key: KeyPath, request: Request, principal: SupervisorDep, settings: SettingsDep
) -> PromptPublic:
    """Drop the prompt's recording: synthesis (or the fallback language) plays again."""
    callcenter, places = _callcenter(request), PromptSettings()
    view = await asyncio.to_thread(catalog_view, callcenter, places, settings.max_body_bytes)
    if _entry(view, language, key).source is not PromptSource.RECORDED:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{language}/{key} has no recording")
    try:
        await asyncio.to_thread(_revert, callcenter, places, language, key)
    except StudioError as error:
        raise HTTPException(422, str(error)) from error
    return _entry(await asyncio.to_thread(catalog_view, callcenter, places, settings.max_body_bytes), language, key)

"""Voice prompts for supervisors and admins (the page /ui/prompts.html): every prompt in every language with its
text and source, its audio, a new recording (uploaded from the browser) or a revert to synthesis (issue 18).

Rules:
- The files are the ones Asterisk plays: the sounds folder IVR_SOUNDS_DIR (as this process sees it) and the
  overrides in IVR_RECORDED_DIR (default prompts/recorded); the API and the agi process must share them. The
  work is the prompt builder's, run as a command (api/prompt_tool.py).
- An upload is the request body itself (no form): its Content-Type must be one of UPLOAD_TYPES (else 415), it
  must fit its own body limit (PROMPT_UPLOAD_MAX_BYTES, 10 MiB: 413), and sox must decode it to at least 0.2 s
  of sound (422); otherwise nothing is stored. The page sends WAV (it decodes the microphone's or the file's
  audio in the browser first).
- Storing or reverting rebuilds that prompt (every codec; the languages that fall back to it) before answering,
  so the next call plays it. The builder failing or not answering is a 503, never a 500.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import FileResponse

from api.deps import NowDep, SettingsDep, SupervisorDep
from api.problems import documented
from api.prompt_tool import PromptRefusedError, PromptSettings, PromptTool, PromptToolError
from api.schemas.prompts import PromptCatalog, PromptPublic

router = APIRouter(prefix="/prompts", tags=["prompts"])
UPLOAD_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/ogg", "audio/flac"})
LanguagePath = Annotated[str, Path(pattern=r"^[a-z]{2,3}$")]
KeyPath = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]


def _tool() -> PromptTool:
    return PromptTool(PromptSettings())


async def _catalog(tool: PromptTool, max_upload: int) -> PromptCatalog:
    try:
        data = await tool.catalog()
    except (PromptToolError, PromptRefusedError) as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    return PromptCatalog.model_validate({**data, "max_upload_bytes": max_upload})


def _entry(view: PromptCatalog, language: str, key: str) -> PromptPublic:
    found = next((e for e in view.prompts if e.language == language and e.key == key), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no prompt {language}/{key}")
    return found


@router.get("", responses=documented(503))
async def list_prompts(principal: SupervisorDep, settings: SettingsDep) -> PromptCatalog:
    """Every prompt in every language: text, source, recording, and the coverage per language."""
    return await _catalog(_tool(), settings.max_body_bytes)


@router.get("/{language}/{key}/audio", response_class=FileResponse, responses=documented(404))
async def prompt_audio(language: LanguagePath, key: KeyPath, principal: SupervisorDep) -> FileResponse:
    """The prompt's audio as Asterisk plays it (8 kHz WAV)."""
    path = PromptSettings().sounds_dir / language / "ivr" / f"{key}.wav"
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{language}/{key} is not built")
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-store"})


async def _change(tool: PromptTool, max_upload: int, language: str, key: str, work: Awaitable[None]) -> PromptPublic:
    try:
        await work
    except PromptRefusedError as error:
        raise HTTPException(422, str(error)) from error
    except PromptToolError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    return _entry(await _catalog(tool, max_upload), language, key)


# A recording uploaded from the page or a file: up to about 5 minutes of 16 kHz WAV (api.body_limit's own limit).
PROMPT_UPLOAD = ("/prompts/", "/recording")
PROMPT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024


@router.put("/{language}/{key}/recording", responses=documented(404, 413, 415, 422, 503))
async def upload_recording(
    language: LanguagePath, key: KeyPath, request: Request, principal: SupervisorDep, settings: SettingsDep,
    now: NowDep,
) -> PromptPublic:
    """Store the body (audio) as the prompt's recording, trimmed and normalised, and rebuild the prompt."""
    tool = _tool()
    _entry(await _catalog(tool, settings.max_body_bytes), language, key)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in UPLOAD_TYPES:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"send audio ({', '.join(sorted(UPLOAD_TYPES))})")
    body = await request.body()
    if not body:
        raise HTTPException(422, "the recording is empty")
    with tempfile.TemporaryDirectory(prefix="prompt-upload-") as folder:
        take = FilePath(folder) / "upload"
        take.write_bytes(body)
        work = tool.store(language, key, take, by=principal.name, at=now.isoformat())
        return await _change(tool, settings.max_body_bytes, language, key, work)


@router.delete("/{language}/{key}/recording", responses=documented(404, 422, 503))
async def revert_recording(
    language: LanguagePath, key: KeyPath, principal: SupervisorDep, settings: SettingsDep
) -> PromptPublic:
    """Drop the prompt's recording: synthesis (or the fallback language) plays again."""
    tool = _tool()
    if _entry(await _catalog(tool, settings.max_body_bytes), language, key).source != "recorded":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{language}/{key} has no recording")
    return await _change(tool, settings.max_body_bytes, language, key, tool.revert(language, key))

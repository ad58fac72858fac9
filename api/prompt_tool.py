"""The prompt builder as the API reaches it: the `ivr prompts list | store | revert` command, in its own process.

Rules: the control plane never imports the prompt builder or the call plane (tests/unit/test_import_rules.py);
it runs the command, which reads and writes the same folders as the agi process (IVR_SOUNDS_DIR,
IVR_RECORDED_DIR, passed on explicitly), and maps its exit: 0 done, 2 refused (the message is the reason, for a
422), anything else or a timeout a PromptToolError (a 503 for the caller, never a 500).
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

TIMEOUT_S = 120.0
REFUSED = 2


class PromptSettings(BaseSettings):
    """Where the prompt files are: the same variables as the agi process."""

    model_config = SettingsConfigDict(env_prefix="IVR_", extra="ignore")
    sounds_dir: Path = Path("var/sounds")
    recorded_dir: Path = Path(__file__).resolve().parents[1] / "prompts" / "recorded"


class PromptToolError(Exception):
    """The command failed or did not answer in time."""


class PromptRefusedError(Exception):
    """The command refused the request (not audio, no recording); the message says why."""


@dataclass(frozen=True)
class PromptTool:
    settings: PromptSettings
    command: tuple[str, ...] = (sys.executable, "-m", "ivr", "prompts")

    async def _run(self, *args: str) -> str:
        places = ("--recorded", str(self.settings.recorded_dir), "--sounds", str(self.settings.sounds_dir))
        process = await asyncio.create_subprocess_exec(
            *self.command, args[0], *places, *args[1:],
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise PromptToolError(f"ivr prompts {args[0]} took over {TIMEOUT_S:.0f} s") from None
        message = err.decode(errors="replace").strip()
        if process.returncode == REFUSED:
            raise PromptRefusedError(message.removeprefix("refused: ")[-300:])
        if process.returncode != 0:
            raise PromptToolError(f"ivr prompts {args[0]} failed: {message[-300:]}")
        return out.decode()

    async def catalog(self) -> dict[str, Any]:
        data = json.loads(await self._run("list"))
        if not isinstance(data, dict):
            raise PromptToolError("ivr prompts list: not a JSON object")
        return data

    async def store(self, language: str, key: str, take: Path, *, by: str, at: str) -> None:
        await self._run("store", language, key, str(take), "--by", by, "--via", "browser", "--at", at)

    async def revert(self, language: str, key: str) -> None:
        await self._run("revert", language, key)

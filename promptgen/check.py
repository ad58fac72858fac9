"""`ivr prompts check`: per deployment language, what is missing (errors) and what is not recorded yet (notes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ivr.prompts import Prompt, number_language, pieces_used
from promptgen.catalog import CatalogError, Deployment, LanguageTexts, fill, placeholder_values, to_tifinagh
from promptgen.plan import RECORDED_SUFFIXES, find_recorded, output_names


@dataclass
class LanguageCheck:
    code: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recorded: int = 0
    needed: int = 0
    not_recorded: list[str] = field(default_factory=list)

    def line(self) -> str:
        state = "FAIL" if self.errors else "ok"
        line = f"{self.code:<4} {state}: {self.recorded}/{self.needed} recorded"
        if self.not_recorded and self.recorded:  # the last few to record are worth naming
            shown = ", ".join(self.not_recorded[:8]) + (", ..." if len(self.not_recorded) > 8 else "")
            line += f"; not recorded: {shown}"
        return line


def check(catalog: dict[str, LanguageTexts], deployment: Deployment, recorded_dir: Path) -> list[LanguageCheck]:
    """Per deployment language: errors (a missing text, a bad placeholder) and warnings (what is not recorded)."""
    keys = [key.value for key in Prompt]
    results = []
    for language in deployment.languages:
        result = LanguageCheck(language.code)
        results.append(result)
        texts = catalog.get(language.code)
        if texts is None:
            result.errors.append(f"no catalog file {language.code}.toml")
            continue
        values = placeholder_values(deployment, texts)
        missing = [key for key in keys if not texts.prompts.get(key, "").strip()]
        if missing:
            result.errors.append(f"missing prompt texts: {', '.join(missing)}")
        for key, text in texts.prompts.items():
            try:
                fill(text, values, f"{language.code}.toml: [prompts] {key}")
            except CatalogError as exc:
                result.errors.append(str(exc))
        if number_language(language.code) == language.code:
            pieces = sorted(pieces_used(language.code) - set(texts.numbers), key=lambda p: (len(p), p))
            if pieces:
                result.errors.append(f"missing number pieces: {', '.join(pieces)}")
        if texts.latin:
            mismatched = [key for key, latin in texts.latin.items() if to_tifinagh(latin) != texts.prompts.get(key)]
            absent = [key for key in keys if key not in texts.latin]
            if absent:
                result.errors.append(f"missing Latin transcriptions: {', '.join(absent)}")
            if mismatched:
                result.errors.append(f"Tifinagh differs from its Latin transcription: {', '.join(mismatched)}")
        unused = sorted(set(texts.prompts) - set(keys))
        if unused:
            result.warnings.append(f"texts for keys no flow plays: {', '.join(unused)}")
        needed = output_names(language.code)
        result.needed = len(needed)
        not_recorded = [name for name in needed if find_recorded(recorded_dir, language.code, name) is None]
        result.recorded = len(needed) - len(not_recorded)
        result.not_recorded = not_recorded
        if language.tts_voice is None and not_recorded:
            result.warnings.append(
                f"no synthetic voice: {len(not_recorded)} files play the {language.audio_fallback or 'NO'} "
                f"fallback audio until recorded (first missing: {', '.join(not_recorded[:5])})"
            )
        folder = recorded_dir / language.code
        if folder.is_dir():
            strays = sorted(p.name for p in folder.iterdir()
                            if p.suffix in RECORDED_SUFFIXES and p.stem not in set(needed))
            if strays:
                result.warnings.append(f"recordings for unknown keys: {', '.join(strays)}")
    return results

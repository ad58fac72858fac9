"""What every output file is made from: a recording, a text to synthesise, or another language's file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivr.prompts import NUMBER_PREFIX, Prompt, number_language, pieces_used
from promptgen.catalog import Deployment, LanguageTexts, VoiceLanguage, fill, placeholder_values

RECORDED_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac")


@dataclass(frozen=True)
class Item:
    language: str
    name: str  # file stem: a Prompt value or num_<piece>
    text: str | None = None  # filled text to synthesise
    voice: str | None = None
    recorded: Path | None = None
    fallback: str | None = None  # copy this language's file of the same name

    @property
    def label(self) -> str:
        return f"{self.language}/{self.name}"


def find_recorded(recorded_dir: Path, language: str, name: str) -> Path | None:
    for suffix in RECORDED_SUFFIXES:
        candidate = recorded_dir / language / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def output_names(language: str) -> list[str]:
    """Every file a language needs: the prompt keys, then the number pieces its rules can ask for."""
    return [key.value for key in Prompt] + sorted(NUMBER_PREFIX + piece for piece in pieces_used(language))


def plan(catalog: dict[str, LanguageTexts], deployment: Deployment, recorded_dir: Path) -> list[Item]:
    items: list[Item] = []
    for language in deployment.languages:
        texts = catalog.get(language.code, LanguageTexts(language.code))
        values = placeholder_values(deployment, texts)
        borrowed_numbers = number_language(language.code) != language.code
        for name in output_names(language.code):
            recorded = find_recorded(recorded_dir, language.code, name)
            is_number = name.startswith(NUMBER_PREFIX)
            if recorded is not None:
                items.append(Item(language.code, name, recorded=recorded))
            elif is_number and borrowed_numbers:
                items.append(Item(language.code, name, fallback=number_language(language.code)))
            elif language.tts_voice is None:
                items.append(fallback_item(catalog, deployment, language, name))
            else:
                raw = texts.numbers.get(name.removeprefix(NUMBER_PREFIX)) if is_number else texts.prompts.get(name)
                text = None if raw is None else fill(raw, values, f"{language.code}.toml: {name}")
                items.append(Item(language.code, name, text=text, voice=language.tts_voice))
    return items


def fallback_item(
    catalog: dict[str, LanguageTexts], deployment: Deployment, language: VoiceLanguage, name: str
) -> Item:
    """A file of a language no engine speaks: its fallback language's file, except the language option, which
    the fallback voice says naming this language and its own key (a copy would say "In Arabic, press 1" where
    Amazigh callers must hear "press 2") when the fallback's catalog has the text in [options_for]."""
    fallback = language.audio_fallback
    if name == Prompt.LANGUAGE_OPTION.value and fallback is not None:
        voice = next((other.tts_voice for other in deployment.languages if other.code == fallback), None)
        raw = catalog.get(fallback, LanguageTexts(fallback)).options_for.get(language.code)
        if voice is not None and raw is not None:
            values = placeholder_values(deployment, LanguageTexts(language.code))
            text = fill(raw, values, f"{fallback}.toml: [options_for] {language.code}")
            return Item(language.code, name, text=text, voice=voice)
    return Item(language.code, name, fallback=fallback)


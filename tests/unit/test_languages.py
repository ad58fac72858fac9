"""Language choice: caller ID hygiene, country-prefix preselection, menu order, memory of returning callers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.config import CallCenter
from callcenter.languages import (
    MAX_NUMBER_DIGITS,
    initial_language,
    language_for_digit,
    menu_order,
    normalize_caller,
    preselect,
)
from callcenter.loading import load_callcenter
from ivr.language_memory import InMemoryLanguageMemory, LanguageMemory

CITYHALL = Path(__file__).resolve().parents[2] / "examples" / "cityhall.toml"


@pytest.fixture(scope="module")
def reference() -> CallCenter:
    return load_callcenter()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+33123456789", "+33123456789"),
        ("+33 1 23 45 67 89", "+33123456789"),
        ("0033-1-23-45-67-89", "+33123456789"),
        ("(0522) 27.00.00", "0522270000"),  # a national number: no country to read
        ("00212537000000", "+212537000000"),
        (" +212\t600000000 ", "+212600000000"),
        ("1001", "1001"),  # an internal extension stays as it is
        ("0612345678", "0612345678"),
        ("", ""),
        ("anonymous", ""),
        ("Restricted", ""),
        ("+", ""),
        ("00", ""),
        ("++33123", ""),
        ("+33+123", ""),
        ("33'; DROP TABLE calls;--", ""),
        ("+33123\r\nSET VARIABLE X 1", ""),
        ("../../etc/passwd", ""),
        ("sip:+33123@example.org", ""),
        ("+٣٣١٢٣", ""),  # Arabic-Indic digits are not what the dialplan or prefixes speak
        ("1" * MAX_NUMBER_DIGITS, "1" * MAX_NUMBER_DIGITS),
        ("1" * (MAX_NUMBER_DIGITS + 1), ""),
        ("1 " * 10_000, ""),
    ],
)
def test_normalize_caller(raw: str, expected: str) -> None:
    assert normalize_caller(raw) == expected


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_normalized_numbers_are_always_plain(raw: str) -> None:
    number = normalize_caller(raw)
    assert number == "" or (number.lstrip("+").isascii() and number.lstrip("+").isdigit())
    assert number.count("+") <= 1 and (not number or "+" not in number[1:])
    assert len(number) <= MAX_NUMBER_DIGITS + 1
    assert normalize_caller(number) == number  # idempotent


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("+33612345678", "fr"),
        ("0033612345678", "fr"),
        ("+34 600 000 000", "es"),
        ("+31612345678", "nl"),
        ("+39312345678", "it"),
        ("+4915112345678", "de"),
        ("+447700900000", "en"),
        ("+212600000000", "ar"),
        ("+32470000000", "fr"),
        ("+35261000000", "fr"),  # Luxembourg, a three-digit prefix
        ("+35312345678", "en"),  # Ireland: "353" wins over nothing shorter
        ("+12125550100", "en"),
        ("+81312345678", "ar"),  # Japan is not configured: the default
        ("0612345678", "ar"),  # national number: the default
        ("", "ar"),
        ("anonymous", "ar"),
        ("+33'; --", "ar"),
    ],
)
def test_preselect_by_country_prefix(reference: CallCenter, caller: str, expected: str) -> None:
    assert preselect(caller, reference) == expected


def test_longest_prefix_wins(reference: CallCenter) -> None:
    data = reference.model_dump(mode="json")
    data["country_prefixes"] = {"1": "en", "1418": "fr", "14": "es"}
    quebec = CallCenter.model_validate(data)
    assert preselect("+14185550100", quebec) == "fr"
    assert preselect("+14165550100", quebec) == "es"
    assert preselect("+12125550100", quebec) == "en"


def test_city_hall_prefixes() -> None:
    cityhall = load_callcenter(CITYHALL)
    assert preselect("+213550000000", cityhall) == "ar"
    assert preselect("+49301234567", cityhall) == "fr"  # unknown country: the city hall's default


def test_remembered_language_comes_first_if_still_offered(reference: CallCenter) -> None:
    assert initial_language("+33612345678", "de", reference) == "de"
    assert initial_language("+33612345678", None, reference) == "fr"
    assert initial_language("+33612345678", "pt", reference) == "fr"  # no longer offered


def test_menu_order_puts_the_preselected_language_first(reference: CallCenter) -> None:
    assert [lang.code for lang in menu_order("fr", reference)] == ["fr", "ar", "zgh", "en", "es", "nl", "it", "de"]
    assert [lang.code for lang in menu_order("ar", reference)] == ["ar", "zgh", "fr", "en", "es", "nl", "it", "de"]
    assert [lang.digit for lang in menu_order("xx", reference)] == list("12345678")


def test_language_for_digit(reference: CallCenter) -> None:
    amazigh = language_for_digit("2", reference)
    assert amazigh is not None and amazigh.code == "zgh"
    assert language_for_digit("9", reference) is None
    assert language_for_digit("", reference) is None
    assert language_for_digit("12", reference) is None


async def test_memory_remembers_by_normalised_number() -> None:
    memory: LanguageMemory = InMemoryLanguageMemory()
    assert await memory.recall("+33612345678") is None
    await memory.remember("0033 6 12 34 56 78", "fr")
    assert await memory.recall("+33612345678") == "fr"
    await memory.remember("+33612345678", "ar")  # changed their mind
    assert await memory.recall("0033612345678") == "ar"
    await memory.remember("+5511987654321", "pt_BR")
    assert await memory.recall("+5511987654321") == "pt_BR"


async def test_memory_forgets_nothing_about_anonymous_callers() -> None:
    memory = InMemoryLanguageMemory()
    await memory.remember("", "fr")
    await memory.remember("anonymous", "fr")
    await memory.remember("+33612345678", "fr\r\nHANGUP")  # not a language code: ignored
    assert len(memory) == 0
    assert await memory.recall("") is None
    assert await memory.recall("anonymous") is None


async def test_memory_is_bounded_and_least_recently_used_goes_first() -> None:
    memory = InMemoryLanguageMemory(max_numbers=2)
    await memory.remember("+331", "fr")
    await memory.remember("+342", "es")
    assert await memory.recall("+331") == "fr"  # now the most recently used
    await memory.remember("+493", "de")
    assert len(memory) == 2
    assert await memory.recall("+342") is None
    assert await memory.recall("+331") == "fr"
    assert await memory.recall("+493") == "de"


def test_memory_needs_room() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        InMemoryLanguageMemory(max_numbers=0)

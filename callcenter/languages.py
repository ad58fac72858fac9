"""Language choice: sanitising the caller's number, preselection by country prefix, the menu order.

Rules:
- A caller ID is whatever the far end sent: `normalize_caller` is the only way a number gets into prompts,
  file names or records, and it keeps nothing but an optional "+" and at most MAX_NUMBER_DIGITS digits.
- Preselection never fails: an empty, hidden, national or hostile number gets the default language.
- Order of trust for the first language: what this caller chose last time (if still offered), then the country
  prefix, then the default. The caller can always change it in the menu.
"""

from __future__ import annotations

import re

from callcenter.config import CallCenter, Language

MAX_NUMBER_DIGITS = 20  # E.164 allows 15; leave room for carrier prefixes, refuse anything absurd
_SEPARATORS = re.compile(r"[\s\-./()]")
_PLAUSIBLE = re.compile(r"^\+?[0-9]+$")


def normalize_caller(raw: str) -> str:
    """A plausible number or "": "+33 1 23-45-67" -> "+331234567", "0033 1..." -> "+331...", "1001" -> "1001".

    Anything with other characters (letters, quotes, control characters, a SIP URI) gives "": a caller ID
    that is not a number is treated as no caller ID at all.
    """
    if len(raw) > 4 * MAX_NUMBER_DIGITS:  # do not even scan a megabyte of garbage
        return ""
    number = _SEPARATORS.sub("", raw)
    if not _PLAUSIBLE.match(number):
        return ""
    if number.startswith("00"):  # the international prefix dialled from most of Europe and Africa
        number = "+" + number[2:]
    digits = number.removeprefix("+")
    if not digits or len(digits) > MAX_NUMBER_DIGITS:
        return ""
    return number


def suggested_language(caller_number: str, callcenter: CallCenter) -> str | None:
    """The language code the caller's number gives (longest matching country prefix), or None."""
    number = normalize_caller(caller_number)
    if not number.startswith("+"):  # national or internal numbers say nothing about a country
        return None
    digits = number[1:]
    for length in range(min(len(digits), 7), 0, -1):
        language = callcenter.country_prefixes.get(digits[:length])
        if language is not None:
            return language
    return None


def preselect(caller_number: str, callcenter: CallCenter) -> str:
    """The language code the caller's number suggests, else the default."""
    return suggested_language(caller_number, callcenter) or callcenter.default_language


def initial_language(caller_number: str, remembered: str | None, callcenter: CallCenter) -> str:
    """What to offer first: the caller's remembered choice if still offered, else the preselection."""
    if remembered is not None and callcenter.has_language(remembered):
        return remembered
    return preselect(caller_number, callcenter)


def menu_order(preselected: str, callcenter: CallCenter) -> list[Language]:
    """Languages in the order the menu speaks them: the preselected one first, then the others by digit."""
    ordered = sorted(callcenter.languages, key=lambda language: language.digit)
    first = [language for language in ordered if language.code == preselected]
    return first + [language for language in ordered if language.code != preselected]


def language_for_digit(digit: str, callcenter: CallCenter) -> Language | None:
    return next((language for language in callcenter.languages if language.digit == digit), None)

"""Prompt keys the flows play, how a key becomes an Asterisk sound name, and how numbers are spoken.

Rules:
- Flows never spell a sound name: they name a `Prompt` and call `sound()`; `ivr prompts check` knows every key
  a flow can play because they are all members of this enum.
- Generated or recorded audio for key K in language L lives in `<asterisk sounds>/<L>/ivr/<K>.wav`, where
  Asterisk looks for `ivr/K` when the channel language is L (Asterisk searches sounds/<lang>/ then sounds/).
- To play a key in a language other than the channel's (the language menu speaks each option in its own
  language), the name is `<L>/ivr/<K>`: Asterisk's search falls back to the bare sounds directory, where it exists.
- Numbers (queue position, wait time, a reference read back) are composed from number pieces
  (`ivr/num_<piece>`, texts in prompts/texts/<L>.toml [numbers]) by the pure functions below, not by Asterisk's
  SayNumber: only English core sounds are installed, and SayNumber would speak English digits to everyone.
- A language without number rules of its own borrows another's (`NUMBER_RULES_OF`): Amazigh callers hear the
  Arabic numbers, which is both what its audio fallback installs and how numbers above two are usually said.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

SOUND_FOLDER = "ivr"
NUMBER_PREFIX = "num_"
MAX_SPOKEN_NUMBER = 999


class Prompt(enum.StrEnum):
    GREETING = "greeting"
    LANGUAGE_OPTION = "language_option"  # "For French, press 3", spoken in each language itself
    LANGUAGE_CHOSEN = "language_chosen"
    LANGUAGE_CHANGE_HINT = "language_change_hint"  # "to change language, press 9" (menu.language_change_digit)
    INVALID_CHOICE = "invalid_choice"
    NO_INPUT = "no_input"
    AFTER_HOURS = "after_hours"  # closed: the hours in Morocco time and the portal address
    MESSAGE_SUBJECT = "message_subject"  # after hours, before the request-type menu: "choose your message's subject"
    VOICEMAIL_INSTRUCTIONS = "voicemail_instructions"
    VOICEMAIL_THANKS = "voicemail_thanks"
    REQUEST_TYPE_MENU = "request_type_menu"
    REFERENCE_ENTRY = "reference_entry"
    REFERENCE_INVALID = "reference_invalid"
    REFERENCE_READBACK = "reference_readback"  # "You entered the reference:" then digit_sounds()
    CONFIRM_OR_CHANGE = "confirm_or_change"  # "To confirm, press 1. To correct it, press 2."
    TRANSFER_TO_AGENT = "transfer_to_agent"
    ALL_AGENTS_BUSY = "all_agents_busy"
    QUEUE_POSITION = "queue_position"  # "Your position in the queue is:" then number_sounds()
    QUEUE_NEXT = "queue_next"  # position 1
    WAIT_TIME = "wait_time"  # "Your estimated waiting time is:" then minutes_sounds()
    WAIT_LESS_THAN_MINUTE = "wait_less_than_minute"
    PLEASE_HOLD = "please_hold"
    CALLBACK_OFFER = "callback_offer"  # "To be called back instead of waiting, press 1."
    CALLBACK_ENTER_NUMBER = "callback_enter_number"
    CALLBACK_NUMBER_IS = "callback_number_is"  # "We will call you back at the number:" then digit_sounds()
    CALLBACK_CONFIRMED = "callback_confirmed"
    SURVEY_INTRO = "survey_intro"
    SURVEY_QUESTION = "survey_question"  # a score from 1 to 5
    SURVEY_THANKS = "survey_thanks"
    THANK_YOU = "thank_you"
    SERVICE_UNAVAILABLE = "service_unavailable"
    GOODBYE = "goodbye"
    # Requests (issue 7): the reference given after a message, and the status of a keyed reference.
    REQUEST_REFERENCE_IS = "request_reference_is"  # "The reference of your request is:" then digit_sounds()
    REQUEST_STATUS_NEW = "request_status_new"
    REQUEST_STATUS_IN_PROGRESS = "request_status_in_progress"
    REQUEST_STATUS_ANSWERED = "request_status_answered"
    REQUEST_STATUS_CLOSED = "request_status_closed"
    REQUEST_NOT_FOUND = "request_not_found"
    REQUEST_STATUS_UNAVAILABLE = "request_status_unavailable"


def sound(key: Prompt, language: str | None = None) -> str:
    """The Asterisk sound name for `key`: in the channel language, or in `language` explicitly."""
    if language is None:
        return f"{SOUND_FOLDER}/{key.value}"
    return f"{language}/{SOUND_FOLDER}/{key.value}"


def number_sound(piece: str) -> str:
    """The Asterisk sound name of one number piece (`21`, `et`, `minutes`), in the channel language."""
    return f"{SOUND_FOLDER}/{NUMBER_PREFIX}{piece}"


# ---------------------------------------------------------------------------------------------------------------
# Number composition. Each language gives `pieces(n, counted)`: the piece ids that say n (0..999), where `counted`
# means "n is followed by the word minute(s)" (gender and apocope: une minute, un minuto, eine Minute), and
# `minutes(n)`: n followed by the right form of "minute". Piece ids are the keys of [numbers] in the catalog.
# ---------------------------------------------------------------------------------------------------------------


def _check_range(n: int) -> None:
    if not 0 <= n <= MAX_SPOKEN_NUMBER:
        raise ValueError(f"{n} is outside the spoken range 0..{MAX_SPOKEN_NUMBER}")


def _tens(n: int) -> str:
    return str(n - n % 10)


def _en(n: int, counted: bool) -> list[str]:
    if n < 20:
        return [str(n)]
    if n < 100:
        return [_tens(n)] + ([str(n % 10)] if n % 10 else [])
    hundreds, rest = divmod(n, 100)
    return [str(hundreds), "hundred"] + (["and", *_en(rest, counted)] if rest else [])  # one hundred and five


def _fr(n: int, counted: bool) -> list[str]:
    one = "une" if counted else "1"  # "une minute", "vingt et une minutes"
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        head = ["100"] if hundreds == 1 else [str(hundreds), "100"]  # cent / deux cents
        return head + (_fr(rest, counted) if rest else [])
    if n == 1:
        return [one]
    if n < 20:
        return [str(n)]
    if n < 70:
        units = n % 10
        if units == 0:
            return [_tens(n)]
        return [_tens(n), "et", one] if units == 1 else [_tens(n), str(units)]  # vingt et un, vingt-deux
    if n < 80:  # soixante-dix .. soixante-dix-neuf: 60 + 10..19, "soixante et onze"
        return ["60", "et", "11"] if n == 71 else ["60", str(n - 60)]
    # quatre-vingts, quatre-vingt-un (no "et"), quatre-vingt-dix, quatre-vingt-onze
    return ["80"] if n == 80 else ["80", *_fr(n - 80, counted)]


def _de(n: int, counted: bool) -> list[str]:
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        head = ["ein" if hundreds == 1 else str(hundreds), "hundert"]  # einhundert, zweihundert
        return head + (_de(rest, counted) if rest else [])
    if n == 1:
        return ["eine" if counted else "1"]  # eine Minute / eins
    if n < 20:
        return [str(n)]
    units = n % 10
    if units == 0:
        return [_tens(n)]
    return ["ein" if units == 1 else str(units), "und", _tens(n)]  # einundzwanzig: units first


def _nl(n: int, counted: bool) -> list[str]:
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        head = ["100"] if hundreds == 1 else [str(hundreds), "100"]  # honderd / tweehonderd
        return head + (_nl(rest, counted) if rest else [])
    if n < 20:
        return [str(n)]
    units = n % 10
    return [_tens(n)] if units == 0 else [str(units), "en", _tens(n)]  # eenentwintig: units first


def _es(n: int, counted: bool) -> list[str]:
    if n >= 100:
        if n == 100:
            return ["100"]  # cien
        hundreds, rest = divmod(n, 100)
        head = ["ciento"] if hundreds == 1 else [f"{hundreds}00"]  # ciento uno / doscientos
        return head + (_es(rest, counted) if rest else [])
    if counted and n == 1:
        return ["un"]  # un minuto
    if counted and n == 21:
        return ["veintiun"]  # veintiún minutos
    if n < 30:
        return [str(n)]  # 21..29 are single words (veintiuno)
    units = n % 10
    if units == 0:
        return [_tens(n)]
    return [_tens(n), "y", "un" if counted and units == 1 else str(units)]  # treinta y un minutos


_IT_ELIDED = {20: "vent", 30: "trent", 40: "quarant", 50: "cinquant", 60: "sessant", 70: "settant", 80: "ottant",
              90: "novant"}


def _it(n: int, counted: bool) -> list[str]:
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        head = ["100"] if hundreds == 1 else [str(hundreds), "100"]  # cento / duecento
        return head + (_it(rest, counted) if rest else [])
    if counted and n == 1:
        return ["un"]  # un minuto
    if n < 20:
        return [str(n)]
    units = n % 10
    if units == 0:
        return [_tens(n)]
    # The tens lose their last vowel before uno and otto: ventuno, ventotto.
    tens = _IT_ELIDED[n - units] if units in (1, 8) else _tens(n)
    return [tens, str(units)]


def _ar(n: int, counted: bool) -> list[str]:
    # `counted` here means "counting minutes" (دَقِيقَة is feminine): 3..10 and the units of compounds take the
    # form without ta marbuta (ثَلَاثُ دَقَائِقَ), 11..19 and 1/2 in compounds their feminine forms (إِحْدَى عَشْرَةَ):
    # pieces f1..f19. Compounds say the units first: وَاحِدٌ وَعِشْرُونَ = 1 wa 20.
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        return [f"{hundreds}00"] + (["wa", *_ar(rest, counted)] if rest else [])
    if n < 20:
        return [f"f{n}" if counted and n >= 1 else str(n)]
    units = n % 10
    if units == 0:
        return [_tens(n)]
    return [f"f{units}" if counted else str(units), "wa", _tens(n)]


def _minutes_plural(rules: Callable[[int, bool], list[str]]) -> Callable[[int], list[str]]:
    """Languages where it is just "<n> minute" / "<n> minutes"."""

    def minutes(n: int) -> list[str]:
        return [*rules(n, True), "minute" if n == 1 else "minutes"]

    return minutes


def _ar_minutes(n: int) -> list[str]:
    if n == 1:
        return ["minute_1"]  # دَقِيقَةٌ وَاحِدَةٌ
    if n == 2:
        return ["minutes_2"]  # دَقِيقَتَانِ (dual)
    if n <= 10:
        return [*_ar(n, True), "minutes_pl"]  # ثَلَاثُ دَقَائِقَ
    return [*_ar(n, True), "minute_acc"]  # إِحْدَى عَشْرَةَ دَقِيقَةً (singular accusative from 11)


NUMBER_RULES: dict[str, tuple[Callable[[int, bool], list[str]], Callable[[int], list[str]]]] = {
    "ar": (_ar, _ar_minutes),
    "de": (_de, _minutes_plural(_de)),
    "en": (_en, _minutes_plural(_en)),
    "es": (_es, _minutes_plural(_es)),
    "fr": (_fr, _minutes_plural(_fr)),
    "it": (_it, _minutes_plural(_it)),
    "nl": (_nl, _minutes_plural(_nl)),
}
# A language speaking its numbers with another's pieces (its audio is that language's until recorded).
NUMBER_RULES_OF: dict[str, str] = {"zgh": "ar"}


def number_language(language: str) -> str:
    """The language whose number pieces and rules `language` uses."""
    return NUMBER_RULES_OF.get(language, language)


def number_pieces(n: int, language: str, *, counted: bool = False) -> list[str]:
    """Piece ids saying n in `language` (0..999). A language without rules says the digits one by one."""
    _check_range(n)
    rules = NUMBER_RULES.get(number_language(language))
    if rules is None:
        return list(str(n))
    return rules[0](n, counted)


def minutes_pieces(n: int, language: str) -> list[str]:
    """Piece ids saying "n minutes" (1..999) with the agreement the language needs."""
    if n < 1:
        raise ValueError("say less than a minute with Prompt.WAIT_LESS_THAN_MINUTE")
    _check_range(n)
    rules = NUMBER_RULES.get(number_language(language))
    if rules is None:
        return [*str(n), "minutes"]
    return rules[1](n)


def number_sounds(n: int, language: str) -> list[str]:
    """Sound names saying the number n (a queue position), for a channel in `language`."""
    return [number_sound(piece) for piece in number_pieces(n, language)]


def minutes_sounds(n: int, language: str) -> list[str]:
    """Sound names saying "n minutes", for a channel in `language`."""
    return [number_sound(piece) for piece in minutes_pieces(n, language)]


def digit_sounds(digits: str) -> list[str]:
    """Sound names reading a reference or phone number digit by digit (pieces 0-9 exist in every language)."""
    return [number_sound(char) for char in digits if char.isascii() and char.isdigit()]


def position_sounds(position: int, language: str) -> list[str]:
    """What a caller hears about their place in the queue (1 = next)."""
    if position <= 1:
        return [sound(Prompt.QUEUE_NEXT)]
    return [sound(Prompt.QUEUE_POSITION), *number_sounds(min(position, MAX_SPOKEN_NUMBER), language)]


def wait_time_sounds(wait_seconds: float, language: str) -> list[str]:
    """What a caller hears about the expected wait, rounded up to whole minutes."""
    minutes = min(MAX_SPOKEN_NUMBER, int(-(-max(wait_seconds, 0.0) // 60)))
    if minutes < 1:
        return [sound(Prompt.WAIT_TIME), sound(Prompt.WAIT_LESS_THAN_MINUTE)]
    return [sound(Prompt.WAIT_TIME), *minutes_sounds(minutes, language)]


def pieces_used(language: str) -> set[str]:
    """Every piece id the composition can ask for in `language`: what the catalog must provide."""
    used: set[str] = set()
    for n in range(MAX_SPOKEN_NUMBER + 1):
        used.update(number_pieces(n, language))
        used.update(number_pieces(n, language, counted=True))
        if n:
            used.update(minutes_pieces(n, language))
    return used

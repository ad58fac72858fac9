"""The call center as configuration (callcenter.toml): the model and its validation.

Rules:
- Everything that differs between deployments (languages, hours, holidays, queues, request types, limits)
  lives in a TOML file validated here; code never hard-codes a language, a queue or an opening hour.
- The file is read and validated once at start-up (callcenter.loading.load_callcenter) and the resulting
  `CallCenter` is passed down; nothing reads it at import time. The models are frozen: a call cannot change the
  call center.
- Unknown keys are refused, so a typo never silently falls back to a default.
- The opening-hours models (intervals, weekly hours, closures, dated periods) live in callcenter.hours and are
  re-exported here: the model is one import.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from callcenter.departments import Complaints

# The opening-hours part of the model lives in callcenter.hours; re-exported so the model is one import.
from callcenter.hours import SECONDS_PER_DAY as SECONDS_PER_DAY
from callcenter.hours import STRICT
from callcenter.hours import WEEKDAYS as WEEKDAYS
from callcenter.hours import Closure as Closure
from callcenter.hours import DayHours as DayHours
from callcenter.hours import Interval as Interval
from callcenter.hours import SpecialHours as SpecialHours
from callcenter.hours import WeeklyHours as WeeklyHours
from callcenter.public_holidays import holiday_names

# Menus read keys with GET DATA, which ends input on '#'; so '#' can never be a menu choice.
MENU_KEY_PATTERN = r"^[0-9*]$"


def _digit_from_toml(value: object) -> object:
    # Administrators naturally write `digit = 3`; accept a bare integer 0-9 as the key it names.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
        return str(value)
    return value


def known_timezone(value: str) -> str:
    """An IANA time zone name this machine's tz database knows; both planes validate their zones with it."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (an IANA name like Africa/Casablanca)") from exc
    return value


TimeZoneName = Annotated[str, AfterValidator(known_timezone)]
MenuKey = Annotated[str, BeforeValidator(_digit_from_toml), Field(pattern=MENU_KEY_PATTERN)]
# Asterisk spells regional variants with an underscore (sounds/pt_BR/); accept the BCP 47 hyphen too.
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$")]
# Asterisk queue names end up in queues.conf section names and dialplan arguments: keep them plain.
QueueName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class _Strict(BaseModel):
    model_config = STRICT


class Language(_Strict):
    code: LanguageCode  # also the Asterisk channel language and the sounds/<code>/ folder
    digit: MenuKey  # key in the language menu
    name: str = Field(min_length=1, max_length=60)  # in its own script: العربية, ⵜⴰⵎⴰⵣⵉⵖⵜ, Français
    english_name: str = Field(min_length=1, max_length=60)
    queue: QueueName
    tts_voice: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_+-]{1,32}$")  # gtts/espeak code
    audio_fallback: LanguageCode | None = None  # play this language's audio until our own recordings exist


class RequestType(_Strict):
    digit: MenuKey
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")  # stable identifier for records and reports
    names: dict[LanguageCode, str] = Field(min_length=1)  # label per language (agent screens, reports)
    deadline_hours: float = Field(gt=0, le=24 * 365)  # promised answer time, in business hours
    asks_reference: bool = False  # the caller types the reference of an earlier request
    reference_min_digits: int = Field(default=4, ge=1, le=32)
    reference_max_digits: int = Field(default=12, ge=1, le=32)
    archived: bool = False  # complaints: calls of this type are kept in the archive for the ministry

    @model_validator(mode="after")
    def _reference_bounds(self) -> RequestType:
        if self.reference_min_digits > self.reference_max_digits:
            raise ValueError("reference_min_digits is greater than reference_max_digits")
        return self


class DispositionOutcome(_Strict):
    """One choice an agent closes a call with (the agent's page lists them in this order)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")  # stored with the disposition, used by reports
    names: dict[LanguageCode, str] = Field(min_length=1)  # label per interface language (fr, ar, en)
    proposes_request: bool = False  # the form opens the "new request" part for this outcome


DEFAULT_DISPOSITION_OUTCOMES = (
    DispositionOutcome(key="answered", names={"fr": "Répondu", "ar": "تمت الإجابة", "en": "Answered"}),
    DispositionOutcome(
        key="information_given",
        names={"fr": "Information donnée", "ar": "تم تقديم المعلومة", "en": "Information given"},
    ),
    DispositionOutcome(key="transferred", names={"fr": "Transféré", "ar": "تم التحويل", "en": "Transferred"}),
    DispositionOutcome(
        key="callback_needed",
        names={"fr": "Rappel nécessaire", "ar": "يلزم معاودة الاتصال", "en": "Callback needed"},
        proposes_request=True,
    ),
    DispositionOutcome(key="wrong_number", names={"fr": "Faux numéro", "ar": "رقم خاطئ", "en": "Wrong number"}),
)


class MenuSettings(_Strict):
    # Silence after one pass takes the menu's default at once; only an invalid key makes a menu heard again.
    retries: int = Field(default=1, ge=0, le=5)  # passes heard again after an invalid key, then the default
    digit_timeout_s: float = Field(default=3.0, gt=0, le=60)  # silence after a menu's last prompt
    # A caller whose number (or memory) gives a language is greeted in it and hears "for another language, press
    # <language_change_digit>" instead of every option; false: every caller hears all the options.
    short_language_offer: bool = True
    offer_timeout_s: float = Field(default=2.0, gt=0, le=30)  # silence after that short offer
    # After hours the caller picks the subject of the message (a request type digit); silence keeps this one.
    # None: the first request type.
    after_hours_request_type: MenuKey | None = None
    inter_digit_timeout_s: float = Field(default=3.0, gt=0, le=30)  # wait between keys of a reference
    language_change_digit: MenuKey | None = "9"  # in later menus: go back to the language menu
    max_reference_digits: int = Field(default=20, ge=1, le=32)


class VoicemailSettings(_Strict):
    max_seconds: int = Field(default=180, ge=5, le=3600)
    silence_seconds: int = Field(default=5, ge=0, le=60)  # 0: do not stop on silence
    format: str = Field(default="wav", pattern=r"^(wav|wav49|gsm|ulaw|alaw|g722|sln16)$")


class QueueSettings(_Strict):
    timeout_s: int = Field(default=300, ge=10, le=7200)  # waiting time before the caller is offered voicemail


class SupervisionSettings(_Strict):
    """What the supervisors' wallboard colours as degraded (and may sound an alert for)."""

    service_level_target_percent: float = Field(default=80, ge=0, le=100)  # answered within the SL threshold
    longest_wait_limit_s: int = Field(default=120, ge=1, le=7200)  # a caller waiting longer: alert
    abandon_rate_limit_percent: float = Field(default=10, ge=0, le=100)  # abandoned / (answered + abandoned)
    paused_limit_s: int = Field(default=900, ge=1, le=86400)  # an agent paused longer: alert
    sound_alert: bool = False  # the wallboard beeps when a cell turns red (the page can still mute it)


class CallCenter(_Strict):
    """One deployment. Built by `load_callcenter`; see callcenter/callcenter.toml for the meaning of every key."""

    name: str = Field(min_length=1, max_length=120)
    timezone: TimeZoneName
    hours: WeeklyHours
    public_holidays_open: bool = True
    holiday_country: str | None = Field(default=None, pattern=r"^[A-Z]{2,3}$")  # None: no public holidays
    # year -> holiday name (as the `holidays` package spells it, without "(estimated)") -> actual dates
    holiday_overrides: dict[int, dict[str, list[date]]] = {}
    closures: list[Closure] = []
    special_hours: list[SpecialHours] = []
    languages: list[Language] = Field(min_length=1, max_length=10)
    default_language: LanguageCode
    country_prefixes: dict[str, LanguageCode] = {}  # E.164 prefix without "+" -> language code
    request_types: list[RequestType] = Field(min_length=1, max_length=10)
    portal_url: str = Field(min_length=1, max_length=100)
    menu: MenuSettings = MenuSettings()
    voicemail: VoicemailSettings = VoicemailSettings()
    queue: QueueSettings = QueueSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    disposition_outcomes: list[DispositionOutcome] = Field(
        default=list(DEFAULT_DISPOSITION_OUTCOMES), min_length=1, max_length=30
    )
    complaints: Complaints | None = None  # departments, categories, routing (callcenter.departments)

    @field_validator("holiday_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None and value not in holidays.list_supported_countries():
            raise ValueError(f"the holidays package knows no country {value!r}")
        return value

    @field_validator("country_prefixes", mode="before")
    @classmethod
    def _strip_plus(cls, value: object) -> object:
        # "+33" and "33" both read naturally; store digits only, and refuse a prefix written twice.
        if not isinstance(value, dict):
            return value
        stripped: dict[object, object] = {}
        for key, language in value.items():
            bare = key.removeprefix("+") if isinstance(key, str) else key
            if bare in stripped:
                raise ValueError(f"prefix {bare!r} is listed twice")
            stripped[bare] = language
        return stripped

    @field_validator("country_prefixes")
    @classmethod
    def _digit_prefixes(cls, value: dict[str, str]) -> dict[str, str]:
        for prefix in value:
            if not re.fullmatch(r"[1-9][0-9]{0,6}", prefix):
                raise ValueError(f"prefix {prefix!r} must be 1 to 7 digits, not starting with 0")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CallCenter:
        problems = [*self._language_problems(), *self._request_type_problems(), *self._date_problems()]
        outcome_keys = Counter(outcome.key for outcome in self.disposition_outcomes)
        problems += [f"disposition_outcomes: {key!r} is listed twice" for key, n in outcome_keys.items() if n > 1]
        problems += self._complaint_problems()
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _language_problems(self) -> list[str]:
        problems = []
        for attribute in ("code", "digit", "queue"):
            counts = Counter(getattr(language, attribute) for language in self.languages)
            for index, language in enumerate(self.languages):
                value = getattr(language, attribute)
                if counts[value] > 1:
                    problems.append(f"languages[{index}].{attribute}: {value!r} is used by another language")
        codes = {language.code for language in self.languages}
        if self.default_language not in codes:
            problems.append(f"default_language: {self.default_language!r} is not one of the languages")
        for prefix, code in self.country_prefixes.items():
            if code not in codes:
                problems.append(f"country_prefixes.{prefix}: {code!r} is not one of the languages")
        for index, language in enumerate(self.languages):
            fallback = language.audio_fallback
            if fallback is None:
                continue
            target = next((other for other in self.languages if other.code == fallback), None)
            if target is None or target.code == language.code:
                problems.append(f"languages[{index}].audio_fallback: {fallback!r} is not another language")
            elif target.audio_fallback is not None:
                problems.append(f"languages[{index}].audio_fallback: {fallback!r} has a fallback itself")
        return problems

    def _request_type_problems(self) -> list[str]:
        problems = []
        codes = {language.code for language in self.languages}
        for attribute in ("digit", "key"):
            counts = Counter(getattr(request_type, attribute) for request_type in self.request_types)
            for index, request_type in enumerate(self.request_types):
                value = getattr(request_type, attribute)
                if counts[value] > 1:
                    problems.append(f"request_types[{index}].{attribute}: {value!r} is used by another type")
        change = self.menu.language_change_digit
        default = self.menu.after_hours_request_type
        if default is not None and default not in {request_type.digit for request_type in self.request_types}:
            problems.append(f"menu.after_hours_request_type: {default!r} is not a request type digit")
        if change is not None and change in {language.digit for language in self.languages}:
            problems.append(f"menu.language_change_digit: {change!r} is also a language digit")
        for index, request_type in enumerate(self.request_types):
            if request_type.digit == change:
                problems.append(f"request_types[{index}].digit: {change!r} is also menu.language_change_digit")
            for code in request_type.names:
                if code not in codes:
                    problems.append(f"request_types[{index}].names.{code}: not one of the languages")
            too_long = request_type.reference_max_digits > self.menu.max_reference_digits
            if request_type.asks_reference and too_long:
                problems.append(
                    f"request_types[{index}].reference_max_digits: above menu.max_reference_digits "
                    f"({self.menu.max_reference_digits})"
                )
        return problems

    def _complaint_problems(self) -> list[str]:
        if self.complaints is None:
            return []
        codes = {language.code for language in self.languages}
        kinds = {request_type.key for request_type in self.request_types}
        problems = [f"complaints.request_types: {key!r} is not a request type key"
                    for key in self.complaints.request_types if key not in kinds]  # fmt: skip
        problems += [f"complaints.default_category: {key!r} is not a request type key"
                     for key in self.complaints.default_category if key not in kinds]  # fmt: skip
        problems += [f"complaints: a label in {code!r}, not one of the languages"
                     for code in sorted(self.complaints.label_languages() - codes)]  # fmt: skip
        return problems

    def _date_problems(self) -> list[str]:
        problems = []
        ordered = sorted(enumerate(self.special_hours), key=lambda item: item[1].start)
        for (_, before), (index, after) in itertools.pairwise(ordered):
            if after.start <= before.end:
                problems.append(f"special_hours[{index}]: {after.name!r} overlaps {before.name!r}")
        for year, overrides in self.holiday_overrides.items():
            if not overrides:
                continue
            if self.holiday_country is None:
                problems.append(f"holiday_overrides.{year}: no holiday_country to override")
                continue
            known = holiday_names(self.holiday_country, year)
            for name, dates in overrides.items():
                if name not in known:
                    problems.append(
                        f"holiday_overrides.{year}.{name!r}: not a {self.holiday_country} holiday in {year}; "
                        f"known: {', '.join(sorted(known))}"
                    )
                for day in dates:
                    if abs(day.year - year) > 1:
                        problems.append(f"holiday_overrides.{year}.{name!r}: {day} is far from {year}")
        return problems

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def language(self, code: str) -> Language:
        """The language with this code; KeyError if the call center does not speak it."""
        for language in self.languages:
            if language.code == code:
                return language
        raise KeyError(code)

    def has_language(self, code: str) -> bool:
        return any(language.code == code for language in self.languages)

    def request_type(self, digit: str) -> RequestType | None:
        return next((kind for kind in self.request_types if kind.digit == digit), None)

    def disposition_outcome(self, key: str) -> DispositionOutcome | None:
        return next((outcome for outcome in self.disposition_outcomes if outcome.key == key), None)

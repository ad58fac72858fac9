"""The call-center file: the packaged reference deployment, the city hall example, every refusal."""

from __future__ import annotations

import copy
import importlib.resources
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from callcenter import cli as config_cli
from callcenter import public_holidays
from callcenter.config import CallCenter, Interval, WeeklyHours
from callcenter.loading import ConfigError, callcenter_from_data, load_callcenter, parse_callcenter
from callcenter.public_holidays import canonical_holiday_name
from ivr.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CITYHALL = ROOT / "examples" / "cityhall.toml"
PACKAGED_TEXT = importlib.resources.files("callcenter").joinpath("callcenter.toml").read_text(encoding="utf-8")
Data = dict[str, Any]


def reference_data() -> Data:
    return tomllib.loads(PACKAGED_TEXT)


@pytest.fixture(autouse=True)
def _no_callcenter_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVR_CALLCENTER", raising=False)
    monkeypatch.delenv("IVR_CALLCENTER_PATH", raising=False)


def test_packaged_file_is_the_reference_deployment() -> None:
    callcenter = load_callcenter()
    assert callcenter.timezone == "Africa/Casablanca"
    assert str(callcenter.tz) == "Africa/Casablanca"
    digits_and_codes = [lang.digit + lang.code for lang in callcenter.languages]
    assert digits_and_codes == ["1ar", "2zgh", "3fr", "4en", "5es", "6nl", "7it", "8de"]
    assert [lang.queue for lang in callcenter.languages][:3] == ["q-ar", "q-zgh", "q-fr"]
    amazigh = callcenter.language("zgh")
    assert (amazigh.name, amazigh.tts_voice, amazigh.audio_fallback) == ("ⵜⴰⵎⴰⵣⵉⵖⵜ", None, "ar")
    assert callcenter.default_language == "ar"
    expected_prefixes = {"33": "fr", "34": "es", "31": "nl", "39": "it", "49": "de", "44": "en", "212": "ar"}
    assert expected_prefixes.items() <= callcenter.country_prefixes.items()
    assert callcenter.country_prefixes["32"] == "fr"
    weekdays = [callcenter.hours.for_weekday(day) for day in range(7)]
    assert [[str(interval) for interval in day] for day in weekdays] == [["08:00-20:00"]] * 5 + [[], []]
    assert callcenter.public_holidays_open is True
    assert callcenter.holiday_country == "MA"
    types = {kind.digit: kind for kind in callcenter.request_types}
    assert (types["1"].deadline_hours, types["1"].asks_reference) == (72, False)
    assert (types["2"].deadline_hours, types["2"].asks_reference) == (48, True)
    assert types["3"].archived is True
    assert callcenter.menu.language_change_digit == "9"
    assert callcenter.portal_url == "consulat.ma"


def test_city_hall_runs_on_configuration_alone() -> None:
    cityhall = load_callcenter(CITYHALL)
    assert cityhall.timezone == "Europe/Paris"
    assert [lang.code for lang in cityhall.languages] == ["fr", "ar"]
    assert cityhall.default_language == "fr"
    assert cityhall.public_holidays_open is False
    assert [str(interval) for interval in cityhall.hours.for_weekday(0)] == ["08:30-12:00", "13:30-17:30"]
    assert cityhall.request_type("1") is not None
    assert cityhall.request_types[0].archived
    assert cityhall.request_type("9") is None
    assert cityhall.menu.language_change_digit == "0"


def test_environment_variable_names_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_CALLCENTER", str(CITYHALL))
    assert load_callcenter().default_language == "fr"
    # an explicit path wins over the environment
    assert load_callcenter(ROOT / "callcenter" / "callcenter.toml").default_language == "ar"


def test_round_trip_through_json_keeps_everything() -> None:
    for callcenter in (load_callcenter(), load_callcenter(CITYHALL)):
        assert CallCenter.model_validate(callcenter.model_dump(mode="json")) == callcenter
    assert load_callcenter(CITYHALL).model_dump(mode="json")["hours"]["monday"] == [
        "08:30-12:00",
        "13:30-17:30",
    ]


def test_models_are_frozen() -> None:
    callcenter = load_callcenter()
    with pytest.raises(ValueError, match="frozen"):
        callcenter.default_language = "fr"


def test_lookups() -> None:
    callcenter = load_callcenter()
    assert callcenter.language("fr").english_name == "French"
    with pytest.raises(KeyError):
        callcenter.language("xx")
    assert callcenter.has_language("de") and not callcenter.has_language("pt")
    kind = callcenter.request_type("2")
    assert kind is not None and kind.key == "request_status"


# -- every way a file is refused ---------------------------------------------------------------------------


def _set(path: tuple[str | int, ...], value: object) -> Callable[[Data], None]:
    def edit(data: Data) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return edit


def _delete(key: str) -> Callable[[Data], None]:
    def edit(data: Data) -> None:
        del data[key]

    return edit


def _copy_language(source: int, **changes: object) -> Callable[[Data], None]:
    def edit(data: Data) -> None:
        language = copy.deepcopy(data["languages"][source])
        language.update(changes)
        data["languages"].append(language)

    return edit


REFUSED: list[tuple[str, Callable[[Data], None], str]] = [
    ("two-key digit", _set(("languages", 2, "digit"), "12"), "languages[2].digit: String should match"),
    ("hash is the GET DATA terminator", _set(("languages", 2, "digit"), "#"), "languages[2].digit:"),
    ("digit out of range", _set(("languages", 0, "digit"), 10), "languages[0].digit:"),
    (
        "duplicate digit",
        _copy_language(0, code="pt", queue="q-pt"),
        "languages[8].digit: '1' is used by another",
    ),
    (
        "duplicate code",
        _copy_language(0, digit="0", queue="q-pt"),
        "languages[8].code: 'ar' is used by another",
    ),
    (
        "duplicate queue",
        _copy_language(0, digit="0", code="pt"),
        "languages[8].queue: 'q-ar' is used by another",
    ),
    ("bad queue name", _set(("languages", 0, "queue"), "q ar;"), "languages[0].queue:"),
    (
        "unknown default",
        _set(("default_language",), "pt"),
        "default_language: 'pt' is not one of the languages",
    ),
    ("prefix to unknown", _set(("country_prefixes", "33"), "pt"), "country_prefixes.33: 'pt' is not one of"),
    ("prefix with a zero", _set(("country_prefixes", "033"), "fr"), "'033' must be 1 to 7 digits"),
    ("prefix twice", _set(("country_prefixes", "+33"), "fr"), "prefix '33' is listed twice"),
    (
        "duplicate request digit",
        _set(("request_types", 1, "digit"), "1"),
        "request_types[1].digit: '1' is used",
    ),
    (
        "duplicate request key",
        _set(("request_types", 1, "key"), "other"),
        "request_types[1].key: 'other' is used",
    ),
    (
        "change key clash",
        _set(("menu", "language_change_digit"), "2"),
        "request_types[1].digit: '2' is also menu",
    ),
    ("unknown zone", _set(("timezone",), "Mars/Olympus"), "timezone: unknown time zone 'Mars/Olympus'"),
    ("zone path escape", _set(("timezone",), "../../etc/passwd"), "timezone: unknown time zone"),
    (
        "reversed hours",
        _set(("hours", "monday"), ["20:00-08:00"]),
        "hours.monday[0]: 20:00-08:00: opening must",
    ),
    ("empty interval", _set(("hours", "monday"), ["08:00-08:00"]), "hours.monday[0]:"),
    (
        "not an interval",
        _set(("hours", "monday"), ["8h-20h"]),
        "hours.monday[0]: '8h-20h' is not an interval",
    ),
    (
        "no such time",
        _set(("hours", "monday"), ["08:00-25:00"]),
        "hours.monday[0]: 25:00 is not a time of day",
    ),
    ("no such minute", _set(("hours", "monday"), ["08:60-12:00"]), "08:60 is not a time of day"),
    (
        "overlap",
        _set(("hours", "monday"), ["08:00-12:00", "11:00-14:00"]),
        "hours: monday: 11:00-14:00 must start",
    ),
    ("unknown weekday", _set(("hours", "mondy"), ["08:00-12:00"]), "hours.mondy: unknown key"),
    ("typo at the top", _set(("nmae",), "x"), "callcenter.toml: nmae: unknown key"),
    ("typo in a language", _set(("languages", 3, "colour"), "red"), "languages[3].colour: unknown key"),
    ("missing portal", _delete("portal_url"), "callcenter.toml: portal_url: required key is missing"),
    ("no languages", _set(("languages",), []), "languages: List should have at least 1 item"),
    (
        "fallback to itself",
        _set(("languages", 1, "audio_fallback"), "zgh"),
        "languages[1].audio_fallback: 'zgh'",
    ),
    ("fallback unknown", _set(("languages", 1, "audio_fallback"), "pt"), "'pt' is not another language"),
    (
        "fallback chain",
        _set(("languages", 0, "audio_fallback"), "fr"),
        "languages[1].audio_fallback: 'ar' has a",
    ),
    (
        "unknown holiday",
        _set(("holiday_overrides", "2027"), {"Eid al Fitr": []}),
        "'Eid al Fitr': not a MA holiday",
    ),
    (
        "far date",
        _set(("holiday_overrides", "2027"), {"Eid al-Fitr": ["2030-04-01"]}),
        "2030-04-01 is far from",
    ),
    (
        "unknown country",
        _set(("holiday_country",), "XX"),
        "holiday_country: the holidays package knows no country",
    ),
    (
        "reversed closure",
        _set(("closures",), [{"start": "2027-01-05", "end": "2027-01-04", "reason": "x"}]),
        "closures[0]: end 2027-01-04 is before start 2027-01-05",
    ),
    (
        "closure without reason",
        _set(("closures",), [{"start": "2027-01-05"}]),
        "closures[0].reason: required",
    ),
    (
        "names in unknown language",
        _set(("request_types", 0, "names"), {"pt": "x"}),
        "request_types[0].names.pt:",
    ),
    (
        "reference longer than menu",
        _set(("request_types", 1, "reference_max_digits"), 30),
        "request_types[1].reference_max_digits: above menu.max_reference_digits (20)",
    ),
    ("reference min > max", _set(("request_types", 1, "reference_min_digits"), 13), "min_digits is greater"),
    (
        "prefixes not a table",
        _set(("country_prefixes",), "33"),
        "country_prefixes: Input should be a valid dict",
    ),
    (
        "odd key",
        _set(("request_types", 0, "names"), {"p t": "x"}),
        "request_types[0].names['p t']: String should",
    ),
    ("voicemail format", _set(("voicemail", "format"), "mp3"), "voicemail.format:"),
    (
        "negative timeout",
        _set(("menu", "digit_timeout_s"), -1),
        "menu.digit_timeout_s: Input should be greater",
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [(edit, text) for _, edit, text in REFUSED], ids=[name for name, _, _ in REFUSED]
)
def test_bad_file_names_the_key(edit: Callable[[Data], None], expected: str) -> None:
    data = reference_data()
    edit(data)
    with pytest.raises(ConfigError) as caught:
        callcenter_from_data(data, "callcenter.toml")
    assert expected in str(caught.value)
    assert all(line.startswith("callcenter.toml: ") for line in str(caught.value).splitlines())


def _special(name: str, start: str, end: str) -> dict[str, object]:
    return {"name": name, "start": start, "end": end, "hours": {"monday": ["09:00-15:00"]}}


def test_special_hours_must_not_overlap_or_run_backwards() -> None:
    data = reference_data()
    data["special_hours"] = [
        _special("b", "2027-03-01", "2027-03-20"),
        _special("a", "2027-02-08", "2027-03-09"),
    ]
    with pytest.raises(ConfigError, match=r"special_hours\[0\]: 'b' overlaps 'a'"):
        callcenter_from_data(data)
    data["special_hours"] = [_special("a", "2027-03-09", "2027-02-08")]
    with pytest.raises(ConfigError, match=r"special_hours\[0\]: end 2027-02-08 is before start"):
        callcenter_from_data(data)


def test_overrides_need_a_holiday_country() -> None:
    data = reference_data()
    data["holiday_country"] = None
    data["holiday_overrides"] = {"2027": {"Eid al-Fitr": ["2027-03-10"]}, "2028": {}}
    with pytest.raises(ConfigError, match=r"holiday_overrides\.2027: no holiday_country to override"):
        callcenter_from_data(data)


def test_every_problem_is_reported_at_once() -> None:
    data = reference_data()
    data["default_language"] = "pt"
    data["country_prefixes"]["33"] = "pt"
    with pytest.raises(ConfigError) as caught:
        callcenter_from_data(data, "x.toml")
    assert str(caught.value).splitlines() == [
        "x.toml: default_language: 'pt' is not one of the languages",
        "x.toml: country_prefixes.33: 'pt' is not one of the languages",
    ]


def test_administrator_friendly_spellings_are_accepted() -> None:
    data = reference_data()
    data["languages"][0]["digit"] = 1  # a bare number
    data["country_prefixes"] = {"+33": "fr", "212": "ar"}  # with or without "+"
    data["hours"]["saturday"] = ["9:00-12:30:30", "20:00-24:00"]  # one-digit hour, seconds, midnight
    data["holiday_overrides"] = {"2027": {"Eid al-Fitr": ["2027-03-10", "2027-03-11"]}}
    brazilian = {"code": "pt_BR", "digit": 0, "name": "Português", "english_name": "Portuguese", "queue": "q-pt"}
    data["languages"].append(brazilian)  # Asterisk's spelling of a regional variant
    data["request_types"][0]["names"]["pt_BR"] = "Condições"
    callcenter = callcenter_from_data(data)
    assert callcenter.languages[-1].code == "pt_BR"
    assert callcenter.languages[0].digit == "1"
    assert callcenter.country_prefixes == {"33": "fr", "212": "ar"}
    assert [str(i) for i in callcenter.hours.saturday] == ["09:00-12:30:30", "20:00-24:00"]
    assert callcenter.hours.saturday[1].close_s == 24 * 3600


def test_interval_fields_can_be_given_directly() -> None:
    assert str(Interval.model_validate({"open_s": 60, "close_s": 120})) == "00:01-00:02"
    assert WeeklyHours().describe() == "never open"


def test_toml_syntax_error_names_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^broken\.toml: not valid TOML: .*line 1"):
        parse_callcenter("name = = 1\n", "broken.toml")


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match=r"absent\.toml: cannot read"):
        load_callcenter(missing)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "Mairie de Sète"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml: cannot read"):
        load_callcenter(latin1)


def test_validation_error_in_a_real_file_names_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(PACKAGED_TEXT.replace('digit = "3"', 'digit = "33"', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{bad}: languages\[2\]\.digit: String should match"):
        load_callcenter(bad)


def test_holiday_names_drop_the_estimated_mark() -> None:
    assert canonical_holiday_name("Eid al-Fitr (estimated)") == "Eid al-Fitr"
    assert canonical_holiday_name("Labor Day") == "Labor Day"
    assert "Eid al-Adha" in public_holidays.holiday_names("MA", 2027)
    assert "National Day" in public_holidays.holiday_names("FR", 2027)
    assert "Midwinter Day" in public_holidays.holiday_names("AQ", 2027)  # a country without translations still works


# -- process settings and the command --------------------------------------------------------------------


def test_settings_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IVR_AGI_HOST", "IVR_AGI_PORT", "IVR_API_URL", "IVR_API_TOKEN", "IVR_SPOOL_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.agi_host, settings.agi_port, settings.api_url) == (
        "127.0.0.1",
        4573,
        "http://127.0.0.1:8000",
    )
    assert settings.api_token is None and settings.callcenter_path is None
    assert settings.spool_dir == Path("var/outbox")
    monkeypatch.setenv("IVR_AGI_PORT", "4600")
    monkeypatch.setenv("IVR_API_TOKEN", "s3cret-token")
    monkeypatch.setenv("IVR_CALLCENTER", "/etc/ivr/cc.toml")
    settings = Settings()
    assert settings.agi_port == 4600
    assert settings.callcenter_path == Path("/etc/ivr/cc.toml")
    assert settings.api_token == "s3cret-token"
    assert "s3cret-token" not in repr(settings)
    assert Settings(callcenter_path=Path("x.toml")).callcenter_path == Path("x.toml")


def test_settings_refuse_a_bad_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_AGI_PORT", "99999")
    with pytest.raises(ValueError, match="agi_port"):
        Settings()


def test_command_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_cli.main([]) == 0
    out = capsys.readouterr().out
    assert "Consular call center (Africa/Casablanca)" in out
    assert "  2 zgh  Amazigh (Tamazight) -> q-zgh" in out
    assert "  2 request_status (48 h, asks reference)" in out
    assert "+33 fr" in out


def test_command_lists_holidays_of_a_year(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_cli.main([str(CITYHALL), "--year", "2027"]) == 0
    out = capsys.readouterr().out
    assert "public holidays: closed (FR)" in out
    assert "  2027-07-14 National Day" in out


def test_command_reports_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(PACKAGED_TEXT.replace('timezone = "Africa/Casablanca"', 'timezone = "Africa/Atlantis"'))
    assert config_cli.main([str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}: timezone: unknown time zone 'Africa/Atlantis'" in captured.err


def test_summary_of_a_call_center_without_holidays_or_prefixes() -> None:
    data = reference_data()
    data["holiday_country"] = None
    data["country_prefixes"] = {}
    text = config_cli.summary(callcenter_from_data(data))
    assert "public holidays: open (no holiday calendar)" in text
    assert "prefixes: none" in text


def test_commented_examples_in_the_packaged_file_work_when_uncommented() -> None:
    # The administrator's documentation is the file itself: its examples must be valid as written.
    example_line = re.compile(r'^(\s*)# ((\[|"|\{|[a-z_]+ = ).*)$')
    lines = [example_line.sub(r"\1\2", line) for line in PACKAGED_TEXT.splitlines()]
    assert sum(a != b for a, b in zip(lines, PACKAGED_TEXT.splitlines(), strict=True)) >= 10
    callcenter = parse_callcenter("\n".join(lines))
    assert [closure.reason for closure in callcenter.closures] == ["Inventory day", "Move to the new building"]
    assert callcenter.holiday_overrides[2027]["Eid al-Fitr"][0].isoformat() == "2027-03-10"
    assert [str(i) for i in callcenter.special_hours[0].hours.friday] == ["09:00-15:00"]

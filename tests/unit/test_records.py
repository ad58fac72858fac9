"""The call record's bounds: instants within 2000..2100 with an offset, durations finite and at most a week."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from callcenter.records import (
    EARLIEST,
    LATEST,
    MAX_SECONDS,
    MAX_VERSION,
    CallRecord,
    Outcome,
    clamp_instant,
    clamp_seconds,
    version_at,
)

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def record(**fields: Any) -> CallRecord:
    return CallRecord.model_validate({"linkedid": "1.1", "started_at": T0, "outcome": Outcome.ANSWERED} | fields)


@pytest.mark.parametrize(
    "instant",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "2026-11-10T09:00:00",  # no offset: whose clock?
    ],
)
def test_an_instant_out_of_range_or_without_offset_is_refused(instant: str) -> None:
    with pytest.raises(ValidationError):
        record(started_at=instant)
    with pytest.raises(ValidationError):
        record(ended_at=instant)


def test_an_instant_is_kept_as_utc() -> None:
    stored = record(started_at="2026-11-10T10:00:00+01:00")
    assert stored.started_at == T0
    assert stored.started_at.utcoffset() == timedelta(0)
    assert stored.model_dump(mode="json")["started_at"] == "2026-11-10T09:00:00Z"


@pytest.mark.parametrize("seconds", [-1.0, math.inf, math.nan, 1e308, MAX_SECONDS + 1])
def test_a_duration_out_of_range_is_refused(seconds: float) -> None:
    with pytest.raises(ValidationError):
        record(wait_seconds=seconds)
    with pytest.raises(ValidationError):
        record(talk_seconds=seconds)
    assert record(wait_seconds=MAX_SECONDS).wait_seconds == MAX_SECONDS


def test_clamping_makes_any_value_storable() -> None:
    assert clamp_instant(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == EARLIEST
    assert clamp_instant(datetime(9999, 12, 31, tzinfo=UTC)) < LATEST
    assert clamp_instant(datetime(2026, 11, 10, 9, 0)) == T0  # naive: taken as UTC
    assert clamp_seconds(None) is None
    assert clamp_seconds(math.inf) is None
    assert clamp_seconds(math.nan) is None
    assert clamp_seconds(-3.0) == 0.0
    assert clamp_seconds(1e308) == MAX_SECONDS
    assert clamp_seconds(12.5) == 12.5


def test_versions_are_microseconds_since_the_epoch_within_a_bigint() -> None:
    assert version_at(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1_000_000
    assert version_at(datetime(1970, 1, 1, 0, 0, 2)) == 2_000_000  # naive: taken as UTC
    assert version_at(datetime(1, 1, 1, tzinfo=UTC)) == 0
    assert version_at(datetime(9999, 1, 1, tzinfo=UTC)) <= MAX_VERSION
    with pytest.raises(ValidationError):
        CallRecord.model_validate({"linkedid": "1.2", "started_at": "2026-01-01T00:00:00Z", "outcome": "failed",
                                   "version": MAX_VERSION + 1})  # fmt: skip

"""When a failed citizen notification is tried again (api.channels.backoff): 1, 5, 30 minutes, then hourly, and
given up 48 hours after it was recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.channels.backoff import GIVE_UP_AFTER, delay_after, next_try

RECORDED = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_the_waits_grow_then_stay_hourly() -> None:
    assert [delay_after(attempts) for attempts in range(1, 7)] == [
        timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1),
        timedelta(hours=1),
    ]  # fmt: skip


def test_each_try_is_scheduled_from_when_the_last_one_failed() -> None:
    failed_at = RECORDED + timedelta(minutes=7)
    assert next_try(attempts=2, recorded_at=RECORDED, now=failed_at) == failed_at + timedelta(minutes=5)


def test_a_whole_schedule_gives_up_after_48_hours() -> None:
    now, attempts, tries = RECORDED, 0, []
    while True:
        attempts += 1  # this try fails at `now`
        following = next_try(attempts=attempts, recorded_at=RECORDED, now=now)
        if following is None:
            break
        tries.append(following)
        now = following
    assert tries[:3] == [RECORDED + timedelta(minutes=1), RECORDED + timedelta(minutes=6),
                         RECORDED + timedelta(minutes=36)]  # fmt: skip
    assert tries[-1] <= RECORDED + GIVE_UP_AFTER < tries[-1] + timedelta(hours=1)
    assert len(tries) == 3 + 47  # 36 minutes in, then hourly up to 47 h 36 min


def test_a_try_that_would_fall_past_the_limit_gives_up() -> None:
    late = RECORDED + GIVE_UP_AFTER - timedelta(minutes=30)
    assert next_try(attempts=5, recorded_at=RECORDED, now=late) is None
    assert next_try(attempts=1, recorded_at=RECORDED, now=late) == late + timedelta(minutes=1)

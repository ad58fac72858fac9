"""Callback attempts and their recovery (api.ami.callback_rules), pure: the retry delay, the outcome of an
attempt, which attempts were lost in flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.ami.callback_rules import (
    DIAL_GRACE,
    AfterAttempt,
    Dialing,
    after_attempt,
    answered_by_status,
    attempt_of,
    channel_id,
    lost_in_flight,
    retry_delay,
)

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


def test_the_delay_doubles_per_attempt_up_to_a_cap() -> None:
    assert [retry_delay(n).total_seconds() for n in range(0, 7)] == [60, 60, 120, 240, 480, 900, 900]
    assert retry_delay(10_000) == timedelta(minutes=15)


def test_an_attempt_ends_done_pending_after_a_delay_or_failed() -> None:
    assert after_attempt(answered=True, attempts=1, max_attempts=3, now=NOW) == AfterAttempt("done", None)
    assert after_attempt(answered=False, attempts=2, max_attempts=3, now=NOW) == AfterAttempt(
        "pending", NOW + timedelta(minutes=2)
    )
    assert after_attempt(answered=False, attempts=3, max_attempts=3, now=NOW) == AfterAttempt("failed", None)


def test_an_attempt_is_lost_once_past_the_grace_with_no_channel_left() -> None:
    old, fresh = NOW - DIAL_GRACE - timedelta(seconds=1), NOW - timedelta(seconds=2)
    dialing = [Dialing(1, 1, old), Dialing(2, 2, old), Dialing(3, 1, fresh), Dialing(4, 1, old)]
    live = {channel_id(2, 2, old), channel_id(4, 0, old)}  # 4's channel is an older attempt's, not this one's
    assert [d.callback_id for d in lost_in_flight(dialing, live_channels=live, now=NOW)] == [1, 4]


def test_a_channel_id_names_the_callback_its_attempt_and_when_it_was_claimed() -> None:
    claimed = datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=UTC)
    assert channel_id(12, 3, claimed) == "ivr-callback-12-3-1796032800123456"
    assert attempt_of(channel_id(12, 3, claimed)) == (12, 3)
    # another database's callback 12 (a test's, a restored backup's) never shares AstDB's entry
    assert channel_id(12, 3, claimed) != channel_id(12, 3, claimed + timedelta(microseconds=1))
    for other in ("PJSIP/agent1001-00000001", "1796032800.42", "ivr-callback-12-3", "ivr-callback-a-1-2", ""):
        assert attempt_of(other) is None


def test_only_an_answer_filed_by_asterisk_counts_as_answered() -> None:
    assert answered_by_status("ANSWER")
    assert not any(answered_by_status(status) for status in (None, "", "NOANSWER", "BUSY", "CHANUNAVAIL"))

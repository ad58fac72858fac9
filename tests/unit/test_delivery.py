"""The outbox's delivery decisions (ivr.delivery), pure: answers judged, per-record backoff and quarantine, which
records a pass posts, spool names."""

from __future__ import annotations

import pytest

from ivr.delivery import (
    Answer,
    Candidate,
    DeliveryState,
    Policy,
    Quarantine,
    after_refusal,
    backlog,
    is_due,
    judge,
    parse_name,
    plan_pass,
    retried_alone,
    spool_name,
)


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (200, Answer.DELIVERED),
        (201, Answer.DELIVERED),
        (None, Answer.API_AWAY),
        (503, Answer.API_AWAY),
        (502, Answer.API_AWAY),
        (401, Answer.API_AWAY),
        (429, Answer.API_AWAY),
        (413, Answer.UNSENDABLE),
        (422, Answer.UNSENDABLE),
        (500, Answer.REFUSED),
        (400, Answer.REFUSED),
        (409, Answer.REFUSED),
    ],
)
def test_answers_are_judged_for_the_api_or_for_the_record(status: int | None, answer: Answer) -> None:
    assert judge(status) is answer


def test_each_refusal_doubles_the_record_s_wait_then_quarantines_it() -> None:
    policy = Policy(max_attempts=5, base_delay_s=10, max_delay_s=50)
    state = DeliveryState()
    waits: list[float] = []
    for _ in range(4):
        decision = after_refusal(state, reason="500", now=1000.0, policy=policy)
        assert isinstance(decision, DeliveryState)
        waits.append(decision.retry_at - 1000.0)
        state = decision
    assert waits == [10, 20, 40, 50]
    assert state == DeliveryState(attempts=4, retry_at=1050.0, last_error="500")
    final = after_refusal(state, reason="the API answered 500", now=2000.0, policy=policy)
    assert final == Quarantine("the API answered 500 (after 5 attempts)")


def test_a_record_is_due_at_its_retry_time() -> None:
    state = DeliveryState(attempts=1, retry_at=100.0)
    assert not is_due(state, 99.9) and is_due(state, 100.0) and is_due(DeliveryState(), 0.0)


def candidate(linkedid: str, version: int, spooled_at: float, state: DeliveryState | None = None) -> Candidate:
    return Candidate(name=spool_name(linkedid, version), spooled_at=spooled_at, state=state or DeliveryState())


def test_a_pass_posts_due_records_oldest_first_and_drops_superseded_versions() -> None:
    waiting = DeliveryState(attempts=2, retry_at=500.0)
    plan = plan_pass(
        [
            candidate("c", 1, 30.0),
            candidate("a", 1, 10.0),
            candidate("a", 2, 40.0),  # the newer version of a
            candidate("poison", 1, 5.0, waiting),  # the oldest, but not due
            candidate("b", 1, 20.0),
        ],
        now=100.0,
    )
    assert [(c.name.linkedid, c.name.version) for c in plan.post] == [("b", 1), ("c", 1), ("a", 2)]
    assert [(c.name.linkedid, c.name.version) for c in plan.superseded] == [("a", 1)]
    later = plan_pass([candidate("poison", 1, 5.0, waiting), candidate("b", 1, 20.0)], now=500.0)
    assert [c.name.linkedid for c in later.post] == ["poison", "b"]


def test_a_batch_with_a_record_refused_before_goes_one_by_one() -> None:
    assert not retried_alone([DeliveryState(), DeliveryState()])
    assert retried_alone([DeliveryState(), DeliveryState(attempts=1)])


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("1700000000.42@1764500000123456.json", ("1700000000.42", 1764500000123456)),
        ("1700000000.42.json", ("1700000000.42", 0)),  # spooled before versions: version 0
        ("a@b@7.json", ("a@b", 7)),
        (".1700000000.42@1.json.0f3a.tmp", None),
        ("1700000000.42@1.state", None),
        ("x@.json", None),
        ("@1.json", None),
        ("x@1e3.json", None),
        (".json", None),
    ],
)
def test_spool_names(name: str, parsed: tuple[str, int] | None) -> None:
    found = parse_name(name)
    assert (None if found is None else (found.linkedid, found.version)) == parsed
    if found is not None:
        assert found.file_name == name and found.state_name == name.removesuffix(".json") + ".state"


def test_the_backlog_counts_held_records_and_the_oldest_age() -> None:
    assert backlog([], now=10.0, quarantined=0, held_since=[], disk_full=False, write_failures=0).count == 0
    found = backlog([8.0, 6.0], now=10.0, quarantined=3, held_since=[1.0], disk_full=True, write_failures=2)
    assert (found.count, found.oldest_age_s, found.quarantined, found.held_in_memory) == (3, 9.0, 3, 1)
    assert found.disk_full and found.write_failures == 2

"""The complaint workflow's pure core and the [complaints] configuration: both deployment files, the rights of
each role on each transition, the stage clocks in working days of a department's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.calendar import BusinessCalendar
from callcenter.departments import Complaints
from callcenter.loading import ConfigError, callcenter_from_data, load_callcenter
from callcenter.workflow import (
    TRANSITIONS,
    Action,
    Actor,
    DepartmentCalendars,
    Move,
    RefusalKind,
    Refused,
    Stage,
    State,
    add_working_days,
    allowed_actions,
    at_risk,
    decide,
    stage_due,
)

ROOT = Path(__file__).resolve().parents[2]
CITYHALL = load_callcenter(ROOT / "examples" / "cityhall.toml")
CONSULAR = load_callcenter(ROOT / "callcenter" / "callcenter.toml")
NOW = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # a Tuesday


def complaints_of(callcenter: Any) -> Complaints:
    assert callcenter.complaints is not None
    found: Complaints = callcenter.complaints
    return found


CITY = complaints_of(CITYHALL)
DESK = Actor("accueil", desk=True)


def member(name: str, config: Complaints = CITY) -> Actor:
    return Actor(name, memberships=config.memberships(name))


def test_both_deployments_load_departments_categories_and_routes() -> None:
    consular = complaints_of(CONSULAR)
    assert {d.key for d in CITY.departments} >= {"proprete", "hygiene", "domaine-public", "urbanisme"}
    assert CITY.route(category="dechets", channel="web", language="ar", service="", request_type="complaint") == (
        "proprete"
    )
    assert CITY.route(category="chantiers", channel="paper", language="fr", service="", request_type="complaint") == (
        "urbanisme"
    )
    assert CITY.route(category="chantiers", channel="web", language="fr", service="", request_type="complaint") == (
        "domaine-public"
    )
    assert CITY.route(category=None, channel="phone", language="fr", service="", request_type="complaint") is None
    # consular posts are departments: the dialed line's tag picks the post
    assert consular.route(category="complaint", channel="phone", language="ar", service="paris",
                          request_type="other") == "cg-paris"  # fmt: skip
    assert consular.route(category="complaint", channel="web", language="ar", service="", request_type="other") == (
        "dac"
    )


def test_heads_and_secretaries_reach_down_the_tree_and_agents_do_not() -> None:
    assert CITY.memberships("m.haddad") == {"services-techniques": "head", "proprete": "head", "hygiene": "head"}
    assert CITY.memberships("s.amrani") == {
        "services-techniques": "secretary", "proprete": "secretary", "hygiene": "secretary"
    }  # fmt: skip
    assert CITY.memberships("y.tazi") == {"proprete": "agent"}
    assert CITY.memberships("nobody") == {}
    assert CITY.dashboard_departments("maire") is None
    assert CITY.dashboard_departments("adjoint.proprete") == {"services-techniques", "proprete", "hygiene"}
    assert CITY.dashboard_departments("y.tazi") == set()


def _data(**complaints: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "request_types": ["complaint"],
        "departments": [{"key": "a", "names": {"fr": "A"}}, {"key": "b", "names": {"fr": "B"}, "parent": "a"}],
        "categories": [{"key": "x", "names": {"fr": "X"}, "department": "b", "deadline_days": 3}],
    }
    data = CITYHALL.model_dump(mode="json", exclude={"complaints"})
    return data | {"complaints": base | complaints}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"request_types": ["nope"]}, "'nope' is not a request type key"),
        ({"categories": [{"key": "x", "names": {"fr": "X"}, "department": "z", "deadline_days": 3}]},
         "'z' is not a department"),
        ({"departments": [{"key": "a", "names": {"fr": "A"}, "parent": "b"},
                          {"key": "b", "names": {"fr": "B"}, "parent": "a"}]}, "its own ancestor"),
        ({"departments": [{"key": "a", "names": {"fr": "A"}, "head": "hh", "agents": ["hh"]}]}, "two roles"),
        ({"departments": [{"key": "a", "names": {"de": "A"}}, {"key": "b", "names": {"fr": "B"}}]}, "'de'"),
        ({"routes": [{"department": "q"}]}, "'q' is not a department"),
        ({"officials": [{"username": "maire", "title": "mayor", "departments": ["q"]}]}, "'q' is not a department"),
        ({"default_category": {"complaint": "q"}}, "'q' is not a category"),
        ({"departments": [{"key": "a", "names": {"fr": "A"}}, {"key": "a", "names": {"fr": "B"}}]}, "listed twice"),
    ],
)  # fmt: skip
def test_inconsistent_configurations_are_refused_at_load(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        callcenter_from_data(_data(**change))


def test_the_whole_path_with_a_send_back_and_the_rights_at_each_step() -> None:
    state = State(Stage.RECEIVED, None, None, reference="12345678")
    step = decide(CITY, state, Move(Action.ROUTE, department="hygiene"), DESK, now=NOW)  # the wrong one
    assert (step.target, step.department, step.capacity) == (Stage.ASSIGNED, "hygiene", "desk")
    state = State(step.target, step.department, step.assignee)
    # not theirs: hygiene sends it back, and must say why
    with pytest.raises(Refused) as refused:
        decide(CITY, state, Move(Action.SEND_BACK), member("b.lahlou"), now=NOW)
    assert refused.value.kind is RefusalKind.INVALID
    with pytest.raises(Refused) as refused:  # the cleanliness agent has no say on hygiene's requests
        decide(CITY, state, Move(Action.SEND_BACK, comment="x"), member("y.tazi"), now=NOW)
    assert refused.value.kind is RefusalKind.FORBIDDEN
    step = decide(CITY, state, Move(Action.SEND_BACK, comment="rubbish, not rats"), member("b.lahlou"), now=NOW)
    assert (step.target, step.department) == (Stage.SENT_BACK, None)
    state = State(step.target, None, None)
    step = decide(CITY, state, Move(Action.ROUTE, department="proprete"), DESK, now=NOW)
    state = State(step.target, step.department, None)
    with pytest.raises(Refused, match="only the head or a secretary"):
        decide(CITY, state, Move(Action.TAKE, assignee="f.ouali"), member("y.tazi"), now=NOW)
    step = decide(CITY, state, Move(Action.TAKE, assignee="y.tazi"), member("i.zahraoui"), now=NOW)
    assert step.assignee == "y.tazi"
    state = State(step.target, "proprete", "y.tazi")
    with pytest.raises(Refused) as refused:  # an agent who is not the assignee does not answer
        decide(CITY, state, Move(Action.PROPOSE, comment="done"), member("f.ouali"), now=NOW)
    assert refused.value.kind is RefusalKind.FORBIDDEN
    step = decide(CITY, state, Move(Action.PROPOSE, comment="Collected on Monday."), member("y.tazi"), now=NOW)
    assert step.target is Stage.ANSWER_PROPOSED
    state = State(step.target, "proprete", "y.tazi")
    for not_approver in (member("y.tazi"), member("f.ouali"), DESK, member("r.alaoui")):
        with pytest.raises(Refused) as refused:
            decide(CITY, state, Move(Action.APPROVE), not_approver, now=NOW)
        assert refused.value.kind is RefusalKind.FORBIDDEN, not_approver.name
    step = decide(CITY, state, Move(Action.APPROVE), member("m.haddad"), now=NOW)  # the directorate's head
    state = State(step.target, "proprete", "y.tazi")
    step = decide(CITY, state, Move(Action.CLOSE), member("y.tazi"), now=NOW)
    assert step.target is Stage.CLOSED


def test_approval_rules_of_each_department() -> None:
    in_progress = State(Stage.IN_PROGRESS, "domaine-public", "a.berrada")
    step = decide(CITY, in_progress, Move(Action.PROPOSE, comment="ok"), member("a.berrada"), now=NOW)
    assert step.target is Stage.ANSWER_APPROVED  # approval = "none"
    proposed = State(Stage.ANSWER_PROPOSED, "urbanisme", "o.chraibi")
    assert Action.APPROVE in allowed_actions(CITY, proposed, member("h.bennani"), now=NOW)  # head_or_secretary
    hygiene = State(Stage.ANSWER_PROPOSED, "hygiene", "b.lahlou")
    assert allowed_actions(CITY, hygiene, member("s.amrani"), now=NOW) == []  # hygiene: the head approves
    assert allowed_actions(CITY, hygiene, member("n.idrissi"), now=NOW) == [Action.APPROVE, Action.RETURN]
    with pytest.raises(Refused, match="needs a reason"):
        decide(CITY, hygiene, Move(Action.RETURN), member("n.idrissi"), now=NOW)


def test_desk_only_actions_and_stage_conflicts() -> None:
    received = State(Stage.RECEIVED, None, None, reference="11111111")
    for action in (Action.ROUTE, Action.REJECT, Action.PASS_OUTSIDE, Action.DUPLICATE):
        with pytest.raises(Refused) as refused:
            decide(CITY, received, Move(action, comment="x", department="proprete"), member("m.haddad"), now=NOW)
        assert refused.value.kind is RefusalKind.FORBIDDEN
    with pytest.raises(Refused, match="known department"):
        decide(CITY, received, Move(Action.ROUTE, department="nowhere"), DESK, now=NOW)
    with pytest.raises(Refused, match="another request"):
        decide(CITY, received, Move(Action.DUPLICATE, duplicate_of="11111111"), DESK, now=NOW)
    step = decide(CITY, received, Move(Action.DUPLICATE, duplicate_of="22222222"), DESK, now=NOW)
    assert (step.target, step.comment) == (Stage.DUPLICATE, "duplicate of 22222222")
    step = decide(CITY, received, Move(Action.REJECT, comment="not a municipal matter"), DESK, now=NOW)
    assert step.target is Stage.REJECTED
    closed = State(Stage.CLOSED, "proprete", "y.tazi", closed_at=NOW)
    with pytest.raises(Refused) as refused:
        decide(CITY, closed, Move(Action.ROUTE, department="proprete"), DESK, now=NOW)
    assert refused.value.kind is RefusalKind.CONFLICT
    assert allowed_actions(CITY, closed, member("y.tazi"), now=NOW) == []


def test_the_citizen_reopens_within_the_period_only() -> None:
    citizen = Actor("citizen", citizen=True)
    closed = State(Stage.CLOSED, "proprete", "y.tazi", closed_at=NOW)
    later = NOW + timedelta(days=CITY.reopen_days)
    step = decide(CITY, closed, Move(Action.REOPEN, comment="still there"), citizen, now=later)
    assert (step.target, step.department) == (Stage.REOPENED, "proprete")
    with pytest.raises(Refused, match="30 days"):
        decide(CITY, closed, Move(Action.REOPEN, comment="still"), citizen, now=later + timedelta(seconds=1))
    assert decide(CITY, closed, Move(Action.REOPEN, comment="phoned"), DESK, now=later + timedelta(days=9))
    with pytest.raises(Refused) as refused:
        decide(CITY, State(Stage.IN_PROGRESS, "proprete", "y.tazi"), Move(Action.CLOSE), citizen, now=NOW)
    assert refused.value.kind is RefusalKind.FORBIDDEN


def test_every_transition_names_who_and_from_where() -> None:
    for action, rule in TRANSITIONS.items():
        assert rule.who and rule.sources, action
        assert rule.target not in rule.sources or action is Action.TAKE


def test_working_days_follow_each_departments_calendar() -> None:
    calendars = DepartmentCalendars(CITYHALL)
    friday = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    # the city's hours: Saturday mornings count, so Friday + 1 working day is Saturday noon (Paris)
    assert add_working_days(calendars.of(None), friday, 1) == datetime(2027, 3, 6, 11, 0, tzinfo=UTC)
    # cleanliness works Saturday 07:00-12:00 too; hygiene has the city's hours
    assert add_working_days(calendars.of("proprete"), friday, 2) == datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
    assert calendars.of("proprete") is calendars.of("proprete")
    assert calendars.of("hygiene") is calendars.of(None)
    # 1 May (a French holiday, a Saturday in 2027) does not count
    assert add_working_days(calendars.of(None), datetime(2027, 4, 30, 10, tzinfo=UTC), 1) == datetime(
        2027, 5, 3, 15, 30, tzinfo=UTC
    )
    due = stage_due(CITY, calendars.of("proprete"), Stage.IN_PROGRESS, friday)
    assert due is not None
    assert stage_due(CITY, calendars.of("proprete"), Stage.CLOSED, friday) is None
    assert at_risk(calendars.of(None), friday + timedelta(hours=20), friday, 1)
    assert not at_risk(calendars.of(None), friday - timedelta(hours=1), friday, 1)  # overdue, not at risk
    assert not at_risk(calendars.of(None), friday + timedelta(days=30), friday, 1)
    short = BusinessCalendar(CITYHALL, horizon_days=3)  # a calendar that never reaches 5 working days
    with pytest.raises(ValueError, match="working days"):
        add_working_days(short, friday, 10)
    assert stage_due(CITY, short, Stage.IN_PROGRESS, friday) is None  # no clock rather than an error
    assert not at_risk(short, friday + timedelta(days=30), friday, 5)


def test_ivr_config_says_who_owns_each_category() -> None:
    from callcenter.cli import summary

    text = summary(CITYHALL)
    assert "  services-techniques [approval: head_or_secretary] m.haddad, s.amrani" in text
    assert "    proprete [approval: head_or_secretary] k.benjelloun, i.zahraoui, y.tazi, f.ouali" in text
    assert "      - dechets (3 working days)" in text
    assert "routing rules: 2, officials: 3" in text

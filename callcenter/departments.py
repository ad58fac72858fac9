"""Departments, categories and routing ([complaints] of the call-center file): who owns which request.

Rules:
- Departments form a tree (`parent`): a city hall's directorates and their services, or a ministry's consular
  posts. Each has members by staff username: one head, secretaries and agents (civil servants). A head or a
  secretary of a department is also head or secretary of every department below it (a division approves its
  subdivisions' answers); an agent belongs to their own department only.
- A category belongs to one department and carries its answer deadline in working days of that department's
  calendar (the call center's hours, or the department's own `hours`).
- Routing rules are tried in order; the first whose every given field (category, channel, language, service
  line, request type) matches names the department. No rule matches: the category's department. Neither: the
  request waits at the desk with no suggestion.
- `approval` says who approves a proposed answer: the head, the head or a secretary, or nobody (a proposed
  answer is then approved at once).
- Officials (director general, elected officials, the mayor) see dashboards: of every department, or of the
  departments listed (an elected official's delegation) and those below them.
- Every cross-reference is checked at load: an unknown department, a cycle, a username in two roles of one
  department, a label in a language the call center does not speak.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from callcenter.hours import STRICT, WeeklyHours

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
Username = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]  # api.security.users
Labels = Annotated[dict[str, Annotated[str, Field(min_length=1, max_length=120)]], Field(min_length=1)]


class DepartmentRole(enum.StrEnum):
    HEAD = "head"
    SECRETARY = "secretary"
    AGENT = "agent"


class Approval(enum.StrEnum):
    HEAD = "head"
    HEAD_OR_SECRETARY = "head_or_secretary"
    NONE = "none"


class OfficialTitle(enum.StrEnum):
    DIRECTOR_GENERAL = "director_general"
    ELECTED = "elected"
    MAYOR = "mayor"


class _Strict(BaseModel):
    model_config = STRICT


class Department(_Strict):
    key: Key
    names: Labels
    parent: Key | None = None
    head: Username | None = None
    secretaries: list[Username] = []
    agents: list[Username] = []
    approval: Approval = Approval.HEAD_OR_SECRETARY
    hours: WeeklyHours | None = None  # None: the call center's hours count as working days

    @model_validator(mode="after")
    def _one_role_each(self) -> Department:
        everyone = [*([self.head] if self.head else []), *self.secretaries, *self.agents]
        twice = sorted(name for name, n in Counter(everyone).items() if n > 1)
        if twice:
            raise ValueError(f"{', '.join(twice)}: listed in two roles of department {self.key!r}")
        return self

    def role_of(self, username: str) -> DepartmentRole | None:
        if username == self.head:
            return DepartmentRole.HEAD
        if username in self.secretaries:
            return DepartmentRole.SECRETARY
        if username in self.agents:
            return DepartmentRole.AGENT
        return None

    def members(self) -> list[str]:
        return [*([self.head] if self.head else []), *self.secretaries, *self.agents]


class Category(_Strict):
    key: Key
    names: Labels
    department: Key
    deadline_days: int = Field(ge=1, le=366)  # answer deadline, working days of the department
    service_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,40}$")  # Open311; None: the key


class RoutingRule(_Strict):
    department: Key
    category: Key | None = None
    channel: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,15}$")  # phone, web, email, chat, paper
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$")
    service: str | None = Field(default=None, max_length=64)  # the service line's tag (IVR_SERVICE_LINES)
    request_type: Key | None = None

    def matches(self, *, category: str | None, channel: str, language: str | None, service: str,
                request_type: str) -> bool:  # fmt: skip
        wanted = (self.category, self.channel, self.language, self.service, self.request_type)
        actual = (category, channel, language, service, request_type)
        return all(rule is None or rule == value for rule, value in zip(wanted, actual, strict=True))


class Official(_Strict):
    username: Username
    title: OfficialTitle
    departments: list[Key] = []  # empty: all of them


class StageDays(_Strict):
    """Working days a request may spend in each stage before it is overdue there (FixMyStreet Zurich: 1 day
    undispatched, 5 in progress)."""

    received: int = Field(default=1, ge=1, le=60)
    sent_back: int = Field(default=1, ge=1, le=60)
    assigned: int = Field(default=1, ge=1, le=60)
    reopened: int = Field(default=2, ge=1, le=60)
    in_progress: int = Field(default=5, ge=1, le=120)
    answer_proposed: int = Field(default=2, ge=1, le=60)
    answer_approved: int = Field(default=1, ge=1, le=60)


class Complaints(_Strict):
    """The complaint workflow of a deployment; see examples/cityhall.toml."""

    request_types: list[Key] = Field(min_length=1)  # request types that enter the workflow
    auto_route: bool = True  # a request whose department is known is assigned at once; else the desk confirms
    reopen_days: int = Field(default=30, ge=0, le=366)  # calendar days a citizen may reopen a closed request
    at_risk_days: int = Field(default=1, ge=0, le=30)  # working days left that count as "at risk"
    stage_days: StageDays = StageDays()
    departments: list[Department] = Field(min_length=1, max_length=500)
    categories: list[Category] = Field(min_length=1, max_length=500)
    routes: list[RoutingRule] = []
    officials: list[Official] = []
    default_category: dict[Key, Key] = {}  # request type -> the category its requests start with

    @model_validator(mode="after")
    def _consistent(self) -> Complaints:
        problems: list[str] = []
        for what, keys in (("departments", [d.key for d in self.departments]),
                           ("categories", [c.key for c in self.categories])):  # fmt: skip
            problems += [f"{what}: {key!r} is listed twice" for key, n in Counter(keys).items() if n > 1]
        codes = [c.service_code or c.key for c in self.categories]
        problems += [f"categories: service code {code!r} is used twice" for code, n in Counter(codes).items() if n > 1]
        known = {d.key for d in self.departments}
        for index, department in enumerate(self.departments):
            if department.parent is not None and department.parent not in known:
                problems.append(f"departments[{index}].parent: {department.parent!r} is not a department")
        for index, category in enumerate(self.categories):
            if category.department not in known:
                problems.append(f"categories[{index}].department: {category.department!r} is not a department")
        categories = {c.key for c in self.categories}
        for index, rule in enumerate(self.routes):
            if rule.department not in known:
                problems.append(f"routes[{index}].department: {rule.department!r} is not a department")
            if rule.category is not None and rule.category not in categories:
                problems.append(f"routes[{index}].category: {rule.category!r} is not a category")
        for index, official in enumerate(self.officials):
            problems += [f"officials[{index}].departments: {key!r} is not a department"
                         for key in official.departments if key not in known]  # fmt: skip
        for kind, default in self.default_category.items():
            if default not in categories:
                problems.append(f"default_category.{kind}: {default!r} is not a category")
        if not problems:
            problems += self._cycles()
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _cycles(self) -> list[str]:
        parents = {d.key: d.parent for d in self.departments}
        problems = []
        for key in parents:
            seen = {key}
            parent = parents[key]
            while parent is not None:
                if parent in seen:
                    problems.append(f"departments: {key!r} is its own ancestor")
                    break
                seen.add(parent)
                parent = parents[parent]
        return problems

    # -- questions ----------------------------------------------------------------------------------------

    def department(self, key: str) -> Department | None:
        return next((d for d in self.departments if d.key == key), None)

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def category_by_code(self, code: str) -> Category | None:
        return next((c for c in self.categories if (c.service_code or c.key) == code), None)

    def ancestors(self, key: str) -> Iterator[Department]:
        """The department itself, then its parent, up to the root."""
        current = self.department(key)
        while current is not None:
            yield current
            current = self.department(current.parent) if current.parent is not None else None

    def subtree(self, key: str) -> set[str]:
        """The department and every department below it."""
        found = {key}
        changed = True
        while changed:
            below = {d.key for d in self.departments if d.parent in found}
            changed = not below <= found
            found |= below
        return found

    def memberships(self, username: str) -> dict[str, DepartmentRole]:
        """Department -> the user's role there: their own role where listed, and head or secretary of every
        department below one they head or assist (the stronger of the two where both apply)."""
        roles: dict[str, DepartmentRole] = {}
        rank = {DepartmentRole.HEAD: 0, DepartmentRole.SECRETARY: 1, DepartmentRole.AGENT: 2}
        for department in self.departments:
            for ancestor in self.ancestors(department.key):
                role = ancestor.role_of(username)
                if role is None or (role is DepartmentRole.AGENT and ancestor.key != department.key):
                    continue
                current = roles.get(department.key)
                if current is None or rank[role] < rank[current]:
                    roles[department.key] = role
        return roles

    def route(self, *, category: str | None, channel: str, language: str | None, service: str,
              request_type: str) -> str | None:  # fmt: skip
        """The department a request goes to: the first matching rule's, else its category's; None: the desk."""
        for rule in self.routes:
            if rule.matches(category=category, channel=channel, language=language, service=service,
                            request_type=request_type):  # fmt: skip
                return rule.department
        found = self.category(category) if category is not None else None
        return found.department if found is not None else None

    def dashboard_departments(self, username: str) -> set[str] | None:
        """The departments an official's dashboards cover; None: all; an empty set: not an official."""
        official = next((o for o in self.officials if o.username == username), None)
        if official is None:
            return set()
        if not official.departments:
            return None
        return set().union(*(self.subtree(key) for key in official.departments))

    def label_languages(self) -> set[str]:
        labels = [*(d.names for d in self.departments), *(c.names for c in self.categories)]
        return {code for names in labels for code in names}

"""Error bodies: RFC 9457 problem details (api/problems.py writes them)."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    """An RFC 9457 problem."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class ValidationIssue(BaseModel):
    type: str
    loc: list[str | int]
    msg: str


class ValidationProblem(Problem):
    """422: the request's parameters or body are not valid; `errors` says where and why."""

    errors: list[ValidationIssue]

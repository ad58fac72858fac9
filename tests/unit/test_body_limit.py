"""The body limit per path: exact upload paths, upload paths with a parameter (prefix and suffix), the rest."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from api.body_limit import BodyLimitMiddleware


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("not called")


LIMITS = BodyLimitMiddleware(
    _app,
    max_body_bytes=1024,
    larger={"/portal/requests/form": 50_000},
    larger_under={("/prompts/", "/recording"): 10_000_000},
)


def test_each_path_gets_its_own_limit() -> None:
    assert LIMITS.limit_of("/portal/requests/form") == 50_000
    assert LIMITS.limit_of("/prompts/fr/greeting/recording") == 10_000_000
    assert LIMITS.limit_of("/prompts/fr/greeting") == 1024  # not the upload route
    assert LIMITS.limit_of("/calls") == 1024
    assert LIMITS.limit_of("/portal/requests/form/x") == 1024

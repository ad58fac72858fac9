"""A database that cannot be reached answers 503 with Retry-After (api.problems), so the agi side's outbox backs
off without counting an attempt against any record, and no one is told their request was wrong."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, OperationalError

from api.problems import install_problem_handlers


class CannotConnectNowError(Exception):
    """Stands for asyncpg's error of that name ("the database system is starting up")."""


CannotConnectNowError.__module__ = "asyncpg.exceptions"


def failing_app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")),
        DBAPIError("SELECT 1", {}, Exception("connection lost"), connection_invalidated=True),
        CannotConnectNowError("the database system is starting up"),
    ],
)
async def test_an_unreachable_database_is_a_503_with_retry_after(error: Exception) -> None:
    transport = httpx.ASGITransport(app=failing_app(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        response = await client.get("/boom")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["status"] == 503


async def test_a_bug_is_still_a_500() -> None:
    transport = httpx.ASGITransport(app=failing_app(KeyError("x")), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500

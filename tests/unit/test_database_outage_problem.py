"""A database that cannot be reached answers 503 with Retry-After (api.problems), so the agi side's outbox backs
off without counting an attempt against any record, and no one is told their request was wrong."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, OperationalError

from api.problems import install_problem_handlers


class CannotConnectNowError(Exception):
    """Stands for asyncpg's error of that name ("the database system is starting up")."""


CannotConnectNowError.__module__ = "asyncpg.exceptions"


def _raise_in_the_driver(error: Exception) -> None:
    """Raise `error` from a frame of a module named like asyncpg's connection code."""
    code = compile("def connect(error):\n    raise error\n", "connect_utils.py", "exec")
    namespace: dict[str, Any] = {"__name__": "asyncpg.connect_utils"}
    exec(code, namespace)  # a constant snippet: a frame in "asyncpg" for the handler to see
    namespace["connect"](error)


def failing_app(error: Exception, *, in_driver: bool = False) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        if in_driver:
            _raise_in_the_driver(error)
        raise error

    return app


@pytest.mark.parametrize(
    "error",
    [
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


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        FileNotFoundError(2, "No such file or directory"),  # the server's Unix socket is gone: it is stopped
        TimeoutError(),
    ],
)
async def test_a_connection_the_driver_could_not_open_is_a_503(error: Exception) -> None:
    transport = httpx.ASGITransport(app=failing_app(error, in_driver=True), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        response = await client.get("/boom")
    assert response.status_code == 503


@pytest.mark.parametrize("error", [KeyError("x"), FileNotFoundError(2, "a recording that is not there")])
async def test_a_bug_or_a_missing_file_is_still_a_500(error: Exception) -> None:
    transport = httpx.ASGITransport(app=failing_app(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500

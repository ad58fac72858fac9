"""Schemathesis over every operation with a supervisor's token, against the API served for real: no server error,
no response the OpenAPI does not describe (status code, content type, body). Bounded (a few examples per
operation, no shrinking) so the db tier stays fast; issue 13's deliverable 2 widens it to every role."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.ami.service import AmiEnvironment
from api.config import ApiSettings
from api.main import create_app
from api.security.tokens import Role
from tests.db.conftest import T0, FixedClock
from tests.fake_ami import FakeAmi
from tests.support.poll import eventually
from tests.support.ports import free_port

QUEUES = ("q-ar", "q-zgh", "q-fr", "q-en", "q-es", "q-nl", "q-it", "q-de")
EXAMPLES_PER_OPERATION = 15  # per operation and mode (valid, then invalid input): ~30 s in all
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


@pytest.fixture
def served(settings: ApiSettings, seat_tokens: dict[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The API on a loopback port with its AMI link to a fake Asterisk, both in a thread with its own event loop
    (schemathesis calls the API synchronously)."""
    port = free_port()
    ready = threading.Event()
    stop = threading.Event()
    served_app: list[FastAPI] = []

    async def serve() -> None:
        async with FakeAmi(queues=QUEUES) as fake:
            app = create_app(
                settings.model_copy(update={"port": port}),
                clock=FixedClock(T0),
                ami=AmiEnvironment(port=fake.port, secret=fake.secret),
            )
            served_app.append(app)
            config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
            server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve())
            await eventually(lambda: server.started, timeout_s=30, what="API started")
            ready.set()
            await asyncio.to_thread(stop.wait)
            server.should_exit = True
            await task

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    try:
        assert ready.wait(timeout=40), "the API did not start"
        yield f"http://127.0.0.1:{port}", served_app[0].openapi()
    finally:
        stop.set()
        thread.join(timeout=20)


def test_no_server_error_and_no_schema_violation(
    served: tuple[str, dict[str, Any]], tokens: dict[Role, str]
) -> None:
    url, openapi = served
    schema = schemathesis.openapi.from_dict(openapi)
    headers = {"Authorization": f"Bearer {tokens[Role.SUPERVISOR]}"}
    failures: list[str] = []
    for result, mode in itertools.product(list(schema.get_all_operations()), GenerationMode):
        operation = result.ok()

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def probe(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS, timeout=10)

        try:
            probe()
        except Unsatisfiable:  # an operation without parameters or body has no invalid input (GET /health)
            continue
        except Exception as failure:
            failures.append(f"{operation.label} ({mode.value}): {str(failure)[:1500]}")
    assert failures == [], "\n\n".join(failures[:20])

"""Schemathesis over every operation with every role's token (agi, an agent's seat, supervisor, admin), against
the API served for real: no server error, no response the OpenAPI does not describe (status code, content type,
headers such as 429's Retry-After, body), invalid input never accepted, no operation open without a token.

Per role, Schemathesis' engine runs three phases: the schema's examples (missing ones filled in), fuzzing with
valid and invalid input, and stateful sequences along the links it infers (a request created, then read, noted,
moved through its statuses). Bounded (EXAMPLES per operation and phase, no shrinking, a fixed seed) so the db tier
stays fast: ~50 s for the four roles (36 s of CPU) on a busy two-core machine (load 9)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from api.ami.service import AmiEnvironment
from api.config import ApiSettings
from api.main import PROXY_HEADERS, create_app
from api.security.tokens import Role
from tests.db.conftest import T0, FixedClock
from tests.fake_ami import FakeAmi
from tests.support.database import empty_tables
from tests.support.poll import eventually
from tests.support.ports import free_port

QUEUES = ("q-ar", "q-zgh", "q-fr", "q-en", "q-es", "q-nl", "q-it", "q-de")
EXAMPLES = 10  # per operation and phase
STATEFUL_STEPS = 6
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",  # invalid input is refused (4xx), never accepted
    "ignored_auth",  # every operation behind a token refuses a request without one
    "use_after_free",  # stateful: nothing answers for what was deleted
    "ensure_resource_availability",  # stateful: what was created can be read back
)
# Not checked: positive_data_acceptance. Some valid-looking input is refused on purpose with a 4xx the OpenAPI
# documents: a queue or language not in the call-center file, instants outside 2000..2100, the portal's rate limit.
AGENT_SEAT = "agent1001"


@pytest.fixture
def served(
    settings: ApiSettings, seat_tokens: dict[str, str], database_url: str, tmp_path: Path
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The API on a loopback port with its AMI link to a fake Asterisk, both in a thread with its own event loop
    (schemathesis calls the API synchronously)."""
    asyncio.run(empty_tables(database_url, "rate_limits", "request_events", "requests"))
    secrets = tmp_path / "pjsip_secrets.conf"  # the softphone configured, as a deployment with agents has it
    secrets.write_text(f"[{AGENT_SEAT}-auth](+)\npassword = schemathesis-seat-password\n")
    softphone = {"softphone_wss_url": "wss://127.0.0.1:8089/ws", "seat_secrets": secrets}
    port = free_port()
    ready = threading.Event()
    stop = threading.Event()
    served_app: list[FastAPI] = []

    async def serve() -> None:
        async with FakeAmi(queues=QUEUES) as fake:
            app = create_app(
                settings.model_copy(update={"port": port, **softphone}),
                clock=FixedClock(T0),
                ami=AmiEnvironment(port=fake.port, secret=fake.secret),
            )
            served_app.append(app)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", proxy_headers=PROXY_HEADERS
            )
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


REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]


def engine_config(url: str, secret: str) -> SchemathesisConfig:
    generation = {"max-examples": EXAMPLES, "mode": "all", "no-shrink": True, "deterministic": True}
    return SchemathesisConfig.from_dict(
        {
            "seed": 13,
            "suppress-health-check": ["all"],
            "base-url": url,
            "headers": {"Authorization": f"Bearer {secret}"},
            "workers": 1,
            "request-timeout": 10,
            "generation": generation,
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
                # refusing a body over its size limit (413) is refusing invalid data too
                "negative_data_rejection": {"enabled": True, "expected-statuses": REJECTIONS},
            },
            "phases": {
                "examples": {"enabled": True, "fill-missing": True},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
            },
        }
    )


def run_as(url: str, openapi: dict[str, Any], secret: str) -> tuple[list[str], Counter[str]]:
    """Every phase with one token: the failures (operation, check, what and how to reproduce), and how many
    responses of each status class each phase got."""
    schema = schemathesis.openapi.from_dict(openapi, config=engine_config(url, secret))
    failures: list[str] = []
    answered: Counter[str] = Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    answered[f"{event.phase.value} {interaction.response.status_code // 100}xx"] += 1
            for nodes in event.recorder.checks.values():
                failures += [
                    f"{event.recorder.label} [{node.name}] {node.failure_info.failure.title}: "
                    f"{str(node.failure_info.failure)[:600]}\n{node.failure_info.code_sample}"
                    for node in nodes
                    if node.status == Status.FAILURE and node.failure_info is not None
                ]
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error {event.value!r}"[:1000])
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}"[:1000])
    return sorted(set(failures)), answered


def test_no_server_error_and_no_schema_violation_for_any_role(
    served: tuple[str, dict[str, Any]], tokens: dict[Role, str], seat_tokens: dict[str, str]
) -> None:
    url, openapi = served
    secrets = {role.value: tokens[role] for role in (Role.AGI, Role.SUPERVISOR, Role.ADMIN)}
    secrets["agent"] = seat_tokens[AGENT_SEAT]  # an agent's token is named after its seat
    failures: dict[str, list[str]] = {}
    for role, secret in secrets.items():
        found, answered = run_as(url, openapi, secret)
        if found:
            failures[role] = found
        # each phase reached the API and, for every role, got past validation and access control somewhere
        for phase in ("examples", "fuzzing", "stateful"):
            assert sum(n for key, n in answered.items() if key.startswith(phase)) > 0, (role, phase, answered)
        assert answered["examples 2xx"] + answered["fuzzing 2xx"] > 0, (role, answered)
    report = "\n\n".join(f"{role}: {failure}" for role, found in failures.items() for failure in found[:10])
    assert failures == {}, report

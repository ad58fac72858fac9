"""Zero 5xx: odd instants, durations, parameters, cursors and WebSocket frames are refused (4xx) or closed cleanly,
never a server error; every error body is an RFC 9457 problem; the OpenAPI documents what each route answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from api.security.tokens import DEMO_TOKENS, Role
from tests.db.conftest import T0, call
from tests.support.api import serve_api

Auth = dict[Role, dict[str, str]]
JSON = {"content-type": "application/json"}
PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    return body


@pytest.mark.parametrize(
    "instant",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1970-01-01T00:00:00Z"],
)
async def test_an_instant_out_of_range_is_422_and_reports_keep_working(
    client: httpx.AsyncClient, auth: Auth, instant: str
) -> None:
    response = await client.post("/calls", json=call("r.1", started_at=instant), headers=auth[Role.AGI])
    body = assert_problem(response, 422)
    assert ["body", "record", "started_at"] in [error["loc"] for error in body["errors"]]
    for path in ("/reports/ministry", "/reports/ministry?group_by=week", "/reports/summary?group_by=day"):
        assert (await client.get(path, headers=auth[Role.SUPERVISOR])).status_code == 200, path
    for query in ({"from": instant}, {"to": instant}):
        for path in ("/calls", "/reports/summary", "/reports/ministry"):
            refused = await client.get(path, params=query, headers=auth[Role.SUPERVISOR])
            assert_problem(refused, 422)


@pytest.mark.parametrize("field", ["wait_seconds", "talk_seconds"])
@pytest.mark.parametrize("seconds", [1e308, 86400 * 7 + 1])
async def test_a_duration_out_of_range_is_422_and_the_summary_keeps_working(
    client: httpx.AsyncClient, auth: Auth, field: str, seconds: float
) -> None:
    response = await client.post("/calls", json=call("d.1", **{field: seconds}), headers=auth[Role.AGI])
    assert_problem(response, 422)
    summary = await client.get("/reports/summary", headers=auth[Role.SUPERVISOR])
    assert summary.status_code == 200


async def test_instants_come_back_with_an_offset(client: httpx.AsyncClient, auth: Auth) -> None:
    body = call("o.1", started_at="2026-11-10T10:00:00+01:00")
    stored = await client.post("/calls", json=body, headers=auth[Role.AGI])
    assert stored.status_code == 200
    found = (await client.get("/calls/o.1", headers=auth[Role.SUPERVISOR])).json()
    for name in ("started_at", "received_at", "updated_at"):
        assert found[name].endswith(("Z", "+00:00")), (name, found[name])
    summary = await client.get(
        "/reports/summary", params={"from": "2026-11-10T00:00:00+01:00"}, headers=auth[Role.SUPERVISOR]
    )
    assert summary.json()["period_from"].endswith(("Z", "+00:00", "+01:00"))


@pytest.mark.parametrize(
    "path",
    [
        "/calls?caller=%00",
        "/calls?language=%00",
        "/calls/%00",
        "/calls/a%00b",
        "/callers/%00/language",
        "/reports/ministry?service=%00",
        "/reports/summary?queue=%00",
        "/requests/%00",
        "/requests/status/%00",
        "/calls/%C2%B3",
        "/calls/%D9%A3",
        "/callers/%D9%A3%D9%A4/language",
        "/calls?caller=%D9%A3",
        "/agents/%00",
        "/queues/%00/estimate",
    ],
)
async def test_nul_and_non_ascii_digits_in_parameters_are_refused(
    client: httpx.AsyncClient, auth: Auth, path: str
) -> None:
    response = await client.get(path, headers=auth[Role.SUPERVISOR])
    assert response.status_code in (400, 422), (path, response.status_code, response.text)
    assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(json.dumps(["2026-11-10T09:00:00+00:00", 2**70]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["0001-01-01T00:00:00+01:00", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["2026-11-10T09:00:00+00:00", True]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["2026-11-10T09:00:00+00:00", -1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "%%%",
    ],
)
async def test_a_crafted_cursor_is_422(client: httpx.AsyncClient, auth: Auth, cursor: str) -> None:
    response = await client.get("/calls", params={"cursor": cursor}, headers=auth[Role.SUPERVISOR])
    body = assert_problem(response, 422)
    assert ["query", "cursor"] in [error["loc"] for error in body["errors"]]


async def test_a_real_cursor_still_pages(client: httpx.AsyncClient, auth: Auth) -> None:
    for n in range(3):
        await client.post("/calls", json=call(f"p.{n}"), headers=auth[Role.AGI])
    first = (await client.get("/calls", params={"limit": 2}, headers=auth[Role.SUPERVISOR])).json()
    second = await client.get("/calls", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth[Role.ADMIN])
    assert second.status_code == 200
    assert len(second.json()["items"]) == 1


async def test_every_error_is_a_problem(client: httpx.AsyncClient, auth: Auth) -> None:
    assert_problem(await client.get("/calls"), 401)
    assert_problem(await client.get("/reports/summary", headers=auth[Role.AGENT]), 403)
    assert_problem(await client.get("/calls/nope", headers=auth[Role.AGENT]), 404)
    invalid = assert_problem(await client.get("/calls?limit=0", headers=auth[Role.AGENT]), 422)
    assert invalid["errors"][0]["loc"] == ["query", "limit"]
    assert_problem(await client.post("/calls", content=b"{", headers=auth[Role.AGI] | JSON), 422)
    big = call("big.1") | {"padding": "y" * (1024 * 1024)}
    assert_problem(await client.post("/calls", json=big, headers=auth[Role.AGI]), 413)
    assert_problem(await client.get("/no/such/route", headers=auth[Role.AGENT]), 404)
    assert_problem(await client.delete("/calls", headers=auth[Role.AGENT]), 405)


# issue 17: the citizen's reopening (by reference), and the Open311 GeoReport v2 read API
PUBLIC_COMPLAINTS = (
    "/portal/complaints/{reference}/reopen",
    "/open311/v2/services.json",
    "/open311/v2/requests.json",
    "/open311/v2/requests/{service_request_id}.json",
)


def test_the_openapi_documents_problems_and_codes(app: FastAPI) -> None:
    schema = app.openapi()
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["properties"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            public = path in ("/health", "/health/live", "/auth/login", "/guide/categories")  # no token
            public = public or path.startswith("/portal/")
            public = public or path in PUBLIC_COMPLAINTS
            if not public:
                assert {"401", "403"} <= set(responses), where
            if "{" in path:
                assert "404" in responses, where
            if "requestBody" in operation:
                assert {"413", "422"} <= set(responses), where
            for code, response in responses.items():
                if code.startswith(("4", "5")) and not (path == "/health" and code == "503"):
                    content = response["content"]
                    assert list(content) == [PROBLEM], (where, code)
                    assert content[PROBLEM]["schema"]["$ref"].endswith("/Problem") or content[PROBLEM]["schema"][
                        "$ref"
                    ].endswith("/ValidationProblem"), (where, code)
    assert "429" in schema["paths"]["/portal/requests"]["post"]["responses"]
    assert {"401", "429"} <= set(schema["paths"]["/auth/login"]["post"]["responses"])


async def test_a_binary_websocket_frame_closes_the_socket_cleanly(database_url: str) -> None:
    async with serve_api(database_url, clock=lambda: T0) as api:
        url = api.url.replace("http", "ws", 1) + "/live/ws"
        async with websockets.connect(url) as before_auth:
            await before_auth.send(b"\x00\x01binary")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await before_auth.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1003
        token = DEMO_TOKENS[Role.SUPERVISOR]
        async with websockets.connect(url) as after_auth:
            await after_auth.send(json.dumps({"token": token}))
            assert "hello" in json.loads(await after_auth.recv())
            await after_auth.send(b"\x00\x01binary")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await after_auth.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1003



async def test_instants_in_other_bodies_are_bounded_too(client: httpx.AsyncClient, auth: Auth) -> None:
    """Found by schemathesis: a callback joined in year 103 was a 500."""
    callback = {"number": "+33612345678", "queue": "q-fr", "joined_at": "0103-04-14T00:00:00+01:00"}
    body = assert_problem(await client.post("/callbacks", json=callback, headers=auth[Role.SUPERVISOR]), 422)
    assert ["body", "joined_at"] in [error["loc"] for error in body["errors"]]
    voicemail = {"linkedid": "v.1", "voicemail_path": "/var/spool/x.wav", "at": "0001-01-01T00:00:00Z"}
    body = assert_problem(await client.post("/requests/voicemail", json=voicemail, headers=auth[Role.AGI]), 422)
    assert ["body", "at"] in [error["loc"] for error in body["errors"]]

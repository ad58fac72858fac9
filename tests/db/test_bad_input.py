"""Bad bodies: 422 naming the field, 413 over the size limit, hostile strings stored verbatim."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx

from api.security.tokens import Role
from tests.db.conftest import call

Auth = dict[Role, dict[str, str]]
JSON = {"content-type": "application/json"}


async def test_a_missing_or_invalid_field_is_422_naming_it(client: httpx.AsyncClient, auth: Auth) -> None:
    cases = {
        "outcome": {k: v for k, v in call("b.1").items() if k != "outcome"},
        "linkedid": call("b.2; DROP TABLE calls"),
        "wait_seconds": call("b.3", wait_seconds=-1),
        "started_at": call("b.4", started_at="yesterday"),
        "surprise": call("b.5", surprise="extra fields are refused"),
        "caller_name": call("b.6", caller_name="nul\x00byte"),
        "answered_at": call("b.9", answered_at="2026-11-10T09:00:30"),  # no UTC offset: whose clock?
        "talk_seconds": call("b.10", talk_seconds=float("inf")),
    }
    for field, body in cases.items():
        # json.dumps writes Infinity as the bare token some JSON encoders emit; httpx's json= refuses it
        raw = json.dumps(body).encode()
        response = await client.post("/calls", content=raw, headers=auth[Role.AGI] | JSON)
        assert response.status_code == 422, field
        locations = [error["loc"] for error in response.json()["errors"]]
        assert ["body", "record", field] in locations, (field, locations)

    batch = [call("b.7"), call("b.8", outcome="exploded")]
    response = await client.post("/calls", json=batch, headers=auth[Role.AGI])
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "batch", 1, "outcome"]
    listed = await client.get("/calls", headers=auth[Role.SUPERVISOR])
    assert listed.json()["items"] == []  # nothing of a refused batch was stored


async def test_a_batch_over_the_limit_or_not_json_is_422(client: httpx.AsyncClient, auth: Auth) -> None:
    too_many = [call(f"m.{n}") for n in range(51)]  # the test settings allow 50
    response = await client.post("/calls", json=too_many, headers=auth[Role.AGI])
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "batch"]
    garbage = await client.post(
        "/calls", content=b"{not json", headers=auth[Role.AGI] | {"content-type": "application/json"}
    )
    assert garbage.status_code == 422


async def test_a_body_over_one_mebibyte_is_413(client: httpx.AsyncClient, auth: Auth) -> None:
    big = call("big.1", caller_name="x" * 200) | {"padding": "y" * (1024 * 1024)}
    declared = await client.post("/calls", json=big, headers=auth[Role.AGI])
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit must count the bytes itself
        for _ in range(20):
            yield b" " * 65536

    streamed = await client.post(
        "/calls", content=chunks(), headers=auth[Role.AGI] | {"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_sql_and_html_in_a_caller_name_are_stored_as_given(client: httpx.AsyncClient, auth: Auth) -> None:
    hostile = "Robert'); DROP TABLE calls; -- <script>alert('x')</script> \" OR 1=1 -- ٱلسَّلَامُ ⵣ"
    body = call("h.1", caller_name=hostile, caller_number="+33612345678", agent="<b>agent</b>")
    assert (await client.post("/calls", json=body, headers=auth[Role.AGI])).status_code == 200
    response = await client.get("/calls/h.1", headers=auth[Role.SUPERVISOR])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["caller_name"] == hostile
    assert response.json()["agent"] == "<b>agent</b>"
    # the table is still there and filtering by a hostile value is just a value
    found = await client.get("/calls", params={"caller": "' OR '1'='1"}, headers=auth[Role.SUPERVISOR])
    assert found.status_code == 200
    assert found.json()["items"] == []

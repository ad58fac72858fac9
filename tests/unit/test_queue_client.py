"""ApiQueueDesk (the queue_wait flow's questions to the API) against a fake API: an httpx transport that answers
like GET /queues/{queue}/estimate and POST /callbacks and remembers what it was asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from ivr.adapters.queue_client import ApiQueueDesk

JOINED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def desk_with(handler: Handler) -> ApiQueueDesk:
    return ApiQueueDesk(api_url="http://api.test", token="t0k", transport=httpx.MockTransport(handler))


async def book(desk: ApiQueueDesk) -> bool | None:
    return await desk.book_callback(
        number="+33612345678", queue="q-fr", language="fr", linkedid="1.1", uniqueid="1.2", joined_at=JOINED
    )


async def test_the_estimate_is_the_apis_figure_for_that_position() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"estimated_wait_s": 95})

    desk = desk_with(answer)
    assert await desk.estimate("q-fr", 3) == 95.0
    assert await desk.estimate("q/../calls", 1) == 95.0
    assert seen[0].url.path == "/queues/q-fr/estimate"
    assert seen[0].url.params["position"] == "3"
    assert seen[0].headers["authorization"] == "Bearer t0k"
    assert seen[1].url.raw_path.startswith(b"/queues/q%2F..%2Fcalls/estimate")  # one path segment, whatever the name
    await desk.aclose()


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


@pytest.mark.parametrize(
    "handler",
    [
        refuse,
        lambda request: httpx.Response(503, text="busy"),
        lambda request: httpx.Response(200, content=b"<html>not json</html>"),
        lambda request: httpx.Response(200, json={"estimated_wait_s": -5}),
        lambda request: httpx.Response(200, json={"estimated_wait_s": "soon"}),
    ],
)
async def test_no_usable_answer_means_no_estimate(handler: Handler) -> None:
    desk = desk_with(handler)
    assert await desk.estimate("q-fr", 1) is None
    await desk.aclose()


@pytest.mark.parametrize(("status", "booked"), [(201, True), (200, False), (409, None), (500, None)])
async def test_a_callback_booking_reads_the_status(status: int, booked: bool | None) -> None:
    bodies: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(status, json={})

    desk = desk_with(answer)
    assert await book(desk) is booked
    assert bodies == [
        {
            "number": "+33612345678",
            "queue": "q-fr",
            "language": "fr",
            "linkedid": "1.1",
            "uniqueid": "1.2",
            "joined_at": "2026-11-23T10:00:00+00:00",
        }
    ]
    await desk.aclose()


async def test_an_unreachable_api_books_nothing() -> None:
    desk = desk_with(refuse)
    assert await book(desk) is None
    await desk.aclose()

"""The live WebSocket encodes each published snapshot once for all pages (api/routes/live.py, _EncodeOnce), and
what it sends is exactly what Starlette's send_json would have sent."""

from __future__ import annotations

import json

from api.routes.live import _EncodeOnce


def test_a_snapshot_is_encoded_once_and_as_send_json_would() -> None:
    encode = _EncodeOnce()
    snapshot = {"queues": [{"name": "q-fr", "waiting": [{"number": "+33612345678", "wait_s": 12}]}], "é": "ü"}
    text = encode(snapshot)
    assert text == json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False)
    assert encode(snapshot) is text  # the second page gets the same string, not a new encoding


def test_the_next_snapshot_is_encoded_afresh() -> None:
    encode = _EncodeOnce()
    first = {"at": "10:00", "queues": []}
    second = {"at": "10:01", "queues": []}  # publish builds a new object for every change
    assert json.loads(encode(first)) == first
    assert json.loads(encode(second)) == second
    assert json.loads(encode(first)) == first

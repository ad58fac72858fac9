"""The API following the SIP edge's view of the serving box (issue 20, split brain): parsing Kamailio's JSON-RPC
answers, mapping a box's SIP address to its AMI, asking a fake Kamailio, and the AMI link moving to the box the
edge names. Against the real Kamailio: tests/asterisk/test_failover.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from api import edge
from api.ami.client import AmiLink, AmiMessage, AmiSettings
from api.ami.service import AmiEnvironment
from tests.fake_ami import FakeAmi
from tests.support.poll import eventually

A, B = "sip:10.0.0.11:5060", "sip:10.0.0.12:5060"


def listing(*targets: tuple[str, str, int], set_id: int = 1) -> dict[str, Any]:
    dests = [{"DEST": {"URI": uri, "FLAGS": flags, "PRIORITY": priority}} for uri, flags, priority in targets]
    return {"NRSETS": 1, "RECORDS": [{"SET": {"ID": set_id, "TARGETS": dests}}]}


def test_the_serving_box_is_the_sticky_one_while_active_else_the_first_active_by_priority() -> None:
    both = listing((A, "AP", 20), (B, "AP", 10))
    assert edge.serving_destination(both, None) == A
    assert edge.serving_destination(both, B) == B  # sticky: B took over, A came back as the standby
    a_down = listing((A, "IP", 20), (B, "AP", 10))
    assert edge.serving_destination(a_down, A) == B
    assert edge.serving_destination(listing((A, "IP", 20), (B, "IX", 10)), B) is None
    assert edge.serving_destination(listing((A, "AP", 20), set_id=2), None) is None  # only set 1 carries calls
    assert edge.serving_destination({"RECORDS": None}, None) is None


def test_box_map_and_ami_address() -> None:
    boxes = edge.parse_box_map(" 127.0.0.1:5061=127.0.0.1:5038, sip:127.0.0.1:5062=127.0.0.1:5039 ,")
    assert boxes == {"127.0.0.1:5061": ("127.0.0.1", 5038), "127.0.0.1:5062": ("127.0.0.1", 5039)}
    for wrong in ("127.0.0.1:5061", "127.0.0.1:5061=127.0.0.1", "=127.0.0.1:5038", "a=b:port"):
        with pytest.raises(ValueError, match="IVR_EDGE_BOXES"):
            edge.parse_box_map(wrong)
    targets = [("10.0.0.11", 5038), ("10.0.0.12", 5038), ("127.0.0.1", 5038), ("127.0.0.1", 5039)]
    assert edge.ami_address("sip:127.0.0.1:5062;transport=udp", boxes, targets) == ("127.0.0.1", 5039)
    assert edge.ami_address(B, {}, targets) == ("10.0.0.12", 5038)  # one AMI on that host
    assert edge.ami_address("sip:127.0.0.1:5063", {}, targets) is None  # two on that host: which one?
    assert edge.ami_address("sip:10.0.0.99:5060", {}, targets) is None
    assert edge.host_port("sip:edge@10.0.0.5:5060;lr") == "10.0.0.5:5060"


def fake_kamailio(state: dict[str, Any]) -> httpx.MockTransport:
    """Kamailio's jsonrpcs as far as EdgeView asks: dispatcher.list, and htable.get (an HTTP 500 while unset)."""

    def handle(request: httpx.Request) -> httpx.Response:
        call = json.loads(request.content)
        if state.get("down"):
            raise httpx.ConnectError("connection refused", request=request)
        if call["method"] == "dispatcher.list":
            return httpx.Response(200, json={"jsonrpc": "2.0", "result": state["listing"], "id": call["id"]})
        assert call == {"jsonrpc": "2.0", "method": "htable.get", "params": ["edge", "serving"], "id": 1}
        if state.get("sticky") is None:
            error = {"code": 500, "message": "Key name doesn't exist in htable."}
            return httpx.Response(500, json={"jsonrpc": "2.0", "error": error, "id": 1})
        item = {"name": "serving", "value": state["sticky"]}
        return httpx.Response(200, json={"jsonrpc": "2.0", "result": {"item": item}, "id": 1})

    return httpx.MockTransport(handle)


async def test_the_edge_view_asks_kamailio_and_says_none_when_it_cannot() -> None:
    state: dict[str, Any] = {"listing": listing((A, "AP", 20), (B, "AP", 10))}
    targets = [("10.0.0.11", 5038), ("10.0.0.12", 5038)]
    view = edge.EdgeView("http://edge.test/RPC", boxes={}, targets=targets, transport=fake_kamailio(state))
    assert await view.serving() == ("10.0.0.11", 5038)  # no call yet: the first active box by priority
    state["sticky"] = B
    assert await view.serving() == ("10.0.0.12", 5038)
    state["listing"] = listing((A, "AP", 20), ("sip:10.0.0.13:5060", "AP", 30))
    state["sticky"] = None
    assert await view.serving() is None  # a box with no AMI address here
    state["down"] = True
    assert await view.serving() is None and "refused" in view.last_error
    garbled = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    assert await edge.EdgeView("http://edge.test/RPC", boxes={}, targets=targets, transport=garbled).serving() is None


def test_the_ami_environment_follows_the_edge_only_when_told_its_rpc() -> None:
    plain = AmiEnvironment(secret="s").link_settings()
    assert plain is not None and plain.follow is None
    told = AmiEnvironment(
        secret="s", standbys="127.0.0.1:5039", edge_rpc="http://127.0.0.1:5064/RPC",
        edge_boxes="127.0.0.1:5061=127.0.0.1:5038,127.0.0.1:5062=127.0.0.1:5039",
    ).link_settings()  # fmt: skip
    assert told is not None and told.follow is not None and told.follow_every_s == edge.FOLLOW_EVERY_S


async def test_the_ami_link_goes_to_the_box_the_edge_serves_and_moves_when_it_changes() -> None:
    async with FakeAmi() as first, FakeAmi() as second:
        second.secret = first.secret
        serving: list[tuple[str, int] | None] = [("127.0.0.1", second.port)]
        asked = 0

        async def follow() -> tuple[str, int] | None:
            nonlocal asked
            asked += 1
            if serving[0] == ("raise", 0):
                raise RuntimeError("a bug in the view")
            return serving[0]

        async def keep(event: AmiMessage) -> None:
            pass

        settings = AmiSettings(
            port=first.port, secret=first.secret, standbys=(("127.0.0.1", second.port),), login_timeout_s=1.0,
            backoff_initial_s=0.05, backoff_max_s=0.2, follow=follow, follow_every_s=0.05,
        )  # fmt: skip
        link = AmiLink(settings, on_event=keep)
        task = asyncio.create_task(link.run())
        try:
            # the API starts while the edge serves the second box: it links there, not to IVR_AMI_HOST
            await eventually(lambda: link.serving == f"127.0.0.1:{second.port}", timeout_s=5, what="on the second")
            assert link.connections == 1
            serving[0] = ("127.0.0.1", first.port)  # the edge moved: so does the link
            await eventually(lambda: link.serving == f"127.0.0.1:{first.port}", timeout_s=5, what="on the first")
            for unknown in (None, ("10.9.9.9", 5038), ("raise", 0)):  # no view, or one it cannot use: it stays
                serving[0] = unknown
                wanted = asked + 2

                def asked_again(wanted: int = wanted) -> bool:
                    return asked >= wanted

                await eventually(asked_again, timeout_s=5, what="the edge asked again")
                assert link.serving == f"127.0.0.1:{first.port}" and link.connections == 2
        finally:
            await link.close()
            await asyncio.wait_for(task, 5)

"""A browser seat behind the SIP edge (issue 20): the agent page's softphone registers over Kamailio's WSS, not a
box's; both Asterisk boxes (browser seats: webrtc = yes) reach it through Kamailio's registrar, so after `kill -9`
of the active box the standby rings the same page, which never reloads nor registers again. A browser seat's
blind transfer to another browser seat crosses the edge too.

Two sandbox boxes (tests/support/edge.py), one FastAGI server, Kamailio, the API linked to both boxes and told the
edge's WSS and JSON-RPC, one headless Chromium with two agent pages. The page answers a queued French call from
box A (media to box A: ICE and DTLS pass through Kamailio untouched), then box A is killed and the next caller,
placed at once, is answered in the same page from box B. The failover time (kill -9 to the page ringing with box
B's call) and the page's figures are printed.

Before the kill, the first call also crosses the edge twice more: the page blind-transfers it (the softphone's
transfer button: an in-dialog REFER over the WebSocket, through Kamailio's record-route to box A) to a second
seat, a second page registered to the edge; box A dials that seat through Kamailio, the second page rings, answers
and is bridged with the caller (box A's AMI: BlindTransfer, BridgeEnter), and the first page is free again. The
transfer click to the second page ringing is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.ami.service import AmiEnvironment
from sandbox.ami import ami_secret
from sandbox.edge import destination_flags, running_edge
from sandbox.sipp import CallerScript, SippResult, run_sipp, write_caller_scenario
from tests.asterisk.conftest import OPEN_AT, SESSION_LOCK_WAIT_S, _tier_callcenter, _unavailable, install_test_prompts
from tests.browser.conftest import PHONE, click, open_agent_page, phone_reaches
from tests.support.api import serve_api
from tests.support.browser import Page, launch
from tests.support.database import Database
from tests.support.edge import Box, agi_server, edge_boxes_map, edge_options, kill_9, two_boxes
from tests.support.poll import eventually
from tests.support.ports import free_media_port, free_port

SEAT = "agent1002"  # a seat with a token in staff_database (tests/conftest.py SEATS)
OTHER = "agent1001"  # the blind transfer's target, the second page
KEYS = ((2.0, "3"), (3.2, "1"))  # French, then request type 1: joins q-fr about 4.5 s after answer
FAILOVER_BUDGET_S = 20.0  # INVITE timeout 2 s, then the IVR (about 4.5 s) and the queue ringing the page


async def call(proxy: str, number: str, work: Path) -> SippResult:
    """A caller through the edge, who stays on the line up to 25 s (the agent hangs up first)."""
    directory = work / number.lstrip("+")
    directory.mkdir(parents=True)
    script = CallerScript(caller=number, keys=KEYS, hangup_at=25.0, route_set=True)
    return await run_sipp(
        write_caller_scenario(script, directory),
        target=proxy,
        local_port=free_port(socket.SOCK_DGRAM),
        media_port=free_media_port(),
        timeout_s=45,
    )


async def answer(page: Page, box: Box, number: str) -> dict[str, Any]:
    """Answer the ringing page, see its media connect and the agent's call bridged on `box`; the page's metrics."""
    assert await page.evaluate(f"{PHONE}.caller.number") == number
    await click(page, ".sp-answer")
    await page.wait_for(
        f"{PHONE}.state === 'in-call' && {PHONE}.metrics.mediaConnectedAt !== null",
        timeout_s=10,
        what="the call answered and its media connected",
    )
    await box.ami.wait_for(
        lambda e: e.get("Event") == "AgentConnect" and e.get("MemberName") == SEAT and e.get("CallerIDNum") == number,
        timeout_s=5,
        what=f"box {box.name} connecting the caller to {SEAT}",
    )
    metrics = await page.evaluate(f"{PHONE}.metrics")
    return dict(metrics)


async def answer_and_hang_up(page: Page, box: Box, number: str) -> float:
    """Answer the ringing page, see its media connect and the agent's call bridged on `box`, hang up; the
    answer-to-media milliseconds."""
    metrics = await answer(page, box, number)
    await click(page, ".sp-hangup")
    await phone_reaches(page, "registered", timeout_s=5, what="ready again after hanging up")
    return float(metrics["mediaConnectedAt"] - metrics["answerClickedAt"])


async def blind_transfer(page: Page, other: Page, box: Box, number: str) -> tuple[float, float]:
    """Answer the ringing page, see its media connect, blind-transfer the caller to `OTHER` (the second page) with
    the softphone's button, see the second page ring, answer and be bridged with the caller on `box`, the first
    page free; the second page hangs up. The answer-to-media and transfer-click-to-ringing milliseconds."""
    metrics = await answer(page, box, number)
    await page.evaluate(f"document.querySelector('#softphone [name=target]').value = '{OTHER}'")
    clicked_at = await page.evaluate(
        "(() => { const at = performance.timeOrigin + performance.now();"
        " document.querySelector('#softphone .sp-blind').click(); return at; })()"
    )
    await phone_reaches(other, "ringing", timeout_s=10, what=f"{OTHER} rung through the edge by the blind transfer")
    rung_at = await other.evaluate(f"performance.timeOrigin + {PHONE}.metrics.ringingAt")
    assert await other.evaluate(f"{PHONE}.caller.number") == number
    blind = await box.ami.wait_for(
        lambda e: e.get("Event") == "BlindTransfer", timeout_s=5, what=f"box {box.name}'s BlindTransfer"
    )
    assert (blind["Result"], blind["Extension"]) == ("Success", OTHER.removeprefix("agent")), blind
    assert blind["TransfererChannel"].startswith(f"PJSIP/{SEAT}-"), blind
    await phone_reaches(page, "registered", timeout_s=10, what=f"{SEAT} free after transferring")
    await click(other, ".sp-answer")
    await other.wait_for(
        f"{PHONE}.state === 'in-call' && {PHONE}.metrics.mediaConnectedAt !== null",
        timeout_s=10,
        what=f"{OTHER} on the call, its media connected",
    )

    def bridged() -> bool:
        entered = [e for e in box.ami.events if e.get("Event") == "BridgeEnter"]
        others = {e["BridgeUniqueid"] for e in entered if e.get("Channel", "").startswith(f"PJSIP/{OTHER}-")}
        return any(
            e["BridgeUniqueid"] in others and e.get("CallerIDNum") == number and "/agent" not in e.get("Channel", "")
            for e in entered
        )

    await eventually(bridged, timeout_s=5, what=f"box {box.name} bridging the caller with {OTHER}")
    await click(other, ".sp-hangup")
    await phone_reaches(other, "registered", timeout_s=5, what=f"{OTHER} ready again after hanging up")
    return float(metrics["mediaConnectedAt"] - metrics["answerClickedAt"]), float(rung_at - clicked_at)


def registration(directory: Path, seat: str = SEAT) -> str:
    """The seat's registration as Kamailio's registrar holds it (`kamcmd ul.lookup`): contact, Call-ID, CSeq."""
    completed = subprocess.run(
        ["kamcmd", "-s", f"unix:{directory / 'kamailio_ctl'}", "ul.lookup", "location", seat],
        capture_output=True, text=True, timeout=5,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = [line.strip() for line in completed.stdout.splitlines()]
    return "\n".join(line for line in lines if line.startswith(("Address:", "Call-ID:", "CSeq:", "Received:")))


async def test_a_browser_seat_on_the_edge_transfers_blind_to_another_and_answers_on_the_standby_without_registering(
    tmp_path: Path, staff_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    agi_port = free_port(socket.SOCK_STREAM)
    edge_port = free_port(socket.SOCK_DGRAM)
    proxy = f"127.0.0.1:{edge_port}"
    boxes = two_boxes(
        ("ws-a", "ws-b"), agi_port=agi_port, edge_port=edge_port, lock_timeout_s=SESSION_LOCK_WAIT_S,
        unavailable=_unavailable, seat_webrtc=True,
    )  # fmt: skip
    async with boxes as (box_a, box_b), contextlib.AsyncExitStack() as stack:
        callcenter = _tier_callcenter(tmp_path)
        for box in (box_a, box_b):
            install_test_prompts(box.asterisk.paths, callcenter)
        recordings = box_a.asterisk.paths.recordings_dir
        stack.enter_context(agi_server("127.0.0.1", agi_port, tmp_path, callcenter, recordings, at=OPEN_AT))
        edge = edge_options(edge_port, (box_a, box_b))
        stack.enter_context(running_edge(tmp_path / "edge", edge, log=tmp_path / "kamailio.log"))
        # what `ivr edge env` tells `ivr api`: the edge's WSS for the page, its JSON-RPC, the boxes' AMI
        monkeypatch.setenv("IVR_API_SOFTPHONE_WSS_URL", edge.wss_url)
        monkeypatch.setenv("IVR_SEAT_SECRETS", str(box_a.asterisk.paths.seat_secrets))
        monkeypatch.setenv("IVR_EDGE_RPC", edge.rpc_url)
        monkeypatch.setenv("IVR_EDGE_BOXES", edge_boxes_map((box_a, box_b)))
        ami = AmiEnvironment(port=box_a.ami_port, standbys=box_b.ami_address, secret=ami_secret(box_a.asterisk.paths))
        api = await stack.enter_async_context(serve_api(staff_database.url, demo=False, ami=ami))
        agent = await stack.enter_async_context(
            httpx.AsyncClient(base_url=api.url, headers=staff_database.bearer(SEAT))
        )
        browser = await stack.enter_async_context(launch(webrtc=True))

        page, other = await browser.new_page(), await browser.new_page()
        await open_agent_page(page, api.url, staff_database.tokens[SEAT])
        await open_agent_page(other, api.url, staff_database.tokens[OTHER])
        for each in (page, other):
            await phone_reaches(each, "registered", timeout_s=15, what="registered over the edge's WSS")
        assert (await agent.get(f"/agents/{SEAT}/softphone")).json()["wss_url"] == edge.wss_url
        registered = registration(tmp_path / "edge")
        assert "transport=ws" in registered and "Received: sip:127.0.0.1:" in registered, registered
        assert "transport=ws" in registration(tmp_path / "edge", OTHER)  # the transfer's target is the edge's too
        await page.evaluate("window.__sameDocument = true")  # gone if the page reloaded
        response = await agent.post(f"/agents/{SEAT}/login", json={"skills": {"fr": "native"}})
        assert response.status_code == 200, response.text

        # Box A serves: the page answers a queued call (Asterisk A -> Kamailio -> the page's WebSocket) and
        # blind-transfers it to the second page (REFER over the WebSocket, box A dialling the seat through the edge).
        first = asyncio.create_task(call(proxy, "+33600000011", tmp_path))
        await phone_reaches(page, "ringing", timeout_s=20, what="the page rung by box A")
        media_a_ms, transfer_ms = await blind_transfer(page, other, box_a, "+33600000011")
        assert (await first).ok

        # kill -9 box A; the next caller arrives at once and is served by box B, ringing the same page.
        killed_at = time.monotonic()
        kill_9(box_a)
        second = asyncio.create_task(call(proxy, "+33600000012", tmp_path))
        await phone_reaches(page, "ringing", timeout_s=FAILOVER_BUDGET_S, what="the page rung by box B")
        failover_s = time.monotonic() - killed_at
        assert "+33600000012" in {number.replace("+", "") for number in box_b.callers()} | box_b.callers()
        media_b_ms = await answer_and_hang_up(page, box_b, "+33600000012")
        assert (await second).ok
        assert destination_flags(tmp_path / "edge")[f"sip:{box_a.asterisk.sip_target}"].startswith("I")
        assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"
        assert registration(tmp_path / "edge") == registered, "the seat registered again"
        print(
            f"\nedge softphone: kill -9 of box A -> the page ringing with box B's call {failover_s:.2f} s "
            f"(INVITE timeout, IVR, queue); answer->media {media_a_ms:.0f} ms on A, {media_b_ms:.0f} ms on B; "
            f"one registration, no reload; blind transfer click -> the second page ringing {transfer_ms:.0f} ms"
        )
        await eventually(
            lambda: _serving(api.client, staff_database, box_b.ami_address), timeout_s=10, what="the API on box B"
        )


async def _serving(client: httpx.AsyncClient, database: Database, address: str) -> bool:
    state = (await client.get("/live/state", headers=database.bearer("supervisor"))).json()
    return bool(state["ami"]["serving"] == address)

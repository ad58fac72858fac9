"""The browser softphone for real: the agent page in headless Chromium (fake microphone) registers its seat over WSS
to the sandbox Asterisk 22, a SIPp caller goes through the IVR into the French queue, the page rings with the
caller's number and language, the agent answers in the page, audio flows both ways (the page's WebRTC statistics
and Asterisk's own RTP counters), holds and resumes, and hangs up.

Timings as in tests/asterisk/test_agents.py: keys at 2.0 s (French) and 3.2 s (request type 1), so the caller
joins q-fr about 4.5 s after answer; the caller speaks (7 s of A-law speech) from 6 s, while the agent talks.
The figures (register time after page load, answer-to-media setup, packets each way) are printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from api.ami.service import AmiEnvironment
from sandbox import process as sandbox_process
from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript
from tests.asterisk.conftest import OPEN_AT, AgiServer, Tier
from tests.browser.conftest import PHONE, click, expose_softphone, open_agent_page, phone_reaches, rx_tx_of
from tests.support.api import serve_api
from tests.support.browser import Page, launch
from tests.support.database import Database
from tests.support.poll import eventually

SEAT = "agent1002"  # a browser seat with a token in staff_database (tests/conftest.py SEATS)
CALLER = "+33612345678"
KEYS = ((2.0, "3"), (3.2, "1"))  # French, then request type 1
MIN_PACKETS = 50  # one second of 20 ms audio frames


async def test_an_agent_takes_a_french_call_in_the_browser(
    tier: Tier,
    start_agi: Callable[[str], AgiServer],
    ami: AmiClient,
    staff_database: Database,
    softphone_environment: None,
    tmp_path: Path,
) -> None:
    start_agi(OPEN_AT)
    ami_environment = AmiEnvironment(port=tier.options.ami_port, secret=tier.secret)
    async with (
        serve_api(staff_database.url, demo=False, ami=ami_environment) as api,
        httpx.AsyncClient(base_url=api.url, headers=staff_database.bearer(SEAT)) as agent,
        launch(webrtc=True) as browser,
    ):
        # another seat's SIP password is not this agent's to have
        assert (await agent.get("/agents/agent1001/softphone")).status_code == 403
        page = await browser.new_page()
        await open_agent_page(page, api.url, staff_database.tokens[SEAT])
        await phone_reaches(page, "registered", timeout_s=15, what="registered over WSS")
        registered_ms = await page.evaluate(f"{PHONE}.metrics.registeredAt")
        contacts = sandbox_process.cli(tier.paths, f"pjsip show aor {SEAT}")
        assert "transport=ws" in contacts, contacts

        response = await agent.post(f"/agents/{SEAT}/login", json={"skills": {"fr": "native"}})
        assert response.status_code == 200, response.text
        try:
            await take_the_call(page, tier, ami, tmp_path, registered_ms)
        finally:
            await agent.post(f"/agents/{SEAT}/logout")


async def take_the_call(page: Page, tier: Tier, ami: AmiClient, tmp_path: Path, registered_ms: float) -> None:
    script = CallerScript(caller=CALLER, keys=KEYS, speak_at=6.0, hangup_at=30.0)
    call = asyncio.create_task(tier.call(script, tmp_path))
    try:
        await phone_reaches(page, "ringing", timeout_s=20, what="the page ringing")
        card = "document.querySelector('#softphone .sp-caller')"
        assert await page.evaluate(f"{card}.dataset.number") == CALLER
        assert await page.evaluate(f"{card}.dataset.language") == "fr"
        assert await page.evaluate(f"{card}.querySelector('.sp-number').textContent") == CALLER
        assert "fr" in await page.evaluate(f"{card}.querySelector('.sp-language').textContent")
        assert await page.evaluate(f"{card}.querySelector('.sp-request').textContent") == "1"
        answer_shown = "getComputedStyle(document.querySelector('#softphone .sp-answer')).display"
        assert await page.evaluate(answer_shown) != "none"

        await page.evaluate("document.querySelector('#softphone .sp-answer').click()")
        await page.wait_for(
            f"{PHONE}.state === 'in-call' && {PHONE}.metrics.mediaConnectedAt !== null",
            timeout_s=10,
            what="the call answered and its media connected",
        )

        async def both_ways() -> dict[str, Any] | None:
            stats: dict[str, Any] | None = await page.evaluate(f"{PHONE}.stats()")  # a promise: awaited
            enough = stats and stats["packetsReceived"] >= MIN_PACKETS and stats["packetsSent"] >= MIN_PACKETS
            return stats if enough else None

        stats = await eventually(both_ways, timeout_s=10, what="audio both ways in the page's WebRTC statistics")
        up = await ami.wait_for(
            lambda e: e.get("Event") == "AgentConnect" and e.get("MemberName") == SEAT, timeout_s=5, what="connect"
        )
        assert up["Queue"] == "q-fr"

        async def asterisk_counts() -> tuple[int, int] | None:
            received, sent = rx_tx_of(sandbox_process.cli(tier.paths, "pjsip show channelstats"), SEAT)
            return (received, sent) if received >= MIN_PACKETS and sent >= MIN_PACKETS else None

        asterisk_received, asterisk_sent = await eventually(
            asterisk_counts, timeout_s=10, what="Asterisk receiving and sending the agent's RTP"
        )

        await page.evaluate("document.querySelector('#softphone .sp-hold').click()")
        await phone_reaches(page, "held", timeout_s=5, what="the call on hold")
        await page.wait_for(
            "!document.querySelector('#softphone .sp-hold').disabled", timeout_s=5, what="the hold re-INVITE done"
        )
        await page.evaluate("document.querySelector('#softphone .sp-hold').click()")
        await phone_reaches(page, "in-call", timeout_s=5, what="the call resumed")

        await click(page, ".sp-mute")
        await page.wait_for(
            "document.querySelector('#softphone .sp-mute').getAttribute('aria-pressed') === 'true'", what="muted"
        )
        await click(page, ".sp-mute")
        await click(page, ".sp-keypad-toggle")
        await click(page, '[data-key="5"]')
        await click(page, '[data-key="#"]')
        assert await page.evaluate("document.querySelector('#softphone .sp-dialed').textContent") == "5#"
        assert await page.evaluate(f"{PHONE}.error") == ""

        metrics: dict[str, Any] = await page.evaluate(f"{PHONE}.metrics")
        final = await page.evaluate(f"{PHONE}.stats()")
        await page.evaluate("document.querySelector('#softphone .sp-hangup').click()")
        await phone_reaches(page, "registered", timeout_s=5, what="back to ready after hanging up")
        await ami.wait_for(
            lambda e: e.get("Event") == "Hangup" and e.get("Channel", "").startswith(f"PJSIP/{SEAT}-"),
            timeout_s=5,
            what="the agent's channel hung up",
        )
        print(
            f"\nsoftphone figures: registered {registered_ms:.0f} ms after page load; "
            f"ringing->answer click {metrics['answerClickedAt'] - metrics['ringingAt']:.0f} ms (test clicks at once); "
            f"answer->SIP confirmed {metrics['confirmedAt'] - metrics['answerClickedAt']:.0f} ms; "
            f"answer->media connected {metrics['mediaConnectedAt'] - metrics['answerClickedAt']:.0f} ms; "
            f"page rx/tx packets {final['packetsReceived']}/{final['packetsSent']} ({final['codec']}, "
            f"{final['route']}), "
            f"first seen {stats['packetsReceived']}/{stats['packetsSent']}; "
            f"Asterisk agent channel rx/tx {asterisk_received}/{asterisk_sent}"
        )
    finally:
        result = await asyncio.wait_for(call, 60)
    assert result.ok, result.output[-2000:]


async def test_blind_then_attended_transfer_between_two_browser_seats(
    tier: Tier,
    start_agi: Callable[[str], AgiServer],
    ami: AmiClient,
    staff_database: Database,
    softphone_environment: None,
    tmp_path: Path,
) -> None:
    """agent1002 takes the queued caller and transfers it blind to seat 1001; agent1001 consults seat 1002 and
    completes an attended transfer (REFER with Replaces): the caller ends with agent1002 again."""
    start_agi(OPEN_AT)
    ami_environment = AmiEnvironment(port=tier.options.ami_port, secret=tier.secret)
    async with (
        serve_api(staff_database.url, demo=False, ami=ami_environment) as api,
        httpx.AsyncClient(base_url=api.url, headers=staff_database.bearer(SEAT)) as agent,
        launch(webrtc=True) as browser,
    ):
        first, second = await browser.new_page(), await browser.new_page()
        await open_agent_page(first, api.url, staff_database.tokens[SEAT])
        await open_agent_page(second, api.url, staff_database.tokens["agent1001"])
        for page in (first, second):
            await phone_reaches(page, "registered", timeout_s=15, what="registered over WSS")
        assert (await agent.post(f"/agents/{SEAT}/login", json={"skills": {"fr": "native"}})).status_code == 200
        call = asyncio.create_task(
            tier.call(CallerScript(caller=CALLER, keys=KEYS, speak_at=6.0, hangup_at=45.0), tmp_path)
        )
        try:
            await phone_reaches(first, "ringing", timeout_s=20, what="agent1002 rung by the queue")
            await click(first, ".sp-answer")
            await phone_reaches(first, "in-call", timeout_s=10, what="agent1002 on the call")

            await first.evaluate("document.querySelector('#softphone [name=target]').value = 'agent1001'")
            await click(first, ".sp-blind")
            await phone_reaches(second, "ringing", timeout_s=10, what="seat 1001 rung by the blind transfer")
            assert await second.evaluate(f"{PHONE}.caller.number") == CALLER
            blind = await ami.wait_for(lambda e: e.get("Event") == "BlindTransfer", timeout_s=5, what="BlindTransfer")
            assert (blind["Result"], blind["Extension"]) == ("Success", "1001")
            await phone_reaches(first, "registered", timeout_s=10, what="agent1002 free after transferring")
            await click(second, ".sp-answer")
            await phone_reaches(second, "in-call", timeout_s=10, what="agent1001 on the call")

            await second.evaluate("document.querySelector('#softphone [name=target]').value = '1002'")
            await click(second, ".sp-consult")
            await phone_reaches(second, "consulting", timeout_s=5, what="agent1001 consulting")
            await phone_reaches(first, "ringing", timeout_s=10, what="seat 1002 rung by the consultation")
            assert await first.evaluate(f"{PHONE}.caller.number") == "1001"
            await click(first, ".sp-answer")
            await phone_reaches(first, "in-call", timeout_s=10, what="the consultation answered")
            await click(second, ".sp-complete")
            attended = await ami.wait_for(
                lambda e: e.get("Event") == "AttendedTransfer", timeout_s=10, what="AttendedTransfer"
            )
            assert attended["Result"] == "Success"
            await phone_reaches(second, "registered", timeout_s=10, what="agent1001 free after the transfer")
            await phone_reaches(first, "in-call", timeout_s=5, what="agent1002 talking with the caller")

            def caller_with_agent1002() -> bool:
                channels = sandbox_process.cli(tier.paths, "core show channels concise").splitlines()
                bridges = {line.split("!")[0].split("/")[1].rsplit("-", 1)[0]: line.split("!")[12] for line in channels}
                return bool(bridges.get("carrier")) and bridges.get("carrier") == bridges.get(SEAT)

            await eventually(caller_with_agent1002, timeout_s=5, what="the caller bridged with agent1002")
            await click(first, ".sp-hangup")
            await phone_reaches(first, "registered", timeout_s=5, what="agent1002 hung up")
        finally:
            await agent.post(f"/agents/{SEAT}/logout")
            result = await asyncio.wait_for(call, 60)
        assert result.ok, result.output[-2000:]


async def test_the_softphone_card_is_arabic_right_to_left_on_a_phone_and_says_what_is_missing(
    staff_database: Database,
) -> None:
    """Without the softphone configured (no WSS address), the card says so in the page's language; it fits a
    phone screen from right to left. No Asterisk needed."""
    async with serve_api(staff_database.url, demo=False) as api, launch() as browser:
        page = await browser.new_page(phone=True)
        await page.goto(f"{api.url}/ui/agent.html?lang=ar#token={staff_database.tokens[SEAT]}")
        await expose_softphone(page)
        await phone_reaches(page, "failed", timeout_s=10, what="the softphone giving up")
        assert await page.evaluate("document.documentElement.dir") == "rtl"
        assert await page.evaluate("document.querySelector('#softphone h2 [data-sp=title]').textContent") == "الهاتف"
        error = await page.evaluate("document.querySelector('#softphone .sp-error').textContent")
        assert error.startswith("تعذّر الحصول على بيانات المكتب") and "503" in error
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await page.evaluate("document.getElementById('lang').value = 'fr'")
        await page.evaluate("document.getElementById('lang').dispatchEvent(new Event('change'))")
        await page.wait_for(
            "document.querySelector('#softphone [data-sp=title]').textContent === 'Téléphone'", what="French text"
        )
        error = await page.evaluate("document.querySelector('#softphone .sp-error').textContent")
        assert error.startswith("Impossible d'obtenir les identifiants du poste")

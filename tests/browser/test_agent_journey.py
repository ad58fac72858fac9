"""One agent's real journey, end to end (issue 14): an agent signs in with a password on /ui/signin.html, lands on
the agent page, whose softphone registers the seat over WSS to the sandbox Asterisk 22 (by the session cookie, no
token); the agent logs into the French queue from the page; a SIPp caller goes through the IVR into q-fr; the page
rings with the caller's number and language; the agent answers in the page, audio flows both ways (the page's
WebRTC statistics and Asterisk's `pjsip show channelstats`), hangs up, files a disposition that opens a request,
and finds that request in the request desk with the deadline of api/request_rules.py for the moment it was filed.

On the way, with the page's own cookie: another seat's actions are 403, and an action without the X-CSRF-Token
header is 403 (the rest of the session rules: tests/db/test_signin.py). Figures are printed as in
test_softphone.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from api.ami.service import AmiEnvironment
from api.request_config import RequestConfig
from api.request_rules import due_at
from api.security.tokens import Role
from sandbox import process as sandbox_process
from sandbox.ami import AmiClient
from sandbox.sipp import CallerScript
from tests.asterisk.conftest import OPEN_AT, AgiServer, Tier
from tests.browser.conftest import PHONE, click, expose_softphone, phone_reaches, rx_tx_of
from tests.support.api import serve_api
from tests.support.browser import Page, arrive, launch, sign_in
from tests.support.database import Database, create_staff, empty_tables
from tests.support.poll import eventually

SEAT = "agent1002"
USERNAME = "nadia"
PASSWORD = "a long demo passphrase"
CALLER = "+33612345678"
KEYS = ((2.0, "3"), (3.2, "1"))  # French, then request type 1 (as in test_softphone.py)
MIN_PACKETS = 50  # one second of 20 ms audio frames

STATUS_OF = """async ([method, path, headers]) => (await fetch(path, {
    method, headers: {"Content-Type": "application/json", ...headers}, body: method === "GET" ? undefined : "{}",
})).status"""


async def cookie_status(page: Page, method: str, path: str, headers: dict[str, str] | None = None) -> int:
    """The status of a same-origin request from the page: its session cookie, and only the given headers."""
    status: int = await page.playwright.evaluate(STATUS_OF, [method, path, headers or {}])
    return status


async def test_an_agent_signs_in_takes_a_french_call_and_files_a_request_found_in_the_desk(
    tier: Tier,
    start_agi: Callable[[str], AgiServer],
    ami: AmiClient,
    staff_database: Database,
    softphone_environment: None,
    request_config: RequestConfig,
    tmp_path: Path,
) -> None:
    start_agi(OPEN_AT)
    await empty_tables(staff_database.url, "staff_users", "staff_sessions", "login_failures")
    await create_staff(staff_database.url, username=USERNAME, role=Role.AGENT, seat=SEAT, password=PASSWORD)
    ami_environment = AmiEnvironment(port=tier.options.ami_port, secret=tier.secret)
    async with (
        serve_api(staff_database.url, request_config, demo=False, ami=ami_environment) as api,
        launch(webrtc=True) as browser,
    ):
        page = await browser.new_page()
        await page.goto(f"{api.url}/ui/signin.html?lang=fr&next=/ui/agent.html%3Flang%3Dfr")
        await sign_in(page, USERNAME, "not the password")
        await page.wait_for("document.getElementById('error').textContent !== ''", what="the wrong password refused")
        await sign_in(page, USERNAME, PASSWORD)
        await arrive(page, "/ui/agent.html")
        await page.wait_for(f"document.getElementById('seat').textContent === '{SEAT}'", what="my seat")
        await expose_softphone(page)
        await phone_reaches(page, "registered", timeout_s=15, what="registered over WSS by the session cookie")
        registered_ms = await page.evaluate(f"{PHONE}.metrics.registeredAt")
        assert "transport=ws" in sandbox_process.cli(tier.paths, f"pjsip show aor {SEAT}")

        assert await cookie_status(page, "GET", "/agents/agent1001/softphone") == 403  # another seat's password
        csrf = await page.evaluate("fetch('/auth/me').then((answer) => answer.json()).then((me) => me.csrf_token)")
        assert await cookie_status(page, "POST", "/agents/agent1001/logout", {"X-CSRF-Token": csrf}) == 403
        assert await cookie_status(page, "POST", f"/agents/{SEAT}/logout") == 403  # no X-CSRF-Token: a CSRF try

        await page.evaluate("document.querySelector('#skills select[name=fr]').value = 'native'")
        await page.evaluate("document.getElementById('login').click()")
        await page.wait_for("document.querySelector('#my-queues li[data-queue=\"q-fr\"]') !== null", what="in q-fr")
        try:
            figures = await take_the_call(page, tier, ami, tmp_path)
            await file_a_request(page, api.url, api.client, staff_database, request_config)
        finally:
            await api.client.post(f"/agents/{SEAT}/logout", headers=staff_database.bearer(SEAT))
    print(f"\njourney figures: registered {registered_ms:.0f} ms after page load; {figures}")


async def take_the_call(page: Page, tier: Tier, ami: AmiClient, tmp_path: Path) -> str:
    """Ring, answer in the page, audio both ways, hang up in the page; returns the figures."""
    script = CallerScript(caller=CALLER, keys=KEYS, speak_at=6.0, hangup_at=30.0)
    call = asyncio.create_task(tier.call(script, tmp_path))
    try:
        await phone_reaches(page, "ringing", timeout_s=20, what="the page ringing")
        card = "document.querySelector('#softphone .sp-caller')"
        assert await page.evaluate(f"{card}.dataset.number") == CALLER
        assert await page.evaluate(f"{card}.dataset.language") == "fr"
        await click(page, ".sp-answer")
        await page.wait_for(
            f"{PHONE}.state === 'in-call' && {PHONE}.metrics.mediaConnectedAt !== null",
            timeout_s=10,
            what="the call answered and its media connected",
        )

        async def both_ways() -> dict[str, Any] | None:
            stats: dict[str, Any] | None = await page.evaluate(f"{PHONE}.stats()")
            enough = stats and stats["packetsReceived"] >= MIN_PACKETS and stats["packetsSent"] >= MIN_PACKETS
            return stats if enough else None

        await eventually(both_ways, timeout_s=10, what="audio both ways in the page's WebRTC statistics")
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
        metrics: dict[str, Any] = await page.evaluate(f"{PHONE}.metrics")
        final: dict[str, Any] = await page.evaluate(f"{PHONE}.stats()")
        await click(page, ".sp-hangup")
        await phone_reaches(page, "registered", timeout_s=5, what="back to ready after hanging up")
    finally:
        result = await asyncio.wait_for(call, 60)
    assert result.ok, result.output[-2000:]
    return (
        f"answer->SIP confirmed {metrics['confirmedAt'] - metrics['answerClickedAt']:.0f} ms; "
        f"answer->media connected {metrics['mediaConnectedAt'] - metrics['answerClickedAt']:.0f} ms; "
        f"page rx/tx packets {final['packetsReceived']}/{final['packetsSent']} ({final['codec']}); "
        f"Asterisk agent channel rx/tx {asterisk_received}/{asterisk_sent}"
    )


async def file_a_request(
    page: Page, url: str, client: httpx.AsyncClient, database: Database, request_config: RequestConfig
) -> None:
    """The disposition form the call's end opened: a call back needed, which opens a request; then the desk."""
    await page.wait_for(
        "!document.getElementById('disposition').classList.contains('hidden')"
        " && document.getElementById('disposition').dataset.linkedid !== ''",
        timeout_s=10,
        what="the disposition form after the real call",
    )
    assert CALLER in await page.evaluate("document.getElementById('disposition-call').textContent")
    await page.evaluate("""(() => {
        const outcome = document.getElementById('disposition-outcome');
        outcome.value = 'callback_needed';
        outcome.dispatchEvent(new Event('change'));
        document.getElementById('disposition-note').value = 'rappeler demain';
        document.getElementById('disposition-description').value = 'demande de renseignements';
    })()""")
    assert await page.evaluate("document.getElementById('disposition-open-request').checked")
    assert await page.evaluate("document.getElementById('disposition-type').value") == "1"  # from the IVR
    await page.evaluate("document.getElementById('disposition-save').click()")
    reference = await page.wait_for(
        "document.getElementById('disposition-result').dataset.reference", what="the request opened"
    )
    shown_due = await page.evaluate("document.getElementById('disposition-result').dataset.due")
    stored = (await client.get(f"/requests/{reference}", headers=database.bearer(SEAT))).json()
    kind = request_config.callcenter.request_type("1")
    assert kind is not None
    expected = due_at(request_config.calendar, kind, datetime.fromisoformat(stored["created_at"]))
    assert datetime.fromisoformat(shown_due) == datetime.fromisoformat(stored["due_at"]) == expected
    assert (stored["source"], stored["caller_number"], stored["language"]) == ("disposition", CALLER, "fr")

    await page.goto(f"{url}/ui/requests.html?lang=fr")  # signed in by the cookie: no token anywhere
    row = f"document.querySelector('#requests li[data-reference=\"{reference}\"]')"
    await page.wait_for(f"{row} !== null", what="the request in the desk")
    assert await page.evaluate(f"{row}.dataset.due") == shown_due
    print(f"\nrequest {reference} due {shown_due} (created {stored['created_at']})")

"""A request's notifications to the citizen in headless Chromium, against the API (uvicorn) with the city hall's
configuration and a real SMTP server on loopback: the acknowledgement given up (the mail server was down for two
days) and the routing told (sent) both show on the request desk, with their state in plain words; a supervisor
sends the given-up one again, the worker delivers it, and the desk sees both sent on the complaint page in
Arabic, right to left, on a phone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.channels.notify import Notifier, deliver_due, transition_recorder
from api.channels.outbound import SmtpSender
from api.request_config import RequestConfig
from callcenter.loading import load_callcenter
from tests.support.api import LiveApi, serve_api
from tests.support.browser import Browser, launch
from tests.support.database import Database, empty_tables
from tests.support.mail import capturing_smtp
from tests.support.poll import eventually
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
NOTICES = "document.querySelectorAll('#{list} li.notice')"


@pytest.fixture
def smtp_port() -> int:
    return free_port()  # nothing listens there until the test starts its capture: the mail server is down


@pytest.fixture
async def api(staff_database: Database, tmp_path: Path, smtp_port: int) -> AsyncIterator[LiveApi]:
    await empty_tables(staff_database.url, "rate_limits", "citizen_notifications")
    config = RequestConfig(callcenter=load_callcenter(ROOT / "examples" / "cityhall.toml"), recordings_dir=tmp_path)
    async with serve_api(staff_database.url, config, demo=False) as served:
        assert served.app is not None
        notifier = Notifier(mail_from="reclamations@commune.example", portal_url=served.url,
                            mail=SmtpSender("127.0.0.1", smtp_port, timeout_s=5), languages=("fr", "ar"))  # fmt: skip
        served.app.state.notifier = notifier
        config.record_transition.append(transition_recorder(served.app.state.sessions, notifier))  # as api.deps does
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launch() as browser:
        yield browser


def states(list_id: str) -> str:
    return f"[...{NOTICES.format(list=list_id)}].map((li) => li.dataset.outcome).join()"


async def test_sent_and_given_up_notifications_shown_and_the_given_up_one_sent_again(
    api: LiveApi, staff_database: Database, browser: Browser, smtp_port: int
) -> None:
    assert api.app is not None
    sessions, notifier = api.app.state.sessions, api.app.state.notifier
    form = {"request_type": 1, "description": "Dépôt sauvage derrière le marché", "contact": "citoyen@example.org",
            "language": "fr"}  # fmt: skip  no category: it waits at the desk
    created = await api.client.post("/portal/requests", json=form)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    # the acknowledgement failed at once; tried again 47h59 later, still down: given up
    assert await deliver_due(sessions, notifier, now=datetime.now(UTC) + timedelta(hours=47, minutes=59)) == 1
    async with capturing_smtp(smtp_port) as (capture, _):
        desk_token = {"Authorization": f"Bearer {staff_database.tokens['desk']}"}
        routed = await api.client.post(f"/complaints/{reference}/transitions", headers=desk_token,
                                       json={"action": "route", "department": "proprete"})  # fmt: skip
        assert routed.status_code == 200, routed.text
        assert len(capture.messages) == 1  # "passed to the department in charge", sent at once

        page = await browser.new_page()
        await page.goto(f"{api.url}/ui/requests.html?lang=en&ref={reference}"
                        f"#token={staff_database.tokens['supervisor']}")  # fmt: skip
        await page.wait_for(f"{states('request-notifications')} === 'given_up,sent'", what="both notifications")
        given_up, sent = await page.evaluate(f"[...{NOTICES.format(list='request-notifications')}]"
                                             ".map((li) => li.textContent)")  # fmt: skip
        assert given_up.startswith("Acknowledgement of receipt · e-mail · queued")
        assert "citoyen@example.org" in given_up
        assert "gave up after 2 attempts: the sending server could not be reached" in given_up
        assert sent.startswith("Status change: passed to the department in charge · e-mail")
        assert "sent " in sent and "Send again" not in sent
        await page.evaluate("document.querySelector('#request-notifications li[data-outcome=\"given_up\"] "
                            "button.notice-retry').click()")  # fmt: skip
        await page.wait_for(f"!{states('request-notifications')}.includes('given_up')", what="queued again")
        assert "sent again by test-supervisor" in await page.evaluate(
            f"{NOTICES.format(list='request-notifications')}[0].textContent")

        async def delivered() -> bool:  # by this loop or by the API's own worker, whichever comes first
            await deliver_due(sessions, notifier, now=datetime.now(UTC))
            return len(capture.messages) == 2

        await eventually(delivered, timeout_s=10, what="the acknowledgement delivered at last")
    assert "Ref" in str(capture.messages[1]["Subject"]) and reference in str(capture.messages[1]["Subject"])

    desk = await browser.new_page(phone=True)
    await desk.goto(f"{api.url}/ui/complaints.html?lang=ar&ref={reference}#token={staff_database.tokens['desk']}")
    await desk.wait_for(f"{states('d-notifications')} === 'sent,sent'", what="both sent, on the complaint page")
    assert await desk.evaluate("document.documentElement.dir") == "rtl"
    texts = await desk.evaluate(f"[...{NOTICES.format(list='d-notifications')}].map((li) => li.textContent)")
    assert texts[0].startswith("إشعار بالتوصل") and "أُرسل في" in texts[0]
    assert await desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits a phone

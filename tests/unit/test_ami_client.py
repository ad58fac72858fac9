"""The panoramisk-based AMI link against a fake AMI server on loopback (tests/fake_ami.py): login errors surface,
reconnection resyncs, the panoramisk 1.4 pitfalls are handled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from api.ami.client import AmiError, AmiLink, AmiLoginError, AmiMessage, AmiSettings, AmiUnavailableError
from tests.fake_ami import FakeAmi
from tests.support.poll import eventually


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    async with FakeAmi() as server:
        yield server


def settings(fake: FakeAmi, **overrides: object) -> AmiSettings:
    values: dict[str, object] = {
        "port": fake.port,
        "secret": fake.secret,
        "login_timeout_s": 1.0,
        "action_timeout_s": 2.0,
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
    }
    values.update(overrides)
    return AmiSettings(**values)  # type: ignore[arg-type]


class Recorder:
    def __init__(self) -> None:
        self.events: list[AmiMessage] = []
        self.resyncs = 0

    async def on_event(self, event: AmiMessage) -> None:
        self.events.append(event)

    async def on_connected(self, link: AmiLink) -> None:
        self.resyncs += 1
        status = await link.listing("QueueStatus")
        assert status[-1]["Event"] == "QueueStatusComplete"


async def test_wrong_secret_is_an_error_not_a_hang(fake: FakeAmi) -> None:
    link = AmiLink(settings(fake, secret="wrong"), on_event=Recorder().on_event)
    started = time.monotonic()
    with pytest.raises(AmiLoginError, match="refused"):
        await link.connect_once()
    assert time.monotonic() - started < 1.0
    assert fake.logins == [False]


async def test_unanswered_login_times_out(fake: FakeAmi) -> None:
    fake.silent_login = True
    link = AmiLink(settings(fake, login_timeout_s=0.3), on_event=Recorder().on_event)
    with pytest.raises(AmiLoginError, match="no reply"):
        await link.connect_once()


async def test_run_reports_a_refused_login_and_keeps_retrying_with_backoff(fake: FakeAmi) -> None:
    link = AmiLink(settings(fake, secret="wrong"), on_event=Recorder().on_event)
    task = asyncio.create_task(link.run())
    try:
        await eventually(lambda: len(fake.logins) >= 3, timeout_s=5, what="3 logins")
        assert link.status == "login refused"
        assert "Authentication failed" in link.last_error
        with pytest.raises(AmiUnavailableError):
            await link.simple("Ping")
    finally:
        await link.close()
        task.cancel()


async def test_actions_events_and_resync_after_reconnect(fake: FakeAmi) -> None:
    recorder = Recorder()
    link = AmiLink(settings(fake), on_event=recorder.on_event, on_connected=recorder.on_connected)
    task = asyncio.create_task(link.run())
    try:
        await eventually(
            lambda: link.status == "connected" and recorder.resyncs == 1, timeout_s=5, what="connected, resynced once"
        )
        # panoramisk 1.4 waits forever for QueueAdd's reply unless sent with as_list=False (simple does)
        reply = await link.simple("QueueAdd", Queue="q-fr", Interface="PJSIP/agent1001", MemberName="agent1001")
        assert reply["Message"] == "Added interface to queue"
        await eventually(
            lambda: any(event.get("Event") == "QueueMemberAdded" for event in recorder.events),
            timeout_s=5,
            what="QueueMemberAdded",
        )
        # panoramisk 1.4 raises KeyError on Originate without Async: the link always adds it
        await link.simple("Originate", Channel="PJSIP/agent1002", Application="ChanSpy", Data="PJSIP/agent1001")
        assert fake.actions[-1]["Async"] == "true"
        with pytest.raises(AmiError, match="Not there"):
            await link.simple("QueueRemove", Queue="q-ar", Interface="PJSIP/agent1001")

        fake.drop_connections()  # Asterisk restarted
        await eventually(
            lambda: recorder.resyncs == 2 and link.status == "connected", timeout_s=5, what="connected, resynced twice"
        )
        assert link.connections == 2
        reply = await link.simple("QueueRemove", Queue="q-fr", Interface="PJSIP/agent1001")
        assert reply["Response"] == "Success"
    finally:
        await link.close()
        await asyncio.wait_for(task, 5)


async def test_unreachable_asterisk_is_reported_then_joined_when_it_comes_up() -> None:
    fake = FakeAmi()
    await fake.start()
    port = fake.port
    await fake.stop()  # nothing listens on `port` now
    recorder = Recorder()
    link = AmiLink(settings(fake, port=port), on_event=recorder.on_event, on_connected=recorder.on_connected)
    task = asyncio.create_task(link.run())
    try:
        await eventually(lambda: link.status == "unreachable", timeout_s=5, what="unreachable")
        fake.port = port
        await fake.start()
        await eventually(
            lambda: link.status == "connected" and recorder.resyncs == 1, timeout_s=5, what="connected, resynced once"
        )
    finally:
        await link.close()
        await asyncio.wait_for(task, 5)
        await fake.stop()

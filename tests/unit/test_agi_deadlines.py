"""FastAGI deadlines: one per command, kept by one timer per session (ivr/adapters/agi_session.py Watchdog)."""

from __future__ import annotations

import asyncio
import time

import pytest

from ivr.adapters.agi_session import ConnectionExecutor
from ivr.agi import AgiConnection, Result
from ivr.channel import ChannelError


class Peer:
    """Asterisk's side: answers what it is told to, when it is told to."""

    def __init__(self) -> None:
        self.replies: asyncio.Queue[bytes] = asyncio.Queue()
        self.sent: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.sent.append(data)

    async def read(self) -> bytes:
        return await self.replies.get()


def executor(peer: Peer) -> ConnectionExecutor:
    connection = AgiConnection(environment_read=True)
    return ConnectionExecutor(connection, peer.write, peer.read)


async def test_quick_replies_arm_one_timer_for_the_whole_session(monkeypatch: pytest.MonkeyPatch) -> None:
    peer, loop = Peer(), asyncio.get_running_loop()
    armed: list[float] = []
    real_call_at = loop.call_at

    def counting_call_at(when: float, callback, *args):  # type: ignore[no-untyped-def]
        armed.append(when)
        return real_call_at(when, callback, *args)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    execute = executor(peer)
    for _ in range(50):
        peer.replies.put_nowait(b"200 result=1\n")
        exchange = await execute("SET VARIABLE \"A\" \"1\"", 30.0)
        assert isinstance(exchange.reply, Result)
    execute.close()
    assert len(armed) == 1


async def test_a_command_left_unanswered_times_out_at_its_own_deadline() -> None:
    peer = Peer()
    execute = executor(peer)
    peer.replies.put_nowait(b"200 result=0\n")
    await execute("STREAM FILE \"x\" \"\"", 300.0)  # a long media deadline armed first
    started = time.monotonic()
    with pytest.raises(ChannelError, match="no reply"):
        await execute("GET VARIABLE \"A\"", 0.2)  # a shorter one after it: the timer is re-armed earlier
    assert 0.15 < time.monotonic() - started < 5
    with pytest.raises(ChannelError, match="no reply"):  # the session is unusable after a timeout
        await execute("GET VARIABLE \"A\"", 0.2)
    execute.close()


async def test_a_deadline_moved_by_a_later_command_is_kept() -> None:
    peer = Peer()
    execute = executor(peer)
    peer.replies.put_nowait(b"200 result=0\n")
    await execute("ANSWER", 0.1)  # arms a timer at +0.1 s, answered at once
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, peer.replies.put_nowait, b"200 result=1 (v)\n")
    exchange = await execute("GET VARIABLE \"A\"", 2.0)  # the early timer fires, finds a later deadline
    assert isinstance(exchange.reply, Result) and exchange.reply.data == "v"
    execute.close()


async def test_a_shutdown_cancellation_is_not_taken_for_a_timeout() -> None:
    peer = Peer()
    execute = executor(peer)
    task = asyncio.create_task(execute("GET VARIABLE \"A\"", 30.0))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    execute.close()

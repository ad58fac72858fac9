"""The portal's chat with the API run as several processes: two API servers (uvicorn, real loopback ports) on one
PostgreSQL, a citizen's socket on one and a staff member's on the other; routing, messages both ways and the end
travel through PostgreSQL (LISTEN/NOTIFY, api.channels.chat)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from sqlalchemy import text

from api.db import make_engine
from api.security.tokens import DEMO_TOKENS, Role
from tests.support.api import LiveApi, serve_api
from tests.support.database import empty_tables

WAIT_S = 15.0


def socket_url(api: LiveApi, path: str) -> str:
    return api.url.replace("http://", "ws://") + path


async def until(socket: websockets.ClientConnection, kind: str) -> dict[str, Any]:
    """The next event of `kind` on the socket (the ones before it skipped), within WAIT_S."""

    async def next_of_kind() -> dict[str, Any]:
        while True:
            event: dict[str, Any] = json.loads(await socket.recv())
            if event["type"] == kind:
                return event

    return await asyncio.wait_for(next_of_kind(), WAIT_S)


async def send(socket: websockets.ClientConnection, **message: Any) -> None:
    await socket.send(json.dumps(message))


async def test_a_citizen_on_one_process_chats_with_an_agent_on_another(database_url: str) -> None:
    await empty_tables(database_url, "chat_agents", "chat_conversations", "rate_limits")
    async with serve_api(database_url) as one, serve_api(database_url) as two:
        async with websockets.connect(socket_url(one, "/portal/chat/ws")) as citizen:
            await send(citizen, type="start", language="fr", contact="c@example.org", text="Bonjour, rue 5")
            reference = (await until(citizen, "started"))["reference"]
            await until(citizen, "waiting")  # nobody ready anywhere yet
            async with websockets.connect(socket_url(two, "/chat/ws")) as agent:
                await send(agent, token=DEMO_TOKENS[Role.SUPERVISOR])
                await send(agent, type="ready", languages=["fr"])
                await until(agent, "ready")
                offered = await until(agent, "conversation")  # the waiting conversation, from the other process
                assert offered["reference"] == reference and offered["contact"] == "c@example.org"
                assert [(m["from"], m["text"]) for m in offered["messages"]] == [("citizen", "Bonjour, rue 5")]
                assert (await until(citizen, "joined"))["agent"] == "demo-supervisor"
                conversation = offered["conversation"]

                await send(citizen, type="message", text="Le ramassage n'est pas passé")
                heard = await until(agent, "message")
                assert (heard["from"], heard["text"]) == ("citizen", "Le ramassage n'est pas passé")
                await send(agent, type="message", conversation=conversation, text="Une équipe passe demain")
                answered = await until(citizen, "message")
                while answered["from"] != "agent":  # the citizen's own messages come back too
                    answered = await until(citizen, "message")
                assert answered["text"] == "Une équipe passe demain"
                await send(agent, type="end", conversation=conversation)
                assert (await until(citizen, "ended"))["by"] == "demo-supervisor"
                assert (await until(agent, "ended"))["conversation"] == conversation

        detail = await one.client.get(f"/requests/{reference}", headers=LiveApi.auth(Role.SUPERVISOR))
        history = detail.json()["history"]
        transcript = [(event["actor"], event["note"]) for event in history if event["action"] == "chat"]
        assert transcript == [
            ("citizen", "citizen: Bonjour, rue 5"),
            ("citizen", "citizen: Le ramassage n'est pas passé"),
            ("demo-supervisor", "agent: Une équipe passe demain"),
            ("demo-supervisor", "chat ended by demo-supervisor"),
        ]


async def test_a_hub_that_loses_its_listen_connection_closes_its_sockets_and_the_next_one_works(
    database_url: str,
) -> None:
    await empty_tables(database_url, "chat_agents", "chat_conversations", "rate_limits")
    async with serve_api(database_url) as one, serve_api(database_url) as two:
        async with websockets.connect(socket_url(two, "/chat/ws")) as agent:
            await send(agent, token=DEMO_TOKENS[Role.SUPERVISOR])
            await send(agent, type="ready", languages=["fr"])
            await until(agent, "ready")
            assert two.app is not None
            engine = make_engine(database_url)
            try:
                async with engine.begin() as connection:  # as a PostgreSQL restart or failover would
                    await connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                             {"pid": two.app.state.chat_hub.listener_pid})  # fmt: skip
            finally:
                await engine.dispose()
            assert (await until(agent, "error"))["lost"] is True
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(agent.recv(), WAIT_S)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        async with websockets.connect(socket_url(two, "/chat/ws")) as agent:  # the page connects again
            await send(agent, token=DEMO_TOKENS[Role.SUPERVISOR])
            await send(agent, type="ready", languages=["fr"])
            await until(agent, "ready")
            async with websockets.connect(socket_url(one, "/portal/chat/ws")) as citizen:
                await send(citizen, type="start", language="fr", contact="c@example.org", text="Toujours là ?")
                offered = await until(agent, "conversation")
                assert [m["text"] for m in offered["messages"]] == ["Toujours là ?"]
                await until(citizen, "joined")

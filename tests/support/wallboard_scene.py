"""Wallboard scenes fed to a fake AMI: recorded Asterisk 22 transcripts (tests/fixtures/ami/) moved to the present,
and a busier synthetic centre for the screenshots (scripts/screenshots.py).

Rules: every event carries a Timestamp (the reducer's clock, api.ami.state), so a transcript shifted to end
`ago_s` before `now` replays to waits and times in state of that age on any day.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"


def transcript(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def shifted(events: list[dict[str, str]], *, now: float, ago_s: float) -> list[dict[str, str]]:
    """The timestamped queue events of `events`, moved so that the last one happened `ago_s` before `now`."""
    kept = [e for e in events if "Timestamp" in e and e["Event"].startswith(("Queue", "Agent"))]
    offset = now - ago_s - float(kept[-1]["Timestamp"])
    return [{**event, "Timestamp": f"{float(event['Timestamp']) + offset:.6f}"} for event in kept]


def threshold_transcript(now: float) -> list[dict[str, str]]:
    """q-fr degraded on every threshold of callcenter.toml [supervision], q-ar untouched:
    - abandoned_call.jsonl ended 1,000 s ago: agent1001 paused since (over paused_limit_s 900), one call
      abandoned and none answered (abandon rate 100% over 10%, service level 0% under 80%); its member stays;
    - the caller of paused_then_answered.jsonl joined 200 s ago and still waits (over longest_wait_limit_s 120)."""
    abandoned = [e for e in shifted(transcript("abandoned_call.jsonl"), now=now, ago_s=1000.0)
                 if e["Event"] != "QueueMemberRemoved"]  # fmt: skip
    join = next(e for e in transcript("paused_then_answered.jsonl") if e["Event"] == "QueueCallerJoin")
    waiting = {**join, "Uniqueid": "1795402486.77", "Linkedid": "1795402486.77", "Timestamp": f"{now - 200:.6f}"}
    return [*abandoned, waiting]


LANGUAGE_QUEUES = ("q-ar", "q-zgh", "q-fr", "q-en", "q-es", "q-nl", "q-it", "q-de")
NAMES = ("Nadia", "Youssef", "Claire", "Omar", "Sara", "Hamid", "Lucas", "Imane", "Karim", "Fatima", "Paul", "Amal")


def busy_centre(now: float) -> list[dict[str, str]]:
    """A mid-morning centre for screenshots: 12 agents over 8 queues in every state, callers waiting, a day of
    answered and abandoned calls (spread over the last hour, for the sparklines)."""
    events: list[dict[str, str]] = []
    serial = 0

    def stamp(ago: float) -> str:
        return f"{now - ago:.6f}"

    members: dict[str, list[str]] = {queue: [] for queue in LANGUAGE_QUEUES}
    for index, name in enumerate(NAMES):
        interface = f"PJSIP/agent{1001 + index}"
        for queue in (LANGUAGE_QUEUES[index % 8], LANGUAGE_QUEUES[(index + 3) % 8]):
            members[queue].append(interface)
            events.append({"Event": "QueueMemberAdded", "Queue": queue, "MemberName": name, "Interface": interface,
                           "StateInterface": interface, "Membership": "dynamic", "Penalty": "0", "CallsTaken": "0",
                           "LastCall": "0", "InCall": "0", "Status": "1", "Paused": "0", "PausedReason": "",
                           "Timestamp": stamp(3600)})  # fmt: skip
    for minute in range(60, 1, -1):
        queue = LANGUAGE_QUEUES[minute % 3 * 2 % 8]
        serial += 1
        uniqueid = f"1795400000.{serial}"
        agent = members[queue][minute % len(members[queue])]
        events.append({"Event": "QueueCallerJoin", "Queue": queue, "Uniqueid": uniqueid, "Linkedid": uniqueid,
                       "Channel": f"PJSIP/carrier-{serial:08x}", "CallerIDNum": f"+2126{serial:08d}",
                       "Language": queue[2:], "Position": "1", "Count": "1",
                       "Timestamp": stamp(minute * 60)})  # fmt: skip
        if minute % 7 == 0:
            events.append({"Event": "QueueCallerAbandon", "Queue": queue, "Uniqueid": uniqueid, "Position": "1",
                           "OriginalPosition": "1", "HoldTime": "70",
                           "Timestamp": stamp(minute * 60 - 70)})  # fmt: skip
            continue
        events.append({"Event": "AgentConnect", "Queue": queue, "Uniqueid": uniqueid, "Linkedid": uniqueid,
                       "Interface": agent, "MemberName": agent, "HoldTime": str(3 + minute % 25), "RingTime": "3",
                       "CallerIDNum": f"+2126{serial:08d}", "Channel": f"PJSIP/carrier-{serial:08x}",
                       "Timestamp": stamp(minute * 60 - 30)})  # fmt: skip
        events.append({"Event": "AgentComplete", "Queue": queue, "Uniqueid": uniqueid, "Interface": agent,
                       "MemberName": agent, "HoldTime": "10", "TalkTime": str(120 + minute % 5 * 30),
                       "Reason": "agent", "Timestamp": stamp(minute * 60 - 50)})  # fmt: skip
    for index, queue in enumerate(("q-ar", "q-ar", "q-ar", "q-fr", "q-zgh", "q-en")):
        serial += 1
        uniqueid = f"1795400000.{serial}"
        events.append({"Event": "QueueCallerJoin", "Queue": queue, "Uniqueid": uniqueid, "Linkedid": uniqueid,
                       "Channel": f"PJSIP/carrier-{serial:08x}", "CallerIDNum": f"+2126{serial:08d}",
                       "Language": queue[2:], "Position": str(index + 1), "Count": str(index + 1),
                       "Timestamp": stamp(160 - index * 25)})  # fmt: skip
    for index, queue in enumerate(("q-ar", "q-fr", "q-zgh")):  # three agents on a call now
        serial += 1
        uniqueid = f"1795400000.{serial}"
        agent = members[queue][0]
        events.append({"Event": "AgentConnect", "Queue": queue, "Uniqueid": uniqueid, "Linkedid": uniqueid,
                       "Interface": agent, "MemberName": agent, "HoldTime": "12", "RingTime": "3",
                       "CallerIDNum": f"+2126{serial:08d}", "Channel": f"PJSIP/carrier-{serial:08x}",
                       "Timestamp": stamp(95 + index * 40)})  # fmt: skip
    for index, (reason, ago) in enumerate((("Déjeuner", 1500), ("Formation", 300))):
        agent = f"PJSIP/agent{1004 + index}"
        for queue in (LANGUAGE_QUEUES[(3 + index) % 8], LANGUAGE_QUEUES[(6 + index) % 8]):
            events.append({"Event": "QueueMemberPause", "Queue": queue, "MemberName": NAMES[3 + index],
                           "Interface": agent, "StateInterface": agent, "Membership": "dynamic", "Penalty": "0",
                           "CallsTaken": "0", "LastCall": "0", "InCall": "0", "Status": "1", "Paused": "1",
                           "PausedReason": reason, "Timestamp": stamp(ago)})  # fmt: skip
    events.sort(key=lambda event: float(event["Timestamp"]))
    return events

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from ivr.sandbox import CallerScript
from tests.asterisk.conftest import OPEN_AT


async def test_record_abandon(tier, start_agi, ami, agent_in_queue, tmp_path: Path) -> None:
    agi = start_agi(OPEN_AT)
    await ami.action("QueueRemove", Queue="q-fr", Interface="PJSIP/agent1001")
    agent = await agent_in_queue("q-fr")
    try:
        await ami.action("QueuePause", Queue="q-fr", Interface=agent.interface, Paused="true", Reason="training")
        script = CallerScript(caller="+33611111111", keys=((1.2, "3"), (5.0, "1")), hangup_at=12)
        call = asyncio.create_task(tier.call(script, tmp_path))
        await ami.wait_for(lambda e: e.get("Event") == "QueueCallerJoin", timeout_s=15)
        await asyncio.sleep(2)
        await ami.action("QueueStatus", Queue="q-fr")
        await ami.action("QueueSummary", Queue="q-fr")
        await call
        await ami.wait_for(lambda e: e.get("Event") == "QueueCallerAbandon", timeout_s=10)
        await ami.action("QueueRemove", Queue="q-fr", Interface=agent.interface)
        await asyncio.sleep(1)
    finally:
        out = Path(os.environ.get("REC", "/tmp/rec2.jsonl"))
        out.write_text("".join(json.dumps(e) + "\n" for e in ami.events))
        print(agi.log()[-3000:])

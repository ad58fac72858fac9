"""Shared construction of a FlowContext for flow tests: the packaged reference call center, a fixed clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.calendar import BusinessCalendar
from callcenter.loading import load_callcenter
from ivr.adapters.outbox import Outbox
from ivr.flows.context import FlowContext
from ivr.language_memory import InMemoryLanguageMemory, LanguageMemory

CASABLANCA = ZoneInfo("Africa/Casablanca")
OPEN_INSTANT = datetime(2026, 11, 24, 10, 0, tzinfo=CASABLANCA)  # a Tuesday morning
CLOSED_INSTANT = datetime(2026, 11, 24, 21, 30, tzinfo=CASABLANCA)  # the same Tuesday, after 20:00


def make_context(spool: Path, now: datetime = OPEN_INSTANT, memory: LanguageMemory | None = None) -> FlowContext:
    callcenter = load_callcenter()
    return FlowContext(
        callcenter=callcenter,
        calendar=BusinessCalendar(callcenter),
        clock=lambda: now,
        language_memory=memory if memory is not None else InMemoryLanguageMemory(),
        outbox=Outbox(spool),
        voicemail_dir="/var/spool/asterisk/ivr-recordings",
    )

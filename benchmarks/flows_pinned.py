"""The real flows, with the clock started at an in-hours instant, so every benchmark call takes the same path.

The FastAGI server under test (benchmarks/agi_servers.py) serves these; process AGI gets the same instant through
`python -m ivr.adapters.agi_stdio --at IN_HOURS inbound`.
"""

from __future__ import annotations

from datetime import datetime

from ivr.flows import FLOWS
from ivr.flows.context import FlowContext
from ivr.settings import Settings
from ivr.wiring import build_context as _build_context

IN_HOURS = datetime.fromisoformat("2026-11-23T11:00:00+01:00")  # a Monday morning in Casablanca

__all__ = ["FLOWS", "IN_HOURS", "build_context"]


def build_context(at: datetime | None, settings: Settings) -> FlowContext:
    return _build_context(at or IN_HOURS, settings)

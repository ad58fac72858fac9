"""The real flows, with the clock started at an in-hours instant, so every benchmark call takes the same path.

Process AGI has no --at option: the benchmark points $IVR_FLOWS_MODULE at this module (as the process-AGI tests
do), so agi_scripts/inbound runs the real inbound flow, only the clock is pinned.
"""

from __future__ import annotations

from datetime import datetime

from ivr.flows import FLOWS
from ivr.flows import build_context as _build_context
from ivr.flows.context import FlowContext
from ivr.settings import Settings

IN_HOURS = datetime.fromisoformat("2026-11-23T11:00:00+01:00")  # a Monday morning in Casablanca

__all__ = ["FLOWS", "IN_HOURS", "build_context"]


def build_context(at: datetime | None, settings: Settings) -> FlowContext:
    return _build_context(at or IN_HOURS, settings)

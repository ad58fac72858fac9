"""What an AGI entry point serves: the flows by script name and how to build the context they share.

A typed value built by the entry point (`ivr.wiring.REGISTRY`, or `ivr.adapters.agi_demo.REGISTRY` with `--demo`)
and handed to the FastAGI server or the process AGI runner: no module names in strings, no environment lookup.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from ivr.channel import Channel
from ivr.settings import Settings

ContextT = TypeVar("ContextT")


@dataclass(frozen=True)
class FlowRegistry(Generic[ContextT]):
    flows: Mapping[str, Callable[[Channel, ContextT], Awaitable[None]]]
    build_context: Callable[[datetime | None, Settings], ContextT]  # `at`: a shifted clock's start, or None


def aware_instant(text: str) -> datetime:
    """The `--at` argument: an ISO 8601 instant with its timezone."""
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no timezone, e.g. 2026-11-23T21:30:00+01:00")
    return instant


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every AGI entry point shares: which registry, and where its clock starts."""
    parser.add_argument("--demo", action="store_true", help="serve the demo flows (ivr/adapters/agi_demo.py)")
    parser.add_argument("--at", type=aware_instant, help="run as if the clock started at this ISO 8601 instant")


def chosen(demo: bool) -> FlowRegistry[Any]:
    """The real flows, or the demo ones that exercise the adapters alone. Imported here, not at the top:
    ivr.wiring itself builds its registry with this module."""
    if demo:
        from ivr.adapters.agi_demo import REGISTRY as DEMO

        return DEMO
    from ivr.wiring import REGISTRY

    return REGISTRY

"""A tiny flow registry to smoke-test the AGI adapters without the real call flows or their configuration.

`ivr agi --demo` (and `python -m ivr.adapters.agi_stdio --demo FLOW`) serve `REGISTRY` instead of the real
flows; the process-AGI and FastAGI tests use it so they exercise the adapters alone.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ivr.channel import Channel
from ivr.registry import FlowRegistry
from ivr.settings import Settings


@dataclass(frozen=True)
class DemoContext:
    clock: Callable[[], datetime]


async def echo(channel: Channel, context: DemoContext) -> None:
    """Answer, collect up to 4 digits, and hand back what it saw in channel variables."""
    await channel.answer()
    digits = await channel.ask_digits("demo/enter", max_digits=4, timeout_s=3)
    await channel.set_variable("DEMO_DIGITS", digits)
    caller = f"{channel.info.caller_number} {channel.info.caller_name}".strip()
    await channel.set_variable("DEMO_CALLER", caller)
    await channel.set_variable("DEMO_NOW", context.clock().isoformat(timespec="seconds"))


async def hangup_handler(channel: Channel, context: DemoContext) -> None:
    """What call_end does on a dead channel: only variables."""
    linked_id = await channel.get_variable("CHANNEL(linkedid)")
    await channel.set_variable("DEMO_RECORDED", linked_id or channel.info.unique_id)


async def crash(channel: Channel, context: DemoContext) -> None:
    await channel.verbose("demo: about to fail")
    raise RuntimeError("demo flow failure")


FLOWS: dict[str, Callable[[Channel, DemoContext], Awaitable[None]]] = {
    "echo": echo,
    "hangup_handler": hangup_handler,
    "crash": crash,
}


def build_context(at: datetime | None, settings: Settings | None = None) -> DemoContext:
    """The demo flows need only a clock; `settings` is accepted (and unused) like ivr.wiring.build_context."""
    if at is None:
        return DemoContext(clock=lambda: datetime.now(UTC))
    origin = time.monotonic()
    return DemoContext(clock=lambda: at + timedelta(seconds=time.monotonic() - origin))


REGISTRY: FlowRegistry[DemoContext] = FlowRegistry(FLOWS, build_context)

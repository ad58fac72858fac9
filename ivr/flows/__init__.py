"""The flows Asterisk can reach, by AGI script name (agi://host:4573/<name>). A visible dict, no import magic.

The flows depend only on `FlowContext` and its protocols; the concrete adapters behind them are chosen in
ivr/wiring.py (`build_context`, `REGISTRY`), never here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ivr.channel import Channel
from ivr.flows import call_end, inbound, queue_wait, record_prompts, survey, voicemail
from ivr.flows.context import FlowContext

Flow = Callable[[Channel, FlowContext], Awaitable[None]]

FLOWS: dict[str, Flow] = {
    "inbound": inbound.run,
    "voicemail": voicemail.run,
    "call_end": call_end.run,
    "survey": survey.run,
    "queue_wait": queue_wait.run,
    "record_prompts": record_prompts.run,
}

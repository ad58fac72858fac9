"""The real flows wired to the concrete adapters: the one place that chooses what stands behind the flows' protocols.

Rules: the flows (ivr/flows/) see only `FlowContext` and its protocols (a record sink, a language memory, a ticket
desk, a queue desk); this module builds the adapters behind them, once at start-up, from the process settings and
the call-center file. `REGISTRY` is what `ivr agi` and process AGI serve unless `--demo` is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from callcenter.calendar import BusinessCalendar
from callcenter.loading import load_callcenter
from ivr.adapters.api_client import ApiLanguageMemory
from ivr.adapters.outbox import Outbox
from ivr.adapters.prompt_studio import FileStudio
from ivr.adapters.queue_client import ApiQueueDesk
from ivr.adapters.tickets_client import ApiTicketDesk
from ivr.flows import FLOWS
from ivr.flows.context import FlowContext
from ivr.language_memory import InMemoryLanguageMemory, LanguageMemory
from ivr.registry import FlowRegistry
from ivr.settings import Settings
from ivr.studio import PromptStudio


def shifted_clock(at: datetime | None) -> Callable[[], datetime]:
    """The real clock, or one that started at `at` and runs at normal speed (demos, tests of after-hours)."""
    if at is None:
        return lambda: datetime.now().astimezone()
    if at.tzinfo is None:
        raise ValueError("--at needs a timezone-aware instant, e.g. 2026-11-23T21:30:00+01:00")
    origin = time.monotonic()
    return lambda: datetime.fromtimestamp(at.timestamp() + (time.monotonic() - origin), tz=at.tzinfo)


def build_context(at: datetime | None, settings: Settings) -> FlowContext:
    """Everything the flows share, built once at start-up from the process settings and the call-center file."""
    callcenter = load_callcenter(settings.callcenter_path)
    # The API remembers callers' languages across agi processes; without a token there is no API to ask.
    memory: LanguageMemory = (
        ApiLanguageMemory(api_url=settings.api_url, token=settings.api_token)
        if settings.api_token
        else InMemoryLanguageMemory()
    )
    return FlowContext(
        callcenter=callcenter,
        calendar=BusinessCalendar(callcenter),
        clock=shifted_clock(at),
        language_memory=memory,
        outbox=Outbox(Path(settings.spool_dir)),
        voicemail_dir=str(settings.voicemail_dir),
        tickets=ApiTicketDesk(api_url=settings.api_url, token=settings.api_token) if settings.api_token else None,
        queue_desk=ApiQueueDesk(api_url=settings.api_url, token=settings.api_token) if settings.api_token else None,
        studio=prompt_studio(settings),
    )


def prompt_studio(settings: Settings) -> PromptStudio | None:
    """Recording prompts by phone: on when a talents file is configured; takes go where voicemails go."""
    if settings.prompt_talents is None:
        return None
    return FileStudio(talents_file=settings.prompt_talents, takes=str(settings.voicemail_dir))


REGISTRY: FlowRegistry[FlowContext] = FlowRegistry(FLOWS, build_context)

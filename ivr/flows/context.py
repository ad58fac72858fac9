"""What every flow receives besides its channel: built once at start-up, shared by all calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter
from callcenter.records import CallRecord
from ivr.language_memory import LanguageMemory
from ivr.queueing import QueueDesk
from ivr.studio import PromptStudio
from ivr.tickets import TicketDesk


class RecordSink(Protocol):
    """Where call_end leaves a call's record: the durable outbox (ivr/adapters/outbox.py) or a test's list."""

    async def put(self, record: CallRecord) -> object: ...


@dataclass(frozen=True)
class FlowContext:
    callcenter: CallCenter
    calendar: BusinessCalendar
    clock: Callable[[], datetime]  # timezone-aware "now"; a fixed or shifted clock for demos and tests
    language_memory: LanguageMemory
    outbox: RecordSink
    voicemail_dir: str  # where Asterisk writes messages (a path on the Asterisk host)
    tickets: TicketDesk | None = None  # the requests API (issue 7); None: no API configured
    queue_desk: QueueDesk | None = None  # wait estimates and callbacks (issue 6); None: no API configured
    reference_timeout_s: float = 1.5  # a caller who just left a message should not wait longer for its reference
    status_lookup_timeout_s: float = 2.0  # the longest a caller waits for the status of a keyed request
    studio: PromptStudio | None = None  # recording prompts by phone (issue 18); None: no talents configured

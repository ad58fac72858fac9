"""What every flow receives besides its channel: built once at start-up, shared by all calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from callcenter.calendar import BusinessCalendar
from callcenter.config import CallCenter
from ivr.adapters.outbox import Outbox
from ivr.language_memory import LanguageMemory
from ivr.queueing import QueueDesk
from ivr.tickets import TicketDesk


@dataclass(frozen=True)
class FlowContext:
    callcenter: CallCenter
    calendar: BusinessCalendar
    clock: Callable[[], datetime]  # timezone-aware "now"; a fixed or shifted clock for demos and tests
    language_memory: LanguageMemory
    outbox: Outbox
    voicemail_dir: str  # where Asterisk writes messages (a path on the Asterisk host)
    tickets: TicketDesk | None = None  # the requests API (issue 7); None: no API configured
    queue_desk: QueueDesk | None = None  # wait estimates and callbacks (issue 6); None: no API configured

"""request_status: the step of the inbound flow (request type 2) that tells a caller where their request is.

Rules:
- One API question, bounded by `ctx.status_lookup_timeout_s`; whatever happens (no API, timeout, error) the
  caller hears a sentence in their language and the call goes on to an agent: the lookup never ends or blocks the call.
- What is spoken is a pure function of the lookup (`status_prompt`).
"""

from __future__ import annotations

import asyncio
import logging

from callcenter.requests import RequestStatus
from ivr.channel import Channel
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, sound

log = logging.getLogger(__name__)

STATUS_PROMPTS = {
    RequestStatus.NEW: Prompt.REQUEST_STATUS_NEW,
    RequestStatus.IN_PROGRESS: Prompt.REQUEST_STATUS_IN_PROGRESS,
    RequestStatus.ANSWERED: Prompt.REQUEST_STATUS_ANSWERED,
    RequestStatus.CLOSED: Prompt.REQUEST_STATUS_CLOSED,
}


class Unavailable:
    """The API could not say (absent, slow, failing)."""


UNAVAILABLE = Unavailable()
Lookup = RequestStatus | None | Unavailable


def status_prompt(lookup: Lookup) -> Prompt:
    if isinstance(lookup, RequestStatus):
        return STATUS_PROMPTS[lookup]
    if lookup is None:
        return Prompt.REQUEST_NOT_FOUND
    return Prompt.REQUEST_STATUS_UNAVAILABLE


async def look_up(ctx: FlowContext, reference: str) -> Lookup:
    if ctx.tickets is None:
        return UNAVAILABLE
    try:
        return await asyncio.wait_for(ctx.tickets.status(reference), ctx.status_lookup_timeout_s)
    except Exception:  # the API being down is an everyday event for the call plane, not an error of the call
        log.warning("request status lookup failed", exc_info=True)
        return UNAVAILABLE


async def announce(channel: Channel, ctx: FlowContext, reference: str) -> Lookup:
    """Speak the status of `reference` in the channel language; return what the lookup found."""
    lookup = await look_up(ctx, reference)
    await channel.play(sound(status_prompt(lookup)))
    return lookup

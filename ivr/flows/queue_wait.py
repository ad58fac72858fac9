"""queue_wait: between two slices of Queue(), tell the caller their position and estimated wait, offer a callback.

Rules:
- The dialplan calls this each time a slice of the wait ends (QUEUESTATUS=TIMEOUT) and acts on IVR_ROUTE:
  queue (back in at IVR_QUEUE_POSITION for IVR_QUEUE_SLICE seconds), callback (hang up: booked), voicemail.
- The safe route is set first (back into the queue, or voicemail when the time is up), so a failure in the
  middle never loses the caller's place; the callback only replaces it once the API confirmed the booking.
- Position comes from Asterisk (QUEUEPOSITION, set when Queue() returns); the estimate from the API's recent
  answered waits of this queue; numbers are spoken with the caller's language rules (ivr.prompts).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from callcenter.logs import mask_number
from ivr import variables as var
from ivr.channel import Channel
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, position_sounds, sound, wait_time_sounds
from ivr.queueing import can_call_back, next_slice, parse_number

log = logging.getLogger(__name__)

CALLBACK_KEY = "1"
OFFER_WAIT_S = 4.0  # after the offer, how long we listen for the key
DEFAULT_ANNOUNCE_S = 45.0
DEFAULT_TIMEOUT_S = 300.0


async def run(channel: Channel, ctx: FlowContext) -> None:
    values = {
        name: await channel.get_variable(name) or ""
        for name in (
            var.IVR_QUEUE, var.IVR_LANG, var.IVR_QUEUE_JOINED, var.IVR_QUEUE_TIMEOUT, var.IVR_QUEUE_ANNOUNCE,
            var.QUEUEPOSITION, var.EPOCH, var.LINKEDID,
        )
    }  # fmt: skip
    now = parse_number(values[var.EPOCH], 0.0)
    joined = parse_number(values[var.IVR_QUEUE_JOINED], now)
    step = next_slice(
        joined_at=joined,
        now=now,
        timeout_s=parse_number(values[var.IVR_QUEUE_TIMEOUT], DEFAULT_TIMEOUT_S),
        announce_s=parse_number(values[var.IVR_QUEUE_ANNOUNCE], DEFAULT_ANNOUNCE_S),
        position=int(parse_number(values[var.QUEUEPOSITION], 1)),
    )
    if step.route != "queue":
        await channel.set_variable(var.IVR_ROUTE, step.route)
        return
    await channel.set_variables(
        {var.IVR_ROUTE: step.route, var.IVR_QUEUE_SLICE: str(step.slice_s), var.IVR_QUEUE_POSITION: str(step.position)}
    )  # one round trip (EXEC MSet), every slice of every caller's wait

    queue, language = values[var.IVR_QUEUE], values[var.IVR_LANG] or channel.info.language
    desk = ctx.queue_desk
    estimate = await desk.estimate(queue, step.position) if desk is not None else None
    announcement = position_sounds(step.position, language)
    if estimate is not None:
        announcement += wait_time_sounds(estimate, language)

    number = channel.info.caller_number
    if desk is None or not can_call_back(number):
        await channel.menu([*announcement, sound(Prompt.PLEASE_HOLD)], timeout_s=0.05)
        return
    # One menu: a caller who knows the offer presses 1 during the position already (type-ahead).
    pressed = await channel.menu([*announcement, sound(Prompt.CALLBACK_OFFER)], timeout_s=OFFER_WAIT_S)
    if pressed != CALLBACK_KEY:
        await channel.play(sound(Prompt.PLEASE_HOLD))
        return
    booked = await desk.book_callback(
        number=number,
        queue=queue,
        language=language,
        linkedid=values[var.LINKEDID] or channel.info.linked_id,
        uniqueid=channel.info.unique_id,  # the caller's channel: the Uniqueid of its queue events
        joined_at=datetime.fromtimestamp(joined, UTC),
    )
    if booked is None:  # the API could not book it: the caller keeps waiting, in place
        log.warning("callback not booked for %s in %s; caller stays in the queue", mask_number(number), queue)
        await channel.play(sound(Prompt.PLEASE_HOLD))
        return
    await channel.set_variables({var.IVR_CALLBACK: "booked" if booked else "existing", var.IVR_ROUTE: "callback"})
    await channel.play(sound(Prompt.CALLBACK_CONFIRMED))
    await channel.play(sound(Prompt.GOODBYE))

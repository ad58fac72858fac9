"""survey: after the agent hung up (Queue option c, QUEUESTATUS=CONTINUE), the caller rates the call 1 to 5.

Rules:
- The rating goes on the channel as IVR_SURVEY; call_end (the hangup handler, run when the caller leaves)
  puts it in the call record, so it travels through the durable outbox like everything else about the call.
- Prompts play in the channel language, which the inbound flow set. Silence or a wrong key gets the menu
  retries, then a goodbye without a rating; a hang-up at any point simply ends the survey.
- `rating_from` is the pure decision.
"""

from __future__ import annotations

import logging

from ivr import variables as var
from ivr.channel import Channel, ChannelError, ChannelHungUp
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, sound

log = logging.getLogger(__name__)

RATINGS = ("1", "2", "3", "4", "5")


def rating_from(digits: str) -> int | None:
    key = digits.strip().rstrip("#")
    return int(key) if key in RATINGS else None


async def run(channel: Channel, ctx: FlowContext) -> None:
    menu = ctx.callcenter.menu
    try:
        # One menu (type-ahead from the intro's first syllable); silence means no rating, an invalid key asks again.
        heard = [sound(Prompt.SURVEY_INTRO), sound(Prompt.SURVEY_QUESTION)]
        for _pass in range(menu.retries + 1):
            key = await channel.menu(heard, timeout_s=menu.digit_timeout_s)
            if not key:
                break
            rating = rating_from(key)
            if rating is not None:
                await channel.set_variable(var.IVR_SURVEY, str(rating))
                await channel.play(sound(Prompt.SURVEY_THANKS))
                break
            heard = [sound(Prompt.INVALID_CHOICE), sound(Prompt.SURVEY_QUESTION)]
        await channel.play(sound(Prompt.GOODBYE))
    except ChannelHungUp:
        log.info("caller hung up during the survey")
    except ChannelError:
        log.exception("survey failed")

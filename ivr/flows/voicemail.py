"""voicemail: the caller leaves a message (after hours, or when no agent answered in time).

Asterisk records the file (RECORD FILE) where its own voicemail spool lives; the flow names the file after the
call's linkedid so the message can be tied to its call record and, later, to a request.

After the message the caller hears the reference of the request it opened, when the requests API answers
within `ctx.reference_timeout_s`; otherwise the generic thanks (the request is still opened from the call record).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import PurePosixPath

from callcenter.languages import normalize_caller
from ivr import variables as var
from ivr.channel import Channel, ChannelError, ChannelHungUp, RecordStatus
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, digit_sounds, sound

log = logging.getLogger(__name__)

def recording_path(directory: str, linkedid: str, now: datetime) -> str:
    """`<dir>/<yyyymmdd>-<linkedid>`, flat: RECORD FILE does not create folders. Asterisk adds the extension."""
    safe_id = "".join(c for c in linkedid if c.isascii() and (c.isalnum() or c in "._-")).strip(".") or "unknown"
    return str(PurePosixPath(directory) / f"{now:%Y%m%d}-{safe_id}")


async def run(channel: Channel, ctx: FlowContext) -> None:
    settings = ctx.callcenter.voicemail
    try:
        linkedid = await channel.get_variable(var.LINKEDID) or channel.info.unique_id
        path = recording_path(ctx.voicemail_dir, linkedid, ctx.clock())
        await channel.play(sound(Prompt.VOICEMAIL_INSTRUCTIONS))
        outcome = await channel.record(
            path,
            file_format=settings.format,
            escape_digits="#",
            max_seconds=settings.max_seconds,
            silence_seconds=settings.silence_seconds,
            beep=True,
        )
        # Set before anything else can fail: the message exists even if the caller hangs up now.
        await channel.set_variable(var.IVR_VOICEMAIL, path)
        if outcome.status is not RecordStatus.HANGUP:
            reference = await request_reference(channel, ctx, linkedid=linkedid, path=path)
            await channel.play(sound(Prompt.VOICEMAIL_THANKS))
            if reference:
                await channel.play(sound(Prompt.REQUEST_REFERENCE_IS))
                for digit in digit_sounds(reference):
                    await channel.play(digit)
            await channel.play(sound(Prompt.GOODBYE))
    except ChannelHungUp:
        log.info("caller hung up during voicemail")
    except ChannelError:
        log.exception("voicemail failed")
        await _mark_error(channel)


async def request_reference(channel: Channel, ctx: FlowContext, *, linkedid: str, path: str) -> str | None:
    """The reference of the request this message opened, or None (no API, too slow, any failure)."""
    if ctx.tickets is None:
        return None
    try:
        request_type = await channel.get_variable(var.IVR_REQUEST_TYPE) or ""
        ask = ctx.tickets.open_for_voicemail(
            linkedid=linkedid,
            caller_number=normalize_caller(channel.info.caller_number),
            dialed_number=normalize_caller(channel.info.dialed_number) or channel.info.extension[:64],
            language=await channel.get_variable(var.IVR_LANG),
            request_type=int(request_type) if request_type.isascii() and request_type.isdigit() else None,
            voicemail_path=path,
            route=await channel.get_variable(var.IVR_ROUTE),
            at=ctx.clock(),
        )
        return await asyncio.wait_for(ask, ctx.reference_timeout_s)
    except (ChannelHungUp, ChannelError):
        raise
    except Exception:  # the reference is a courtesy; the call must go on whatever the API does
        log.warning("could not get a request reference for the message", exc_info=True)
        return None


async def _mark_error(channel: Channel) -> None:
    try:
        await channel.set_variable(var.IVR_ERROR, "voicemail")
    except (ChannelHungUp, ChannelError, ConnectionError):
        log.warning("could not flag the voicemail error on the channel")

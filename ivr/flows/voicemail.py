"""voicemail: the caller leaves a message (after hours, or when no agent answered in time).

Asterisk records the file (RECORD FILE) where its own voicemail spool lives; the flow names the file after the
call's linkedid so the message can be tied to its call record and, later, to a request.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import PurePosixPath

from ivr import variables as var
from ivr.channel import Channel, ChannelError, ChannelHungUp, RecordStatus
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, sound

log = logging.getLogger(__name__)


def recording_path(directory: str, linkedid: str, now: datetime) -> str:
    """`<dir>/<yyyy>/<mm>/<linkedid>`: Asterisk adds the extension. Linkedid is Asterisk's, but sanitise anyway."""
    safe_id = "".join(c for c in linkedid if c.isascii() and (c.isalnum() or c in "._-")).strip(".") or "unknown"
    return str(PurePosixPath(directory) / f"{now:%Y}" / f"{now:%m}" / safe_id)


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
            await channel.play(sound(Prompt.VOICEMAIL_THANKS))
            await channel.play(sound(Prompt.GOODBYE))
    except ChannelHungUp:
        log.info("caller hung up during voicemail")
    except ChannelError:
        log.exception("voicemail failed")
        await _mark_error(channel)


async def _mark_error(channel: Channel) -> None:
    try:
        await channel.set_variable(var.IVR_ERROR, "voicemail")
    except (ChannelHungUp, ChannelError, ConnectionError):
        log.warning("could not flag the voicemail error on the channel")

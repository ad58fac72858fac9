"""record_prompts: a voice talent records the override of one prompt by phone (issue 18).

Dialplan: the configured recording extension ([ivr-record-prompts] in extensions.conf) runs this flow.

Steps: the talent keys their number and PIN (Asterisk's own English staff prompts: agent-user, agent-pass; three
tries, then goodbye), picks a language from the language menu (each option in its own language, the caller menu
keys), then a prompt by number (docs/voices.md lists them; greeting = 1) and hears the prompt as it plays today
(the synthesis, or the fallback language's audio for Amazigh) as the text to read, records after the beep (# ends),
then 1 accept, 2 listen, 3 re-record (vm-review). An accepted take is handed to the studio (trimmed, normalised,
stored with who and when, rebuilt in every codec) and the talent picks the next prompt; silence ends the call.

Rules:
- No studio configured (no talents file): the flow says goodbye and hangs up; it never records anything.
- A talent limited to some languages is only offered those.
- A take is recorded under the studio's takes_dir named after the call, so two talents never overwrite each
  other's takes; the studio keeps its own copy of an accepted take.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from ivr.channel import Channel, ChannelError, ChannelHungUp, RecordStatus
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, sound
from ivr.studio import PromptStudio, StudioError, Talent, prompt_by_number

log = logging.getLogger(__name__)

MAX_TRIES = 3
DIGIT_TIMEOUT_S = 6.0
MAX_TAKE_S = 60
TAKE_SILENCE_S = 4
ASK_NUMBER, ASK_PIN, WRONG = "agent-user", "agent-pass", "agent-incorrect"
REVIEW, SAVED, GOODBYE, CHOOSE, INVALID = "vm-review", "vm-msgsaved", "vm-goodbye", "beep", "beeperr"


async def authenticate(channel: Channel, studio: PromptStudio) -> Talent | None:
    for _ in range(MAX_TRIES):
        number = await channel.ask_digits(ASK_NUMBER, max_digits=8, timeout_s=DIGIT_TIMEOUT_S)
        pin = await channel.ask_digits(ASK_PIN, max_digits=12, timeout_s=DIGIT_TIMEOUT_S) if number else ""
        talent = await studio.authenticate(number, pin) if number and pin else None
        if talent is not None:
            return talent
        await channel.play(WRONG)
    return None


async def choose_language(channel: Channel, ctx: FlowContext, talent: Talent) -> str | None:
    offered = [language for language in ctx.callcenter.languages if talent.may_record(language.code)]
    if len(offered) == 1:
        return offered[0].code
    options = [sound(Prompt.LANGUAGE_OPTION, language.code) for language in offered]
    for _ in range(MAX_TRIES):
        key = await channel.menu(options, timeout_s=DIGIT_TIMEOUT_S)
        chosen = next((language.code for language in offered if language.digit == key), None)
        if chosen is not None:
            return chosen
        await channel.play(INVALID)
    return None


def take_path(takes_dir: str, unique_id: str, language: str, key: Prompt) -> str:
    """`<takes_dir>/take-<call>-<lang>-<key>`: RECORD FILE adds the extension and creates no folder."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in unique_id) or "call"
    return str(PurePosixPath(takes_dir) / f"take-{safe}-{language}-{key.value}")


async def record_take(channel: Channel, path: str) -> bool:
    """Record, then review until the talent accepts (True) or gives up (False: silence at the review)."""
    while True:
        outcome = await channel.record(path, file_format="wav", escape_digits="#", max_seconds=MAX_TAKE_S,
                                       silence_seconds=TAKE_SILENCE_S, beep=True)
        if outcome.status is RecordStatus.HANGUP:
            raise ChannelHungUp("hung up while recording")
        while True:
            choice = await channel.play(REVIEW, escape_digits="123") or await channel.wait_digit(DIGIT_TIMEOUT_S)
            if choice == "1":
                return True
            if choice == "2":
                await channel.play(path)
                continue
            if choice == "3":
                break
            if choice == "":
                return False
            await channel.play(INVALID)


async def run(channel: Channel, ctx: FlowContext) -> None:
    studio = ctx.studio
    try:
        await channel.answer()
        if studio is None:
            log.warning("prompt recording called but no studio is configured (IVR_PROMPT_TALENTS)")
            await channel.play(GOODBYE)
            return
        talent = await authenticate(channel, studio)
        if talent is None:
            log.warning("prompt recording: authentication failed from %s", channel.info.caller_number)
            await channel.play(GOODBYE)
            return
        language = await choose_language(channel, ctx, talent)
        while language is not None:
            key = prompt_by_number(await channel.ask_digits(CHOOSE, max_digits=2, timeout_s=DIGIT_TIMEOUT_S))
            if key is None:
                break
            await channel.play(sound(key, language))  # what it says today: the text to read
            path = take_path(studio.takes_dir, channel.info.unique_id, language, key)
            if not await record_take(channel, path):
                continue
            await studio.accept(language=language, key=key, take=Path(f"{path}.wav"), talent=talent,
                                at=ctx.clock())
            log.info("prompt %s/%s recorded by %s", language, key.value, talent.label)
            await channel.play(SAVED)
        await channel.play(GOODBYE)
    except ChannelHungUp:
        log.info("talent hung up during prompt recording")
    except (ChannelError, StudioError):
        log.exception("prompt recording failed")

"""inbound: language, then business hours, then the request-type menu; hands the route to the dialplan.

Rules:
- Every exit leaves the dialplan a sane route: if anything goes wrong after the language is known, the caller is
  sent to that language's queue (a human can always help); if the caller hangs up, IVR_STAGE says where.
- Decisions are pure functions below (`menu_choice`, `valid_reference`); `run` only plays, asks and sets.
- The channel variables are the contract with asterisk_conf/extensions.conf (ivr.variables).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from ivr import variables as var
from ivr.channel import Channel, ChannelError, ChannelHungUp
from ivr.config import CallCenter, Language, RequestType
from ivr.flows import request_status
from ivr.flows.context import FlowContext
from ivr.languages import language_for_digit, menu_order, normalize_caller, preselect
from ivr.prompts import Prompt, sound
from ivr.records import Route

log = logging.getLogger(__name__)

MEMORY_TIMEOUT_S = 0.3  # the remembered language is a nicety: never make a caller wait for it


@dataclass
class Decision:
    """What the flow has decided so far; written to the channel whatever happens."""

    stage: str = "answer"
    preselected: Language | None = None  # what the caller's number suggested, recorded if they leave before choosing
    language: Language | None = None
    route: Route | None = None
    queue: str = ""
    request_type: RequestType | None = None
    reference: str = ""
    closed_reason: str = ""


def menu_choice(digits: str, allowed: set[str]) -> str | None:
    """The single menu key the caller pressed, or None for silence, garbage or several keys."""
    key = digits.strip()
    return key if len(key) == 1 and key in allowed else None


def valid_reference(digits: str, min_digits: int, max_digits: int) -> str | None:
    """A request reference is only digits, within the configured length; anything else is refused."""
    reference = digits.strip().rstrip("#")
    if reference.isdigit() and reference.isascii() and min_digits <= len(reference) <= max_digits:
        return reference
    return None


async def recall_language(ctx: FlowContext, caller: str) -> str | None:
    if not caller:
        return None
    try:
        remembered = await asyncio.wait_for(ctx.language_memory.recall(caller), MEMORY_TIMEOUT_S)
    except Exception:  # any failure of the memory (API down, timeout) just means "not remembered"
        log.warning("language memory unavailable for this call", exc_info=True)
        return None
    known = {language.code for language in ctx.callcenter.languages}
    return remembered if remembered in known else None


async def language_menu(channel: Channel, callcenter: CallCenter, preselected: Language) -> Language:
    """Each option spoken in its own language, preselected first; retries, then the preselected default."""
    options = menu_order(preselected.code, callcenter)
    digits = "".join(language.digit for language in options)
    for _attempt in range(callcenter.menu.retries):
        pressed = ""
        for option in options:
            pressed = await channel.play(sound(Prompt.LANGUAGE_OPTION, option.code), escape_digits=digits)
            if pressed:
                break
        if not pressed:
            pressed = await channel.wait_digit(callcenter.menu.digit_timeout_s)
        if pressed:
            chosen = language_for_digit(pressed, callcenter)
            if chosen is not None:
                return chosen
            await channel.play(sound(Prompt.INVALID_CHOICE, preselected.code))
        else:
            await channel.play(sound(Prompt.NO_INPUT, preselected.code))
    return preselected


async def request_type_menu(
    channel: Channel, callcenter: CallCenter, decision: Decision
) -> RequestType | None:
    """The request-type menu; the language-change key reopens the language menu. None after the retries."""
    by_digit = {request_type.digit: request_type for request_type in callcenter.request_types}
    change_key = callcenter.menu.language_change_digit
    allowed = set(by_digit) | ({change_key} if change_key else set())
    language_changes = 0
    attempt = 0
    while attempt < callcenter.menu.retries:
        digits = await channel.ask_digits(
            sound(Prompt.REQUEST_TYPE_MENU), max_digits=1, timeout_s=callcenter.menu.digit_timeout_s
        )
        choice = menu_choice(digits, allowed)
        if change_key and choice == change_key and language_changes < callcenter.menu.retries:
            language_changes += 1
            decision.stage = "language_menu"
            assert decision.language is not None
            decision.language = await language_menu(channel, callcenter, decision.language)
            await set_language(channel, decision.language)
            decision.stage = "request_type_menu"
            continue
        if choice is not None and choice in by_digit:
            return by_digit[choice]
        attempt += 1
        await channel.play(sound(Prompt.INVALID_CHOICE if digits else Prompt.NO_INPUT))
    return None


async def ask_reference(channel: Channel, callcenter: CallCenter, request_type: RequestType) -> str:
    for _attempt in range(callcenter.menu.retries):
        digits = await channel.ask_digits(
            sound(Prompt.REFERENCE_ENTRY),
            max_digits=request_type.reference_max_digits,
            timeout_s=callcenter.menu.digit_timeout_s * 2,
        )
        reference = valid_reference(
            digits, request_type.reference_min_digits, request_type.reference_max_digits
        )
        if reference is not None:
            return reference
        await channel.play(sound(Prompt.REFERENCE_INVALID))
    return ""


async def set_language(channel: Channel, language: Language) -> None:
    await channel.set_language(language.code)
    await channel.set_variable(var.IVR_LANG, language.code)


async def run(channel: Channel, ctx: FlowContext) -> None:
    callcenter = ctx.callcenter
    decision = Decision()
    started = ctx.clock()
    try:
        await channel.set_variable(var.IVR_STARTED, f"{started.timestamp():.3f}")
        await channel.answer()
        caller = normalize_caller(channel.info.caller_number)
        remembered = await recall_language(ctx, caller)
        preselected_code = remembered or preselect(caller, callcenter)
        preselected = callcenter.language(preselected_code)
        decision.preselected = preselected
        decision.stage = "language_menu"
        if remembered:
            decision.language = preselected
        else:
            await channel.play(sound(Prompt.GREETING, preselected.code))
            decision.language = await language_menu(channel, callcenter, preselected)
        await set_language(channel, decision.language)
        if caller:
            await remember_language(ctx, caller, decision.language.code)

        status = ctx.calendar.status(ctx.clock())
        if not status.open:
            decision.stage = "after_hours"
            decision.closed_reason = str(status.reason or "closed")
            await channel.play(sound(Prompt.AFTER_HOURS))
            decision.route = Route.VOICEMAIL
            return

        decision.stage = "request_type_menu"
        decision.request_type = await request_type_menu(channel, callcenter, decision)
        if decision.request_type is not None and decision.request_type.asks_reference:
            decision.stage = "reference_entry"
            decision.reference = await ask_reference(channel, callcenter, decision.request_type)
            if decision.reference:
                decision.stage = "request_status"
                await request_status.announce(channel, ctx, decision.reference)
        decision.stage = "transfer"
        await channel.play(sound(Prompt.TRANSFER_TO_AGENT))
        decision.route = Route.QUEUE
    except ChannelHungUp:
        log.info("caller hung up at %s", decision.stage)
    except ChannelError:
        log.exception("Asterisk refused a command at %s; routing to a queue", decision.stage)
        decision.route = Route.QUEUE
    finally:
        await publish(channel, ctx, decision)


async def remember_language(ctx: FlowContext, caller: str, code: str) -> None:
    try:
        await asyncio.wait_for(ctx.language_memory.remember(caller, code), MEMORY_TIMEOUT_S)
    except Exception:  # remembering is best effort; the call goes on
        log.warning("could not remember the caller's language", exc_info=True)


async def publish(channel: Channel, ctx: FlowContext, decision: Decision) -> None:
    """Hand the decision to the dialplan. Works on a dead channel too, so call_end sees where the caller left."""
    callcenter = ctx.callcenter
    language = decision.language or decision.preselected or callcenter.language(callcenter.default_language)
    values: dict[str, str] = {var.IVR_LANG: language.code, var.IVR_STAGE: decision.stage}
    if decision.closed_reason:
        values[var.IVR_CLOSED] = decision.closed_reason
    if decision.route is not None:
        values[var.IVR_ROUTE] = decision.route.value
    if decision.route is Route.QUEUE:
        values[var.IVR_QUEUE] = language.queue
        values[var.IVR_QUEUE_TIMEOUT] = str(callcenter.queue.timeout_s)
        values[var.IVR_REQUEST_TYPE] = decision.request_type.digit if decision.request_type else ""
        values[var.IVR_REFERENCE] = decision.reference
    try:
        for name, value in values.items():
            await channel.set_variable(name, value)
    except (ChannelHungUp, ChannelError, ConnectionError):
        log.warning("could not hand the decision to the dialplan (session gone)", exc_info=True)

"""inbound: greeting and language, business hours, the request type; hands the route to the dialplan.

Rules:
- Type-ahead: every menu is ONE `channel.menu` (one Read of an '&' list), greeting included, so a key pressed at
  any moment of it counts; nothing slow (API calls) runs between two menus: the language is remembered in the
  background. Keys pressed between two AGI commands are dropped by res_agi, so those gaps are kept to a round trip.
- Short silent paths: silence after one pass takes the menu's default; only an invalid key repeats a menu
  (`menu.retries` times). A caller whose number or memory gives a language hears only "another language: 9"
  after the greeting. A closed service says so right after the greeting, then asks the message's subject.
- Every exit leaves the dialplan a sane route: if anything goes wrong after the language is known, the caller is
  sent to that language's queue (a human can always help); if the caller hangs up, IVR_STAGE says where.
- Round trips are few (each one is a wake-up of Asterisk's channel thread and of our loop): the dialplan has
  answered before AGI(inbound) (asterisk_conf/extensions.conf [ivr-inbound]), so no ANSWER; the channel gets only
  CHANNEL(language) when the language is known; everything the dialplan and call_end read (IVR_STARTED,
  IVR_LANG, the route...) travels in ONE EXEC MSet when the flow ends (`publish`, also after a hangup).
- Decisions are pure functions below (`menu_choice`, `valid_reference`, `greeting_sounds`); `run` only plays,
  asks and sets. The channel variables are the contract with asterisk_conf/extensions.conf (ivr.variables).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from callcenter.config import CallCenter, Language, RequestType
from callcenter.languages import menu_order, normalize_caller, suggested_language
from callcenter.records import Route
from ivr import background
from ivr import variables as var
from ivr.channel import Channel, ChannelError, ChannelHungUp
from ivr.flows import request_status
from ivr.flows.context import FlowContext
from ivr.prompts import Prompt, sound

log = logging.getLogger(__name__)

MEMORY_TIMEOUT_S = 0.3  # the remembered language is a nicety: never make a caller wait for it
T = TypeVar("T")


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
    started: str = ""  # IVR_STARTED: epoch seconds (flow clock) when the flow began


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
        async with asyncio.timeout(MEMORY_TIMEOUT_S):  # (not wait_for: no task of its own per call)
            remembered = await ctx.language_memory.recall(caller)
    except Exception:  # any failure of the memory (API down, timeout) just means "not remembered"
        log.warning("language memory unavailable for this call", exc_info=True)
        return None
    known = {language.code for language in ctx.callcenter.languages}
    return remembered if remembered in known else None


def greeting_sounds(
    callcenter: CallCenter, preselected: Language, *, known: bool, closed: bool
) -> tuple[list[str], str]:
    """What the caller hears first, as one menu, and the key that opens the other languages ("" if none).

    A known language: the greeting (and the closed notice) in it, then "another language: press 9". Unknown:
    the greeting, the closed notice, then every option, each in its own language."""
    lead = [sound(Prompt.GREETING, preselected.code)]
    if closed:
        lead.append(sound(Prompt.AFTER_HOURS, preselected.code))
    change = callcenter.menu.language_change_digit or ""
    if known and change and callcenter.menu.short_language_offer and len(callcenter.languages) > 1:
        return [*lead, sound(Prompt.LANGUAGE_CHANGE_HINT, preselected.code)], change
    return [*lead, *option_sounds(callcenter, preselected)], ""


def option_sounds(callcenter: CallCenter, preselected: Language) -> list[str]:
    return [sound(Prompt.LANGUAGE_OPTION, option.code) for option in menu_order(preselected.code, callcenter)]


async def choose(
    channel: Channel,
    callcenter: CallCenter,
    first: Sequence[str],
    choices: Mapping[str, T],
    *,
    again: Sequence[str],
    invalid_sound: str,
    timeout_s: float,
) -> T | None:
    """One menu: `first` as one Read, then `again` after an invalid key (`menu.retries` times). The choice for
    the key pressed; None for silence or after the retries (the caller of `choose` applies the default)."""
    heard = list(first)
    for _pass in range(callcenter.menu.retries + 1):
        key = await channel.menu(heard, timeout_s=timeout_s)
        if not key:
            return None
        choice = choices.get(menu_choice(key, set(choices)) or "")
        if choice is not None:
            return choice
        heard = [invalid_sound, *again]
    return None


async def choose_language(
    channel: Channel, callcenter: CallCenter, preselected: Language, *, known: bool, closed: bool
) -> Language:
    """The greeting as one menu: a language key picks it from the first syllable; silence keeps `preselected`."""
    first, change = greeting_sounds(callcenter, preselected, known=known, closed=closed)
    languages: dict[str, Language | None] = {language.digit: language for language in callcenter.languages}
    invalid = sound(Prompt.INVALID_CHOICE, preselected.code)
    if not change:
        chosen = await choose(
            channel,
            callcenter,
            first,
            languages,
            again=option_sounds(callcenter, preselected),
            invalid_sound=invalid,
            timeout_s=callcenter.menu.digit_timeout_s,
        )
        return chosen or preselected
    with_change = {**languages, change: None}
    again = [sound(Prompt.LANGUAGE_CHANGE_HINT, preselected.code)]
    key_menu = {digit: digit for digit in with_change}
    picked = await choose(
        channel,
        callcenter,
        first,
        key_menu,
        again=again,
        invalid_sound=invalid,
        timeout_s=callcenter.menu.offer_timeout_s,
    )
    if picked is None:
        return preselected
    if picked != change:
        return languages[picked] or preselected
    return await options_menu(channel, callcenter, preselected)


async def options_menu(channel: Channel, callcenter: CallCenter, preselected: Language) -> Language:
    """Every language, each spoken in itself, preselected first; silence keeps `preselected`."""
    options = option_sounds(callcenter, preselected)
    chosen = await choose(
        channel,
        callcenter,
        options,
        {language.digit: language for language in callcenter.languages},
        again=options,
        invalid_sound=sound(Prompt.INVALID_CHOICE, preselected.code),
        timeout_s=callcenter.menu.digit_timeout_s,
    )
    return chosen or preselected


async def request_type_menu(channel: Channel, callcenter: CallCenter, decision: Decision) -> RequestType | None:
    """The request-type menu; the language-change key reopens the language options. None on silence."""
    by_digit: dict[str, RequestType | None] = {rt.digit: rt for rt in callcenter.request_types}
    change_key = callcenter.menu.language_change_digit
    if change_key:
        by_digit[change_key] = None
    keys = {digit: digit for digit in by_digit}
    menu = [sound(Prompt.REQUEST_TYPE_MENU)]
    for _language_change in range(callcenter.menu.retries + 1):
        key = await choose(
            channel,
            callcenter,
            menu,
            keys,
            again=menu,
            invalid_sound=sound(Prompt.INVALID_CHOICE),
            timeout_s=callcenter.menu.digit_timeout_s,
        )
        if key is None:
            return None
        if key != change_key:
            return by_digit[key]
        assert decision.language is not None
        decision.stage = "language_menu"
        decision.language = await options_menu(channel, callcenter, decision.language)
        await set_language(channel, decision.language, decision)
        decision.stage = "request_type_menu"
    return None


async def message_subject_menu(channel: Channel, callcenter: CallCenter, *, replay_closed: bool) -> RequestType:
    """After hours: the subject of the message (a request type), one key; silence keeps the configured one."""
    by_digit = {rt.digit: rt for rt in callcenter.request_types}
    default_digit = callcenter.menu.after_hours_request_type or callcenter.request_types[0].digit
    first = [sound(Prompt.AFTER_HOURS)] if replay_closed else []
    menu = [sound(Prompt.MESSAGE_SUBJECT), sound(Prompt.REQUEST_TYPE_MENU)]
    chosen = await choose(
        channel,
        callcenter,
        [*first, *menu],
        by_digit,
        again=menu,
        invalid_sound=sound(Prompt.INVALID_CHOICE),
        timeout_s=callcenter.menu.digit_timeout_s,
    )
    return chosen or by_digit[default_digit]


async def ask_reference(channel: Channel, callcenter: CallCenter, request_type: RequestType) -> str:
    for _attempt in range(callcenter.menu.retries + 1):
        digits = await channel.ask_digits(
            sound(Prompt.REFERENCE_ENTRY),
            max_digits=request_type.reference_max_digits,
            timeout_s=callcenter.menu.inter_digit_timeout_s * 2,
        )
        reference = valid_reference(digits, request_type.reference_min_digits, request_type.reference_max_digits)
        if reference is not None:
            return reference
        await channel.play(sound(Prompt.REFERENCE_INVALID))
    return ""


async def set_language(channel: Channel, language: Language, decision: Decision) -> None:
    """Asterisk's own language (prompts, Say*) at once; IVR_LANG follows in `publish` (decision.language)."""
    await channel.set_language(language.code)


async def run(channel: Channel, ctx: FlowContext) -> None:
    callcenter = ctx.callcenter
    decision = Decision()
    started = ctx.clock()
    try:
        decision.started = f"{started.timestamp():.3f}"
        caller = normalize_caller(channel.info.caller_number)
        suggested = await recall_language(ctx, caller) or suggested_language(caller, callcenter)
        preselected = callcenter.language(suggested or callcenter.default_language)
        decision.preselected = preselected
        status = ctx.calendar.status(ctx.clock())
        decision.stage = "language_menu" if status.open else "after_hours"
        if not status.open:
            decision.closed_reason = str(status.reason or "closed")
        decision.language = await choose_language(
            channel, callcenter, preselected, known=suggested is not None, closed=not status.open
        )
        await set_language(channel, decision.language, decision)
        if caller:
            remember_in_background(ctx, caller, decision.language.code)

        if not status.open:
            decision.stage = "message_subject"
            decision.request_type = await message_subject_menu(
                channel, callcenter, replay_closed=decision.language is not preselected
            )
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


def remember_in_background(ctx: FlowContext, caller: str, code: str) -> None:
    """Remember the caller's language without holding the call: a key typed ahead must not wait for the API."""
    background.spawn(remember_language(ctx, caller, code))


async def remember_language(ctx: FlowContext, caller: str, code: str) -> None:
    try:
        async with asyncio.timeout(MEMORY_TIMEOUT_S):
            await ctx.language_memory.remember(caller, code)
    except Exception:  # remembering is best effort; the call goes on
        log.warning("could not remember the caller's language", exc_info=True)


async def publish(channel: Channel, ctx: FlowContext, decision: Decision) -> None:
    """Hand the decision to the dialplan. Works on a dead channel too, so call_end sees where the caller left.
    One round trip: EXEC MSet of every non-empty value."""
    callcenter = ctx.callcenter
    language = decision.language or decision.preselected or callcenter.language(callcenter.default_language)
    values: dict[str, str] = {
        var.IVR_STARTED: decision.started, var.IVR_LANG: language.code, var.IVR_STAGE: decision.stage
    }
    if decision.closed_reason:
        values[var.IVR_CLOSED] = decision.closed_reason
    if decision.route is not None:
        values[var.IVR_ROUTE] = decision.route.value
    if decision.route is Route.QUEUE:
        values[var.IVR_QUEUE] = language.queue
        values[var.IVR_QUEUE_TIMEOUT] = str(callcenter.queue.timeout_s)
        values[var.IVR_REFERENCE] = decision.reference
    if decision.route is not None:  # the voicemail flow opens the request with this type
        values[var.IVR_REQUEST_TYPE] = decision.request_type.digit if decision.request_type else ""
    try:
        # An empty value is what an unset variable reads as already (a fresh channel); the rest in one MSet.
        await channel.set_variables({name: value for name, value in values.items() if value})
    except (ChannelHungUp, ChannelError, ConnectionError):
        log.warning("could not hand the decision to the dialplan (session gone)", exc_info=True)

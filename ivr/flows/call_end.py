"""call_end: run from the hangup handler; turns what the call left on the channel into one call record.

Rules:
- Only reads channel variables (allowed on a dead channel) and writes the record to the durable outbox; it never
  talks to the API itself, so an API outage cannot slow or lose anything.
- The outcome is a pure function of those variables (`classify`), tested on its own.
- Whatever fails, a record is still spooled: missing pieces stay empty, the outcome falls back to `failed`.
- One AGI session with no command in it: the hangup handler hands every variable of `READ` over as an AGI
  argument (`ARGUMENTS_TAG` first, then each value URI-encoded by URIENCODE, so commas and control characters
  travel; an empty value stays empty, without the warning BASE64_ENCODE would log),
  which Asterisk sends in the AGI environment. A dialplan that passes no such arguments (an older one) still
  works: the variables are then read one GET VARIABLE each.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from callcenter.languages import normalize_caller
from callcenter.logs import bind
from callcenter.records import (
    CallRecord,
    Outcome,
    Route,
    clamp_instant,
    clamp_seconds,
    is_instant,
    version_at,
)
from ivr import variables as var
from ivr.channel import Channel, ChannelError, ChannelHungUp
from ivr.flows.context import FlowContext

log = logging.getLogger(__name__)

READ = (
    var.LINKEDID,
    var.IVR_STARTED,
    var.IVR_LANG,
    var.IVR_ROUTE,
    var.IVR_QUEUE,
    var.IVR_QUEUE_JOINED,
    var.IVR_QUEUE_LEFT,
    var.IVR_REQUEST_TYPE,
    var.IVR_REFERENCE,
    var.IVR_CLOSED,
    var.IVR_STAGE,
    var.IVR_VOICEMAIL,
    var.IVR_ERROR,
    var.IVR_SURVEY,
    var.QUEUESTATUS,
    var.MEMBERINTERFACE,
    var.QEHOLDTIME,
    var.HANGUPCAUSE,
    var.EPOCH,
    var.IVR_ANSWERED,  # appended last: a dialplan without it still parses
)


ARGUMENTS_TAG = "vars1"  # the first AGI argument when the others are READ's values, in READ's order
_URI_ENCODED = re.compile(r"^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})*$")  # what URIENCODE (ast_uri_http) writes


def from_arguments(arguments: Sequence[str]) -> dict[str, str] | None:
    """The non-empty values the hangup handler passed as AGI arguments (see the rules); None when the arguments
    are not that (no tag, more values than READ, one not URI-encoded): the variables must then be read."""
    if not arguments or arguments[0] != ARGUMENTS_TAG or len(arguments) > len(READ) + 1:
        return None
    values: dict[str, str] = {}
    for name, encoded in zip(READ, arguments[1:], strict=False):  # Asterisk may leave trailing empty ones out
        if not _URI_ENCODED.match(encoded):
            return None
        if encoded:
            values[name] = unquote(encoded, errors="replace")
    return values


def classify(values: Mapping[str, str]) -> Outcome:
    """What happened to the call, from the variables the flows and Asterisk left on it."""
    if values.get(var.IVR_VOICEMAIL):
        return Outcome.VOICEMAIL
    if values.get(var.IVR_CLOSED):
        return Outcome.AFTER_HOURS
    route = values.get(var.IVR_ROUTE, "")
    if route == Route.CALLBACK:
        return Outcome.CALLBACK
    if route == Route.QUEUE:
        return Outcome.ANSWERED if values.get(var.MEMBERINTERFACE) else Outcome.ABANDONED_QUEUE
    if values.get(var.IVR_ERROR):
        return Outcome.FAILED
    if route == "":
        return Outcome.ABANDONED_IVR
    return Outcome.FAILED if route == Route.VOICEMAIL else Outcome.ABANDONED_IVR


def _epoch(value: str | None) -> datetime | None:
    """An ${EPOCH} value as an instant the record accepts (a broken clock's year 1 or 9999 is dropped)."""
    try:
        instant = datetime.fromtimestamp(float(value), tz=UTC) if value else None
    except (ValueError, OverflowError, OSError):
        return None
    return instant if is_instant(instant) else None


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and number >= 0 else None


def _is_small_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 2


def _rating(text: str) -> int | None:
    return int(text) if text in {"1", "2", "3", "4", "5"} else None


def build_record(values: Mapping[str, str], *, caller_number: str, caller_name: str, dialed_number: str,
                 unique_id: str, now: datetime) -> CallRecord:
    """A call record from the channel's variables; never raises on odd values."""
    outcome = classify(values)
    version = version_at(now)  # before clamping: a later build must carry a higher version whatever the clock says
    now = clamp_instant(now)  # even a broken host clock must not cost the call its record
    # IVR_STARTED comes with the flow's last MSet; if the flow never got there (its agi server died), the
    # dialplan's own answer time.
    started = _epoch(values.get(var.IVR_STARTED)) or _epoch(values.get(var.IVR_ANSWERED)) or now
    # Durations come from Asterisk's own clock (IVR_QUEUE_JOINED/LEFT and EPOCH are all ${EPOCH}), so they stay
    # right when the agi server runs on another host or with a shifted clock (--at). Time after Queue() returned
    # (voicemail, survey) is neither waiting nor talking.
    joined = _number(values.get(var.IVR_QUEUE_JOINED))
    left = _number(values.get(var.IVR_QUEUE_LEFT)) or _number(values.get(var.EPOCH))
    in_queue = max(0.0, left - joined) if joined is not None and left is not None else None
    wait = _number(values.get(var.QEHOLDTIME))
    answered_at = None
    talk = None
    if outcome is Outcome.ANSWERED and in_queue is not None:
        wait = min(wait, in_queue) if wait is not None else 0.0
        talk = max(0.0, in_queue - wait)
        answered_at = clamp_instant(now - timedelta(seconds=clamp_seconds(talk) or 0.0))
    elif outcome in (Outcome.ABANDONED_QUEUE, Outcome.VOICEMAIL) and in_queue is not None and wait is None:
        wait = max(0.0, in_queue)
    request_type = values.get(var.IVR_REQUEST_TYPE, "")
    linkedid = "".join(c for c in values.get(var.LINKEDID) or unique_id if c.isascii() and (c.isalnum() or c in "._-"))
    return CallRecord(
        linkedid=linkedid[:64] or "unknown",
        caller_number=caller_number,
        caller_name=caller_name[:256],
        dialed_number=dialed_number[:64],
        started_at=started,
        answered_at=answered_at,
        ended_at=now,
        language=values.get(var.IVR_LANG) or None,
        route=Route(values[var.IVR_ROUTE]) if values.get(var.IVR_ROUTE) in set(Route) else None,
        request_type=int(request_type) if _is_small_number(request_type) else None,
        reference=values.get(var.IVR_REFERENCE) or None,
        queue=values.get(var.IVR_QUEUE) or None,
        wait_seconds=clamp_seconds(wait),
        agent=values.get(var.MEMBERINTERFACE) or None,
        talk_seconds=clamp_seconds(talk),
        outcome=outcome,
        hangup_cause=values.get(var.HANGUPCAUSE) if values.get(var.HANGUPCAUSE, "0") != "0" else None,
        voicemail_path=values.get(var.IVR_VOICEMAIL) or None,
        survey_rating=_rating(values.get(var.IVR_SURVEY, "")),
        stage=_stage(values.get(var.IVR_STAGE, "")),
        version=version,
    )


def _stage(value: str) -> str | None:
    """IVR_STAGE as the flow wrote it; anything else (a dialplan typo, a hostile Set) is dropped, not stored."""
    return value if 0 < len(value) <= 32 and value.isascii() and all(c.islower() or c == "_" for c in value) else None


async def read_variables(channel: Channel) -> dict[str, str]:
    """READ's non-empty values, one GET VARIABLE each (a dialplan that passes no arguments)."""
    values: dict[str, str] = {}
    try:
        for name in READ:
            value = await channel.get_variable(name)
            if value:
                values[name] = value
    except (ChannelHungUp, ChannelError, ConnectionError):
        log.warning("call_end could only read %d variables", len(values), exc_info=True)
        values.setdefault(var.IVR_ERROR, "call_end")
    return values


async def run(channel: Channel, ctx: FlowContext) -> None:
    info = channel.info
    passed = from_arguments(info.arguments)
    values = passed if passed is not None else await read_variables(channel)
    if passed is not None and passed.get(var.LINKEDID):
        bind(linkedid=passed[var.LINKEDID])  # as AgiChannel.get_variable does: this call's log lines carry it
    record = build_record(
        values,
        caller_number=normalize_caller(info.caller_number),
        caller_name=info.caller_name,
        dialed_number=normalize_caller(info.dialed_number) or info.extension[:64],
        unique_id=info.unique_id,
        now=ctx.clock(),
    )
    await ctx.outbox.put(record)
    log.info("call %s ended: %s", record.linkedid, record.outcome)

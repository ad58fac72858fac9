"""What happens to a callback after a dial attempt, and how one lost in flight is recovered: pure decisions for
api/crud/callbacks.py and the dialer in api/ami/service.py.

Rules:
- An attempt ends answered (done), or not: pending again after a delay that doubles with each attempt
  (`retry_delay`: a caller who did not pick up is not rung again seconds later), or failed after
  `max_attempts`.
- The agent's seat is originated with a channel id of our own (`channel_id`: the callback, its attempt and the
  instant it was claimed, so no other database's callback of the same id ever shares it), so the dialer can ask
  Asterisk whether an attempt is still on the line (CoreShowChannels), and the dialplan's `h` step files the
  attempt's DIALSTATUS in AstDB under that id (family `ivr-callback`) before its UserEvent.
- A callback "dialing" for longer than the grace period whose channel is gone was lost in flight (the API
  restarted, the AMI link or Asterisk dropped, the UserEvent never arrived): it is settled from the status
  Asterisk filed if there is one, else counted as not answered. Either way through the same conditional update
  as a UserEvent (status still "dialing" and the same attempt), so it is finished or re-queued exactly once,
  however many API processes look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ASTDB_FAMILY = "ivr-callback"
CHANNEL_PREFIX = "ivr-callback-"
RETRY_BASE = timedelta(seconds=60)
RETRY_MAX = timedelta(minutes=15)
DIAL_GRACE = timedelta(seconds=15)  # from claim to the agent's channel existing (Originate is asynchronous)


def channel_id(callback_id: int, attempt: int, claimed_at: datetime) -> str:
    """The uniqueid given to the agent's channel of one attempt (Originate's ChannelId)."""
    return f"{CHANNEL_PREFIX}{callback_id}-{attempt}-{claimed_at.timestamp() * 1_000_000:.0f}"


def attempt_of(uniqueid: str) -> tuple[int, int] | None:
    """(callback id, attempt) of a channel id made by `channel_id`; None for any other channel."""
    parts = uniqueid.removeprefix(CHANNEL_PREFIX).split("-") if uniqueid.startswith(CHANNEL_PREFIX) else []
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    return int(parts[0]), int(parts[1])


def retry_delay(attempts: int) -> timedelta:
    """How long a callback waits after its `attempts`-th unanswered attempt."""
    return min(RETRY_MAX, RETRY_BASE * (1 << min(max(attempts - 1, 0), 20)))


@dataclass(frozen=True)
class AfterAttempt:
    status: str  # done | pending | failed
    retry_at: datetime | None  # pending: not dialed again before this


def after_attempt(*, answered: bool, attempts: int, max_attempts: int, now: datetime) -> AfterAttempt:
    if answered:
        return AfterAttempt("done", None)
    if attempts >= max_attempts:
        return AfterAttempt("failed", None)
    return AfterAttempt("pending", now + retry_delay(attempts))


@dataclass(frozen=True)
class Dialing:
    """A callback the database says is being dialed."""

    callback_id: int
    attempts: int
    since: datetime  # when it was claimed (updated_at), part of its channel id


def lost_in_flight(dialing: list[Dialing], *, live_channels: set[str], now: datetime) -> list[Dialing]:
    """The attempts past the grace period with no channel left in Asterisk."""
    return [
        item
        for item in dialing
        if now - item.since > DIAL_GRACE
        and channel_id(item.callback_id, item.attempts, item.since) not in live_channels
    ]


def answered_by_status(dial_status: str | None) -> bool:
    """Asterisk's filed DIALSTATUS (None: nothing filed, the call died first) as answered or not."""
    return dial_status == "ANSWER"

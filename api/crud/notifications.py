"""Staff asking a given-up citizen notification again (api.channels.notify sends it), keyword-only.

Rules:
- Only a notification the worker gave up is asked again (`NotGivenUpError` otherwise: one pending, failing or
  sent is already in hand or done); one left failed with no next try before migration 0021 counts as given up.
  The row is claimed FOR UPDATE: two staff asking at once put it back once, the second is told it is no longer
  given up.
- Asked again, it is pending and due at once, its tries counted afresh (the backoff starts over at 1 minute) and
  its 48 hours counted from now (`requeued_at`); who asked is kept beside (`requeued_by`). The text, recipient,
  Message-ID or SMS reference and first queueing time stay: the citizen gets the message that was meant.
- The caller commits (the route's audit entry lands in the same transaction).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.models import CitizenNotification
from api.channels.notify_desk import gave_up


class UnknownNotificationError(LookupError):
    """No such notification on this request."""


OUTCOME_WORDS = {"pending": "waiting for its next try", "failed": "failing, and tried again by itself",
                 "sent": "already sent"}  # fmt: skip


class NotGivenUpError(Exception):
    """The notification is pending, failing (tried again by itself) or sent."""

    def __init__(self, outcome: str) -> None:
        words = OUTCOME_WORDS.get(outcome, outcome)
        super().__init__(f"this notification is {words}: only a given-up one is sent again")
        self.outcome = outcome


async def requeue(
    session: AsyncSession, *, request_id: int, notification_id: int, actor: str, now: datetime
) -> CitizenNotification:
    """Put the given-up notification `notification_id` of request `request_id` back in the queue (not committed)."""
    row = await session.scalar(
        select(CitizenNotification)
        .where(CitizenNotification.id == notification_id, CitizenNotification.request_id == request_id)
        .with_for_update()
    )
    if row is None:
        raise UnknownNotificationError(f"request has no notification {notification_id}")
    if not gave_up(row):
        raise NotGivenUpError(row.outcome)
    row.outcome, row.attempts, row.next_try_at = "pending", 0, now
    row.requeued_at, row.requeued_by = now, actor[:128]
    await session.flush()
    return row

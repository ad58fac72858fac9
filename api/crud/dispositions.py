"""Dispositions in PostgreSQL: keyword-only functions, each given its session and the current time.

Rules:
- One disposition per call (linkedid) per seat: the unique index decides; a second one raises
  `DuplicateDispositionError` (the route answers 409), it never overwrites the first. A correction is a note on
  the request, or a word to the supervisor: what the agent said at the time stays as it was said.
- The request a disposition opens is the call's disposition request (origin "disposition:<linkedid>"), so a
  retry after a lost reply, or a second seat on the same call, finds the same request, never a second one. Its
  deadline is counted from now by the type's rules (api.request_rules.due_at).
- The request is opened (and committed) before the disposition row is written: if writing the row fails, a
  retry finds the request again; a disposition never points at a request that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.requests import open_from_disposition
from api.models import DispositionRow, RequestRow
from api.request_config import RequestConfig
from api.schemas.desk import CallDispositionCreate
from api.schemas.requests import DispositionCreate


class DuplicateDispositionError(Exception):
    """This seat already closed this call."""


async def find_disposition(session: AsyncSession, *, linkedid: str, seat: str) -> DispositionRow | None:
    query = select(DispositionRow).where(DispositionRow.linkedid == linkedid, DispositionRow.seat == seat)
    return await session.scalar(query)


async def record_disposition(
    session: AsyncSession,
    *,
    config: RequestConfig,
    disposition_in: CallDispositionCreate,
    seat: str,
    actor: str,
    now: datetime,
) -> tuple[DispositionRow, RequestRow | None]:
    """Store the disposition (and open its request when asked); DuplicateDispositionError if the seat did."""
    if await find_disposition(session, linkedid=disposition_in.linkedid, seat=seat) is not None:
        raise DuplicateDispositionError(f"{seat} already closed call {disposition_in.linkedid}")
    opened: RequestRow | None = None
    if disposition_in.request is not None:
        note = disposition_in.note.strip()
        description = disposition_in.request.description + (f"\n\n{note}" if note else "")
        opened = await open_from_disposition(
            session,
            config=config,
            disposition_in=DispositionCreate(
                linkedid=disposition_in.linkedid,
                request_type=disposition_in.request.request_type,
                description=description[:4000],
                caller_number=disposition_in.caller_number,
                language=disposition_in.language,
            ),
            created_by=actor,
            now=now,
        )
    values = disposition_in.model_dump(exclude={"request"}) | {
        "seat": seat,
        "request_id": opened.id if opened is not None else None,
        "created_by": actor,
        "created_at": now,
    }
    inserted = await session.scalar(
        insert(DispositionRow).values(values).on_conflict_do_nothing().returning(DispositionRow.id)
    )
    await session.commit()
    if inserted is None:  # another request of the same seat won the race
        raise DuplicateDispositionError(f"{seat} already closed call {disposition_in.linkedid}")
    row = await session.get(DispositionRow, inserted)
    assert row is not None
    return row, opened


async def dispositions_of(session: AsyncSession, *, seat: str, linkedids: Sequence[str]) -> dict[str, DispositionRow]:
    """The seat's dispositions of these calls, by linkedid."""
    if not linkedids:
        return {}
    query = select(DispositionRow).where(DispositionRow.seat == seat, DispositionRow.linkedid.in_(list(linkedids)))
    return {row.linkedid: row for row in (await session.scalars(query)).all()}

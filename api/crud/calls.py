"""Calls and remembered caller languages in PostgreSQL: keyword-only functions, each given its session and the
current time by the caller.

Rules:
- A call is one row per linkedid. Posting it again merges: fields the new post leaves empty (None, or "" for
  the text fields that default to "") keep their stored value, others take the new value; started_at keeps the
  earliest instant; `deliveries` counts the posts. One INSERT ... ON CONFLICT DO UPDATE per batch, so
  concurrent posts of the same call from several agi processes cannot create two rows.
- Only the newest version of a call is kept (callcenter.records, "Versions"): a post whose version is lower than
  the stored one changes nothing, not even `deliveries` (the conflict's WHERE, decided by PostgreSQL under the
  row lock, so two senders racing cannot let the older one win). It is still answered 200, its item marked
  `stale`: the sender's work is done, since a newer version is stored; a 409 would make every agi process treat
  a normal late replay as an error. The same version again is a replay and merges as above.
- A caller's remembered language comes from the newest call (by started_at) that had a language; a late replay
  of an older call does not overwrite it.
- Listing is ordered by (started_at, id) descending; the cursor is that pair of the last row, so pages stay
  stable while new calls arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, literal, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Call, CallerLanguage
from api.schemas.calls import CallCreate, StoredCall
from callcenter.records import Outcome, is_instant

# Only real numbers are remembered: "anonymous", "unknown" or an empty caller ID would share one language.
REMEMBERABLE_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_TEXT_DEFAULTS = ("caller_number", "caller_name", "dialed_number")
_EMPTY: ColumnElement[str] = literal_column("''")
_ONE: ColumnElement[int] = literal_column("1")
_CALLS = cast(Table, Call.__table__)
_CALLER_LANGUAGES = cast(Table, CallerLanguage.__table__)
_NULLABLE = (
    "answered_at",
    "ended_at",
    "language",
    "route",
    "request_type",
    "reference",
    "queue",
    "wait_seconds",
    "agent",
    "talk_seconds",
    "hangup_cause",
    "voicemail_path",
    "survey_rating",
    "stage",
)


def _row(record: CallCreate, now: datetime) -> dict[str, Any]:
    row = record.model_dump(mode="python")
    for key in ("route", "outcome"):
        if row[key] is not None:
            row[key] = str(row[key].value)
    row.update(received_at=now, updated_at=now, deliveries=1)
    return row


async def upsert_calls(session: AsyncSession, *, records: Sequence[CallCreate], now: datetime) -> list[StoredCall]:
    if not records:
        return []
    # The same linkedid twice in one statement is an error in PostgreSQL (a row cannot be updated twice by one
    # INSERT ... ON CONFLICT); the highest version of the batch wins, the later one among equals, as it would
    # over two requests.
    latest: dict[str, CallCreate] = {}
    for record in records:
        known = latest.get(record.linkedid)
        if known is None or record.version >= known.version:
            latest[record.linkedid] = record
    # One cached statement executed over the rows (SQLAlchemy's insertmanyvalues), not a VALUES list built per
    # request: compiling 500 rows of bind parameters cost about 1 ms of CPU per record (benchmarks/ingest.py).
    # The SET clause holds no bound parameter (_EMPTY, _ONE are SQL literals): with one, SQLAlchemy would send
    # an upsert with RETURNING one row per round trip (sqlalchemy issue #13130).
    # The Table, not the mapped class: the ORM's bulk insert would group rows by which fields are None.
    statement = insert(_CALLS)
    new = statement.excluded
    merge: dict[str, Any] = {
        name: func.coalesce(func.nullif(new[name], _EMPTY), Call.__table__.c[name]) for name in _TEXT_DEFAULTS
    }
    merge |= {name: func.coalesce(new[name], Call.__table__.c[name]) for name in _NULLABLE}
    merge |= {
        "started_at": func.least(Call.started_at, new.started_at),
        "outcome": new.outcome,
        "updated_at": new.updated_at,
        "deliveries": Call.deliveries + _ONE,
        "version": new.version,
    }
    statement = statement.on_conflict_do_update(
        index_elements=[Call.linkedid], set_=merge, where=Call.version <= new.version
    )
    result = await session.execute(
        statement.returning(Call.id, Call.linkedid), [_row(record, now) for record in latest.values()]
    )
    # RETURNING order is not the rows' order across insertmanyvalues batches; answer in the order posted.
    # (sort_by_parameter_order=True would make SQLAlchemy send one row per round trip: no sentinel column.)
    position = {linkedid: index for index, linkedid in enumerate(latest)}
    ids = {row.linkedid: row.id for row in result}
    stale = [linkedid for linkedid in latest if linkedid not in ids]  # a newer version is stored: no row returned
    if stale:
        found = await session.execute(select(Call.linkedid, Call.id).where(Call.linkedid.in_(stale)))
        ids |= {row.linkedid: row.id for row in found}
    stored = [
        StoredCall(id=ids[linkedid], linkedid=linkedid, stale=linkedid in stale)
        for linkedid in sorted(ids, key=position.__getitem__)
    ]
    await _remember_languages(session, records=[r for r in latest.values() if r.linkedid not in stale], now=now)
    await session.commit()
    return stored


async def _remember_languages(session: AsyncSession, *, records: Sequence[CallCreate], now: datetime) -> None:
    newest: dict[str, CallCreate] = {}
    for record in records:
        if record.language and REMEMBERABLE_NUMBER.match(record.caller_number):
            known = newest.get(record.caller_number)
            if known is None or record.started_at >= known.started_at:
                newest[record.caller_number] = record
    if not newest:
        return
    statement = insert(_CALLER_LANGUAGES)
    statement = statement.on_conflict_do_update(
        index_elements=[CallerLanguage.caller_number],
        set_={
            "language": statement.excluded.language,
            "call_started_at": statement.excluded.call_started_at,
            "updated_at": statement.excluded.updated_at,
        },
        where=CallerLanguage.call_started_at <= statement.excluded.call_started_at,
    )
    rows = [
        {"caller_number": number, "language": record.language, "call_started_at": record.started_at, "updated_at": now}
        for number, record in newest.items()
    ]
    await session.execute(statement, rows)


async def get_call(session: AsyncSession, *, key: str) -> Call | None:
    """By numeric id, or by linkedid (linkedids look like "1700000000.42", never like a bare integer id)."""
    if key.isdigit() and len(key) < 19:
        found = await session.get(Call, int(key))
        if found is not None:
            return found
    return await session.scalar(select(Call).where(Call.linkedid == key))


async def caller_language(session: AsyncSession, *, number: str) -> CallerLanguage | None:
    return await session.get(CallerLanguage, number)


async def latest_calls_from(session: AsyncSession, *, caller_number: str, limit: int = 5) -> list[Call]:
    """The caller's most recent calls, newest first (the agent's screen shows them during a call)."""
    query = select(Call).where(Call.caller_number == caller_number).order_by(Call.started_at.desc()).limit(limit)
    return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class CallFilters:
    period_from: datetime | None = None
    period_to: datetime | None = None
    language: str | None = None
    queue: str | None = None
    outcome: Outcome | None = None
    caller: str | None = None
    agents: tuple[str, ...] | None = None  # only calls answered by one of these (api.security.access); None: all

    def where(self) -> list[ColumnElement[bool]]:
        conditions = in_period(Call.started_at, self.period_from, self.period_to) + matching(
            (Call.language, self.language),
            (Call.queue, self.queue),
            (Call.outcome, self.outcome.value if self.outcome is not None else None),
            (Call.caller_number, self.caller),
        )
        if self.agents is not None:
            conditions.append(Call.agent.in_(self.agents))
        return conditions


def in_period(column: Any, period_from: datetime | None, period_to: datetime | None) -> list[ColumnElement[bool]]:
    """`period_from <= column < period_to`, each bound only when given."""
    conditions: list[ColumnElement[bool]] = []
    if period_from is not None:
        conditions.append(column >= period_from)
    if period_to is not None:
        conditions.append(column < period_to)
    return conditions


def matching(*filters: tuple[Any, object | None]) -> list[ColumnElement[bool]]:
    """`column == value` for every (column, value) whose value was given (None means not filtered)."""
    return [column == value for column, value in filters if value is not None]


def encode_cursor(call: Call) -> str:
    raw = json.dumps([call.started_at.isoformat(), call.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Raises ValueError on anything that is not a cursor we made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        started_at, call_id = json.loads(raw.decode("utf-8"))
        instant = datetime.fromisoformat(started_at)
    except (binascii.Error, ValueError, TypeError) as error:
        raise ValueError("not a valid cursor") from error
    # bool is an int to Python; an id past bigint or an instant out of range would overflow the driver
    if type(call_id) is not int or not 0 < call_id < 2**63 or not is_instant(instant):
        raise ValueError("not a valid cursor")
    return instant, call_id


async def list_calls(
    session: AsyncSession, *, filters: CallFilters, cursor: str | None, limit: int
) -> tuple[list[Call], str | None]:
    query = select(Call).where(*filters.where())
    if cursor is not None:
        after_started_at, after_id = decode_cursor(cursor)
        query = query.where(tuple_(Call.started_at, Call.id) < tuple_(literal(after_started_at), literal(after_id)))
    query = query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit + 1)
    calls = list((await session.scalars(query)).all())
    if len(calls) <= limit:
        return calls, None
    return calls[:limit], encode_cursor(calls[limit - 1])

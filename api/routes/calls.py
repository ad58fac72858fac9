"""Call records: written by the agi service, read by agents, supervisors and admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import Discriminator, Tag

from api.crud import calls, requests
from api.deps import AgiWriterDep, NowDep, RequestConfigDep, SessionDep, SettingsDep, StaffDep, require_offsets
from api.schemas.calls import CallCreate, CallPage, CallPublic, CallsStored
from callcenter.records import Instant, Outcome

router = APIRouter(prefix="/calls", tags=["calls"])


def _one_or_many(value: Any) -> str:
    return "batch" if isinstance(value, list) else "record"


# One record or a list: a tagged union, so a 422 names the one shape the body had (body.batch.3.outcome).
CallsBody = Annotated[
    Annotated[CallCreate, Tag("record")] | Annotated[list[CallCreate], Tag("batch")],
    Discriminator(_one_or_many),
]


@router.post("")
async def post_calls(
    body: Annotated[CallsBody, Body()],
    principal: AgiWriterDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    config: RequestConfigDep,
) -> CallsStored:
    """Store one call record or a batch; a linkedid again merges into its record unless older (then `stale`)."""
    records = body if isinstance(body, list) else [body]
    if len(records) > settings.max_batch:
        raise RequestValidationError(
            [
                {
                    "type": "too_long",
                    "loc": ("body", "batch"),
                    "msg": f"at most {settings.max_batch} records per request",
                    "input": None,
                }
            ]
        )
    stored = await calls.upsert_calls(session, records=records, now=now)
    # A message left by a caller becomes a request (idempotent on the linkedid, so replays are harmless).
    await requests.open_for_voicemail_records(session, config=config, records=records, actor="agi", now=now)
    return CallsStored(count=len(stored), items=stored)


@router.get("")
async def list_calls(
    principal: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    period_from: Annotated[Instant | None, Query(alias="from", description="started at or after")] = None,
    period_to: Annotated[Instant | None, Query(alias="to", description="started before")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Outcome | None = None,
    caller: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
) -> CallPage:
    """Calls, newest first, filtered; follow next_cursor for the next page."""
    require_offsets(**{"from": period_from, "to": period_to})
    filters = calls.CallFilters(
        period_from=period_from,
        period_to=period_to,
        language=language,
        queue=queue,
        outcome=outcome,
        caller=caller,
    )
    try:
        found, next_cursor = await calls.list_calls(
            session, filters=filters, cursor=cursor, limit=min(limit, settings.max_page_size)
        )
    except ValueError as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error), "input": cursor}]
        ) from error
    return CallPage(items=[CallPublic.model_validate(call) for call in found], next_cursor=next_cursor)


@router.get("/{key}")
async def get_call(key: str, principal: StaffDep, session: SessionDep) -> CallPublic:
    """One call, by its id or its linkedid."""
    call = await calls.get_call(session, key=key)
    if call is None:
        raise HTTPException(404, "no such call")
    return CallPublic.model_validate(call)

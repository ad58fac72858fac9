"""Call records: written by the agi service; read by supervisors and admins, and by agents for the calls they
answered (api.security.access); every read is audited (api.security.audit)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import Discriminator, Tag

from api.crud import calls, requests
from api.deps import AgiWriterDep, NowDep, RequestConfigDep, SessionDep, SettingsDep, StaffDep, require_offsets
from api.schemas.audit import AuditAction
from api.schemas.calls import CallCreate, CallPage, CallPublic, CallsStored
from api.security.access import call_agents, sees_call
from api.security.audit import AuditDep
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
    audit: AuditDep,
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
        agents=call_agents(principal),
    )
    try:
        found, next_cursor = await calls.list_calls(
            session, filters=filters, cursor=cursor, limit=min(limit, settings.max_page_size)
        )
    except ValueError as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error), "input": cursor}]
        ) from error
    await audit(AuditAction.LIST_CALLS, caller and f"caller:{caller}", _listed(filters, len(found)))
    return CallPage(items=[CallPublic.model_validate(call) for call in found], next_cursor=next_cursor)


@router.get("/{key}")
async def get_call(key: str, principal: StaffDep, session: SessionDep, audit: AuditDep) -> CallPublic:
    """One call, by its id or its linkedid (for an agent: only one their seat answered)."""
    call = await calls.get_call(session, key=key)
    if call is None or not sees_call(principal, call.agent):
        raise HTTPException(404, "no such call")
    await audit(AuditAction.READ_CALL, f"call:{call.id}", f"linkedid={call.linkedid}")
    return CallPublic.model_validate(call)


def _listed(filters: calls.CallFilters, count: int) -> str:
    """An audit detail: the filters given and how many rows went out."""
    given = {
        "from": filters.period_from,
        "to": filters.period_to,
        "language": filters.language,
        "queue": filters.queue,
        "outcome": filters.outcome,
    }
    shown = " ".join(f"{name}={value}" for name, value in given.items() if value is not None)
    return f"{shown} rows={count}".strip()

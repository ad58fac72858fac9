"""Who sees which personal data: the least-privilege rules, as pure functions of a Principal.

Rules:
- Supervisors and admins see everything. The agi service reaches no personal data beyond its own routes.
- An agent sees:
  - the calls their seat answered: `calls.agent` is the queue member's interface (call_end stores
    MEMBERINTERFACE, PJSIP/<seat>), in GET /calls and GET /calls/{key};
  - the context of the call they are on now: the caller card of GET /agents/{seat} (number, IVR variables,
    previous calls), which exists only while Asterisk has their seat connected to that caller;
  - the requests of their queues, and the requests they opened themselves. A request belongs to the queue of
    its language (the call-center file maps each language to one queue, as the IVR routes its call). The
    agent's queues are those their seat is a member of now in Asterisk's queue state (QueueStatus and member
    events): membership decides which calls a seat is offered. While the AMI link is down or not configured,
    membership is unknown and the languages the seat last logged in with through the API stand in for it
    (api.crud.agent_skills; logging out forgets them); with neither, the agent sees only the requests they
    opened: the rule fails closed, never open.
  - waiting callers and connected callers on the live state with masked numbers (the last 3 digits): enough
    to tell two callers apart on the wallboard, not enough to identify anyone.
- A call or request outside an agent's view answers 404, exactly as one that does not exist: no oracle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from api.security.tokens import Principal, Role

MASK = "•••"
VISIBLE_DIGITS = 3


def sees_everything(principal: Principal) -> bool:
    return principal.role in (Role.SUPERVISOR, Role.ADMIN)


def seat_interfaces(seat: str) -> tuple[str, ...]:
    """How a seat appears as `calls.agent`: its PJSIP interface (and the bare name, for records that carry it)."""
    return (f"PJSIP/{seat}", seat)


def call_agents(principal: Principal) -> tuple[str, ...] | None:
    """None: every call; otherwise only calls whose `agent` is one of these (none at all for a seat-less agent)."""
    if sees_everything(principal):
        return None
    return seat_interfaces(principal.seat) if principal.seat else ()


def sees_call(principal: Principal, agent: str | None) -> bool:
    allowed = call_agents(principal)
    return allowed is None or (agent is not None and agent in allowed)


@dataclass(frozen=True)
class RequestScope:
    """The requests an agent sees: those in these languages (the languages of their queues), or opened by them."""

    languages: frozenset[str]
    creator: str

    def admits(self, *, language: str | None, created_by: str) -> bool:
        return created_by == self.creator or (language is not None and language in self.languages)


def request_scope(
    principal: Principal,
    *,
    member_queues: Iterable[str] | None,
    queues_by_language: Mapping[str, str],
    skill_languages: Iterable[str] = (),
) -> RequestScope | None:
    """None: every request. `member_queues` None means membership is unknown (no AMI link): then the languages
    of the skills the seat last logged in with."""
    if sees_everything(principal):
        return None
    if member_queues is None:
        languages = frozenset(skill_languages)
    else:
        queues = set(member_queues)
        languages = frozenset(code for code, queue in queues_by_language.items() if queue in queues)
    return RequestScope(languages=languages, creator=principal.seat or principal.name)


def mask_number(number: str) -> str:
    """ "+33612345678" -> "•••678"; too short to mask partly, or empty: all masked (or empty)."""
    if not number:
        return ""
    return MASK + number[-VISIBLE_DIGITS:] if len(number) > VISIBLE_DIGITS + 2 else MASK


def masked_snapshot(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The live snapshot with every caller number masked (waiting callers and members' connected callers); the
    rest (positions, waits, states, counters) stays, so the wallboard keeps working for agents."""
    queues = [
        {
            **queue,
            "waiting": [{**caller, "number": mask_number(caller["number"])} for caller in queue["waiting"]],
            "members": [{**member, "caller": mask_number(member["caller"])} for member in queue["members"]],
        }
        for queue in snapshot["queues"]
    ]
    masked = {**snapshot, "queues": queues}
    if "agents" in snapshot:
        masked["agents"] = [{**agent, "caller": mask_number(agent["caller"])} for agent in snapshot["agents"]]
    return masked

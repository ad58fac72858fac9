"""Agent state re-applied to an Asterisk box: the queue actions that make a box's queues match PostgreSQL.

Rules:
- PostgreSQL holds what agents asked for (agent_skills: the languages a seat logged in with; agent_pauses: a seat
  paused and why); Asterisk's queue members are only a copy. After every AMI (re)connection, and so after a
  failover to the standby box (whose queues start empty), the missing members are added with their skill's
  penalty and paused seats are paused again. Nothing is removed: a member PostgreSQL does not know was added by
  someone else (a supervisor's CLI) and stays.
- `restore_actions` is pure: given the box's members (from the QueueStatus resync) and the stored rows, it returns
  the actions. `reapply` is the thin adapter the live service calls: read the rows, send the actions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.ami.client import AmiError, AmiLink
from api.ami.state import QueueState
from api.crud import agent_pauses, agent_skills

log = logging.getLogger(__name__)

SKILL_PENALTY = {"native": 0, "fluent": 1, "basic": 2}  # queues.conf: 0 native, 1 fluent, 2 can help


def interface(seat: str) -> str:
    return f"PJSIP/{seat}"


def restore_actions(
    *,
    queues: Mapping[str, QueueState],
    skills: Iterable[tuple[str, str, str]],
    pauses: Mapping[str, str],
    queues_by_language: Mapping[str, str],
) -> list[dict[str, str]]:
    """QueueAdd for each stored (seat, language, skill) missing from the box, then QueuePause for each stored
    pause the box does not have, in a stable order."""
    actions: list[dict[str, str]] = []
    for seat, language, skill in sorted(skills):
        queue = queues_by_language.get(language)
        if queue is None:
            continue  # a language no longer served: nothing to join
        state = queues.get(queue)
        if state is not None and interface(seat) in state.members:
            continue
        actions.append(
            {
                "Action": "QueueAdd",
                "Queue": queue,
                "Interface": interface(seat),
                "MemberName": seat,
                "Penalty": str(SKILL_PENALTY.get(skill, 2)),
            }
        )
    for seat, reason in sorted(pauses.items()):
        members = [queue.members.get(interface(seat)) for queue in queues.values()]
        if any(member is not None and member.paused for member in members):
            continue
        actions.append({"Action": "QueuePause", "Interface": interface(seat), "Paused": "true", "Reason": reason})
    return actions


async def reapply(
    link: AmiLink,
    sessions: async_sessionmaker[AsyncSession],
    *,
    queues: Mapping[str, QueueState],
    queues_by_language: Mapping[str, str],
) -> int:
    """Send the box just reached what PostgreSQL says it lacks; the number of actions sent. A database outage
    leaves the box as it is (logged); a refused action is logged and the others still go."""
    try:
        async with sessions() as session:
            skills = await agent_skills.all_skills(session)
            pauses = await agent_pauses.paused_seats(session)
    except Exception:
        log.exception("could not read agent state; the box keeps the queue members it has")
        return 0
    actions = restore_actions(queues=queues, skills=skills, pauses=pauses, queues_by_language=queues_by_language)
    for action in actions:
        try:
            await link.action(action, as_list=False)
        except AmiError as error:
            log.warning("could not re-apply %s %s: %s", action["Action"], action["Interface"], error)
    if actions:
        log.info("re-applied %d agent actions to %s", len(actions), link.serving)
    return len(actions)

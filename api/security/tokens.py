"""Bearer tokens with roles: secrets, hashes, roles and principals (stored by api.crud.tokens).

Rules:
- A token is 32 random bytes from `secrets` (256 bits), shown once at creation; only its SHA-256 is stored.
  A plain fast hash is enough here, unlike for passwords: with 256 bits of entropy there is no dictionary to
  try, so a slow KDF (bcrypt, argon2) would only slow every request down. It also lets us find the token by
  its hash with an index lookup instead of comparing secrets one by one.
- Demo tokens have known secrets. They are created only with IVR_DEMO=1; outside demo mode they are deleted at
  start and refused even if presented, so a demo secret can never open a real deployment.
- A token may expire (`expires_at`); its last use is kept to the minute (`last_used_at`), not written per request.
- An agent's token is named after its seat (api.routes.agents): its principal's seat is its name.
- No token, an unknown, revoked or expired one: 401. A valid token whose role may not do this: 403 (api.deps).
- One lookup (api.crud.tokens.principal_for_secret) serves HTTP and the live WebSocket alike.
- An agent's seat (`Principal.seat`) is the token's name: an agent token is named after its seat
  (`ivr token create --role agent --name agent1001`). Other roles have no seat.
- People use the pages with a password and a session cookie instead (api.security.sessions).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "ivr_"  # noqa: S105 (a prefix that makes leaked tokens greppable, not a secret)


class Role(enum.StrEnum):
    AGI = "agi"  # the agi service: post call records, read a caller's language; nothing else
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    # The complaint workflow (issue 17; api.security.complaints): they reach no call data.
    DESK = "desk"  # reception desk: triage and routing
    OFFICER = "officer"  # a department's member (head, secretary or agent per the [complaints] configuration)
    OFFICIAL = "official"  # director general, elected officials, the mayor: dashboards


# Known secrets, for the demo and tests only (see the rules above).
DEMO_TOKENS: dict[Role, str] = {role: f"ivr-demo-{role.value}-token" for role in Role}


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    seat: str | None = None


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


DEMO_HASHES = frozenset(hash_secret(secret) for secret in DEMO_TOKENS.values())

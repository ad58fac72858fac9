"""PostgreSQL tables (each created by a migration in api/migrations/versions/). Enumerations are stored as short
strings (not PostgreSQL enums) so a new outcome or role is a code change, not a migration that rewrites a type.

Rules enforced by PostgreSQL itself (triggers in migration 0003), so no code path can break them:
- An archived request (a complaint) keeps its content forever: only its workflow columns (status, answered_at,
  closed_at, updated_at) may change, and it cannot be deleted. A correction is a new request whose
  `corrects_id` names the original.
- A request's history (`request_events`) is append-only: rows are never updated or deleted.
- `call_hourly` is kept by triggers on `calls` (migration 0004); see api/crud/rollups.py.
- The audit log (`audit_log`, migration 0009) is append-only: no UPDATE or TRUNCATE ever, and DELETE only by
  the retention job in a transaction that says so (api/crud/retention.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Call(Base):
    """One call, keyed by Asterisk's linkedid (unique): posting the same call again merges into this row."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    caller_name: Mapped[str] = mapped_column(String(256), default="")
    dialed_number: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(16))
    route: Mapped[str | None] = mapped_column(String(16))
    request_type: Mapped[int | None] = mapped_column(SmallInteger)
    reference: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64))
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    agent: Mapped[str | None] = mapped_column(String(128))
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(32))
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    voicemail_path: Mapped[str | None] = mapped_column(String(512))
    survey_rating: Mapped[int | None] = mapped_column(SmallInteger)  # 1-5, migration 0003
    stage: Mapped[str | None] = mapped_column(String(32))  # where the caller was in the IVR, migration 0005
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # How many times this call was posted: 1 in the normal case; more means a sender replayed it.
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    # The newest version of the record posted (callcenter.records, "Versions"); 0: none given. Migration 0010.
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_calls_started_at_id", "started_at", "id"),
        Index("ix_calls_caller_number", "caller_number"),
    )


class CallerLanguage(Base):
    """The language a caller number last used, so a returning caller skips the language menu."""

    __tablename__ = "caller_languages"

    caller_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    # started_at of the call it was learnt from: an older call replayed late never overwrites a newer choice.
    call_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token: only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # migration 0007; None: never
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # to the minute (api.crud.tokens)


class StaffUser(Base):
    """A person who signs in to the pages (migration 0007): only an argon2 hash of the password is stored."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    seat: Mapped[str | None] = mapped_column(String(64))  # an agent's PJSIP endpoint; one active user per seat
    language: Mapped[str] = mapped_column(String(8))  # the pages' language: fr | ar | en
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # made by IVR_DEMO=1, deleted outside it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ux_staff_users_active_seat", "seat", unique=True, postgresql_where=text("NOT disabled")),
    )


class StaffSession(Base):
    """A signed-in browser (migration 0007): the SHA-256 of its cookie's secret, never the secret."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # absolute; idle is checked on use
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # signed out, or ended by an admin


class LoginFailure(Base):
    """Failed sign-ins per username and per client address in the current window (migration 0007), shared by
    every API process."""

    __tablename__ = "login_failures"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # user | address
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer)


class RequestRow(Base):
    """A request (ticket in other call centers): opened from a voicemail, a disposition or the portal."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    # What made it, once: "voicemail:<linkedid>", "disposition:<linkedid>"; a replay finds the same request.
    origin_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # voicemail | disposition | portal | correction
    request_type: Mapped[int] = mapped_column(SmallInteger)
    type_key: Mapped[str] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(64), default="")  # consular post / service tag for reports
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    contact: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    linkedid: Mapped[str | None] = mapped_column(String(64))
    voicemail_path: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("requests.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_requests_status_due_at", "status", "due_at"),
        Index("ix_requests_created_at", "created_at"),
        Index("ix_requests_linkedid", "linkedid"),
    )


class RequestEvent(Base):
    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))  # created | status | note | corrected
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")


class DispositionRow(Base):
    """How an agent closed a call (migration 0011): one per call (linkedid) per seat."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64))
    seat: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str | None] = mapped_column(String(16))
    request_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ux_dispositions_linkedid_seat", "linkedid", "seat", unique=True),
        Index("ix_dispositions_seat_created_at", "seat", "created_at"),
    )


# A callback is "open" while it still has to happen; one number may hold only one open callback.
OPEN_CALLBACK_STATUSES = ("pending", "dialing")
# The partial unique index's predicate, as literal SQL: ON CONFLICT finds the index only when its WHERE implies
# this predicate, which PostgreSQL cannot prove from bound parameters once it plans the prepared statement
# generically (after five executions on a connection): then every booking failed (500).
OPEN_CALLBACK_PREDICATE = text("status IN ('pending', 'dialing')")


class QueueEventRow(Base):
    """One AMI queue event as Asterisk sent it (payload), with the columns reports filter on."""

    __tablename__ = "queue_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64), default="")
    interface: Mapped[str] = mapped_column(String(128), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (Index("ix_queue_events_event_at", "event_at"),)


class CallbackRow(Base):
    """A caller who asked to be called back instead of waiting, keeping their place in the queue."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16), default="")
    linkedid: Mapped[str] = mapped_column(String(64), default="")  # the call that booked it
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when the caller joined the queue
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    agent: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # pending after an unanswered attempt: not dialed again before this (api.ami.callback_rules). Migration 0010.
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ux_callbacks_open_number",
            "number",
            unique=True,
            postgresql_where=OPEN_CALLBACK_PREDICATE,
        ),
        Index("ix_callbacks_status_joined_at", "status", "joined_at"),
    )


ROLLUP_THRESHOLDS_S = (10, 15, 20, 30, 45, 60, 90, 120, 180, 300)  # as in migration 0004

call_hourly = Table(
    "call_hourly",
    Base.metadata,
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("queue", String(64), primary_key=True),
    Column("outcome", String(32), primary_key=True),
    Column("calls", BigInteger, nullable=False),
    Column("wait_sum", Numeric, nullable=False),
    Column("wait_count", BigInteger, nullable=False),
    Column("talk_sum", Numeric, nullable=False),
    Column("talk_count", BigInteger, nullable=False),
    *[Column(f"within_{threshold}s", BigInteger, nullable=False) for threshold in ROLLUP_THRESHOLDS_S],
)


class AuditEntry(Base):
    """Who read which personal data, when, from where (api.security.audit writes it; append-only)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(160))
    detail: Mapped[str] = mapped_column(Text, default="")
    client: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_audit_log_at_id", "at", "id"),
        Index("ix_audit_log_actor_at", "actor", "at"),
        Index("ix_audit_log_object_id", "object_id"),
    )


class AgentSkill(Base):
    """The language skills a seat last logged in with (migration 0009): which requests an agent sees while
    Asterisk's queue membership is unknown (api.security.access)."""

    __tablename__ = "agent_skills"

    seat: Mapped[str] = mapped_column(String(128), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    skill: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RateLimitRow(Base):
    """The recent hits of one rate-limited key (api.crud.rate_limits): shared by every API process."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "portal:203.0.113.7"
    hits: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)))  # allowed hits, oldest first
    allowed: Mapped[bool] = mapped_column(Boolean)  # whether the last hit was allowed
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # no hit of it counts after this

    __table_args__ = (Index("ix_rate_limits_expires_at", "expires_at"),)

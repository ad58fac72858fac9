"""The health checks' answers: the liveness probe's, and /health's with one entry per part it depends on."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PartStatus(enum.StrEnum):
    UP = "up"
    DOWN = "down"
    NOT_CONFIGURED = "not_configured"  # the operator runs without it (no AMI secret): not a fault
    UNKNOWN = "unknown"  # this process cannot see it from here


class DatabaseHealth(BaseModel):
    status: PartStatus
    latency_ms: float | None = Field(default=None, description="the round trip of `SELECT 1`, when it answered")


class AmiHealth(BaseModel):
    status: PartStatus
    link: str = Field(description="connected, connecting, reconnecting, unreachable, login refused, not configured")
    detail: str = ""
    reconnects: int = Field(default=0, description="reconnections since this API process started")


class OutboxHealth(BaseModel):
    status: PartStatus = Field(description="unknown: the outbox is on the agi host (see its metrics endpoint)")
    last_record_received_at: datetime | None = Field(default=None, description="the newest call record's arrival")
    seconds_since_last_record: float | None = None
    detail: str = ""


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: DatabaseHealth
    ami: AmiHealth
    outbox: OutboxHealth


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"

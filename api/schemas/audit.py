"""The audit log of reads of personal data (written by api.security.audit, read by GET /audit)."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditAction(enum.StrEnum):
    LIST_CALLS = "list_calls"
    READ_CALL = "read_call"
    READ_CALLER_HISTORY = "read_caller_history"  # the caller card: a number and its previous calls
    READ_CALLER_LANGUAGE = "read_caller_language"
    LIST_REQUESTS = "list_requests"
    READ_REQUEST = "read_request"
    PLAY_RECORDING = "play_recording"
    LIST_CALLBACKS = "list_callbacks"
    EXPORT_REPORT = "export_report"
    READ_AUDIT = "read_audit"
    CHANGE_CALENDAR = "change_calendar"  # issue 21: a closure or holiday override added or removed
    RELOAD_CONFIG = "reload_config"  # issue 21: an administrator had the call-center file re-read
    GUIDE_CHANGE = "guide_change"  # the consular guide: an article written, edited, moved; synonyms (issue 16)
    RETRY_NOTIFICATION = "retry_notification"  # a given-up citizen notification sent again (api.routes.notifications)


class AuditCreate(BaseModel):
    actor: str
    role: str
    action: AuditAction
    object_id: str | None = None  # "call:42", "request:K7M2QX", "caller:+336..."
    detail: str = ""  # what a listing was filtered by, how many rows it returned
    client: str = ""  # the client's address as the API saw it


class AuditPublic(AuditCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime


class AuditPage(BaseModel):
    items: list[AuditPublic]
    next_cursor: str | None  # pass back as ?cursor= for the next page; None on the last page

"""Reports: the supervisors' summary of calls (/reports/summary) and the ministry's report (/reports/ministry)."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel


class GroupBy(enum.StrEnum):
    NONE = "none"
    LANGUAGE = "language"
    QUEUE = "queue"
    HOUR = "hour"
    DAY = "day"


class SummaryRow(BaseModel):
    key: str  # the group: a language, a queue, a local hour (YYYY-MM-DDTHH:00), a local day, or "all"
    offered: int  # every call in the period
    answered: int
    abandoned: int  # abandoned_ivr + abandoned_queue
    abandoned_ivr: int
    abandoned_queue: int
    offered_to_queue: int  # answered + abandoned_queue: the denominator of the service level
    answered_within_threshold: int
    asa_seconds: float | None  # average speed of answer: mean wait of answered calls
    aht_seconds: float | None  # average handle time: mean talk time of answered calls
    service_level_percent: float | None  # answered within threshold / offered to queue * 100


class Summary(BaseModel):
    group_by: GroupBy
    timezone: str
    threshold_seconds: float
    period_from: datetime | None
    period_to: datetime | None
    rows: list[SummaryRow]


class ReportGroup(enum.StrEnum):
    NONE = "none"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    LANGUAGE = "language"
    REQUEST_TYPE = "request_type"
    SERVICE = "service"


class ReportRow(BaseModel):
    key: str
    calls_offered: int = 0
    calls_answered: int = 0
    calls_abandoned: int = 0
    service_level_percent: float | None = None
    callbacks: int = 0
    voicemails: int = 0
    requests_opened: int = 0
    requests_answered_on_time: int = 0
    requests_answered_late: int = 0
    requests_overdue: int = 0
    surveys: int = 0
    satisfaction_average: float | None = None


class Report(BaseModel):
    group_by: ReportGroup
    timezone: str
    threshold_seconds: float
    period_from: datetime | None
    period_to: datetime | None
    generated_at: datetime
    rows: list[ReportRow]
    totals: ReportRow | None = None  # the whole period in one row (key "total"): the table's last line


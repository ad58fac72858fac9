"""The complaint workflow: the move a person asks for (Create), what the screens show (Public), the dashboards
and the Open311 GeoReport v2 read API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.requests import CitizenNotificationPublic, _Body
from callcenter.workflow import Action, Stage


class TransitionCreate(_Body):
    """One move along the workflow; which fields matter depends on the action."""

    action: Action
    comment: str = Field(default="", max_length=4000, description="reason, answer or note; required by some actions")
    department: str | None = Field(default=None, max_length=40, description="route: the department")
    category: str | None = Field(default=None, max_length=40, description="route: the category, if it changes")
    district: str | None = Field(default=None, max_length=64, description="route: the district, if known")
    assignee: str | None = Field(default=None, max_length=128, description="take: who works it (default: you)")
    duplicate_of: str | None = Field(default=None, max_length=12, description="duplicate: the other reference")


class CitizenReopen(_Body):
    comment: str = Field(min_length=1, max_length=4000)


class Label(BaseModel):
    key: str
    names: dict[str, str]


class DepartmentPublic(Label):
    parent: str | None
    approval: str


class CategoryPublic(Label):
    department: str
    deadline_days: int


class WorkflowSetup(BaseModel):
    """What the screens need: departments, categories, and the caller's own rights."""

    departments: list[DepartmentPublic]
    categories: list[CategoryPublic]
    me: str
    desk: bool
    memberships: dict[str, str]  # department -> head | secretary | agent
    dashboards: bool


class WorkflowEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    capacity: str
    action: str
    from_stage: str | None
    to_stage: str
    department: str | None
    assignee: str | None
    comment: str


class ComplaintPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reference: str
    type_key: str
    source: str
    channel: str
    language: str | None
    service: str
    category: str | None
    department: str | None
    district: str
    stage: Stage
    assignee: str | None
    description: str
    contact: str
    caller_number: str
    answer: str
    duplicate_of: str | None
    satisfaction: int | None
    created_at: datetime
    stage_since: datetime | None
    stage_due_at: datetime | None
    answer_due_at: datetime | None
    closed_at: datetime | None
    overdue: bool = False
    at_risk: bool = False


class ComplaintDetail(ComplaintPublic):
    history: list[WorkflowEventPublic]
    actions: list[Action]  # what the caller may do now
    notifications: list[CitizenNotificationPublic] = []  # what the citizen was told, oldest first


class ComplaintPage(BaseModel):
    items: list[ComplaintPublic]


class Count(BaseModel):
    key: str
    count: int


class StageTime(BaseModel):
    stage: str
    median_hours: float
    samples: int


class TrendPoint(BaseModel):
    week: str  # ISO week start, YYYY-MM-DD
    received: int
    closed: int


class WeekCount(BaseModel):
    week: str  # ISO week start (Monday in the call center's zone), YYYY-MM-DD; every week of the period
    received: int
    overdue: int  # of those received that week, the ones open past their stage deadline now


class RatingCount(BaseModel):
    rating: int  # 1 to 5
    count: int


class Dashboard(BaseModel):
    """Volumes, delays and satisfaction of the requests a dashboard covers (created within the period)."""

    period_from: datetime
    period_to: datetime
    total: int
    open: int
    overdue: int
    at_risk: int
    by_category: list[Count]
    by_department: list[Count]
    by_district: list[Count]
    by_stage: list[Count]
    by_channel: list[Count]
    median_hours_per_stage: list[StageTime]
    trend: list[TrendPoint]
    satisfaction_average: float | None
    satisfaction_count: int
    # for the dashboards' charts (computed in SQL, api.crud.complaints): every week and every rating, zeros included
    weekly: list[WeekCount] = Field(default_factory=list)
    satisfaction_distribution: list[RatingCount] = Field(default_factory=list)


class Open311Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = False
    type: str = "realtime"
    keywords: str = ""
    group: str


class Open311Request(BaseModel):
    """GeoReport v2 service request, without personal data (no description, contact or media)."""

    service_request_id: str
    status: str  # open | closed
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None

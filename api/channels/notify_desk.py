"""What staff see of a request's citizen notifications, and who may ask a given-up one again (pure functions).

Rules:
- The notifications come with the request, to whoever may read it: GET /requests/{reference} (agents of its
  queues or who opened it, supervisors, admins) and GET /complaints/{reference} (the desk, the officers of its
  department). Each says what was sent (the acknowledgement or the status told), on which channel, when it was
  queued, and where it stands: sent, waiting for a try (when, which), or given up, with the last error both as
  the worker wrote it and as a reason a person can read (`reason_of`). A row left `failed` with no next try (one
  written before migration 0021, never retried) is given up, and shown so (`gave_up`).
- The recipient's address and the raw error (which may quote it) go only to roles that see the citizen's contact
  (`sees_contact`); today every role that reads a request sees its contact, so the rule keeps them in step
  should that change.
- Asking again (POST .../retry) is for who owns the request where it lives: supervisors and admins always; in
  the complaint workflow, the desk and the officers of its department; otherwise the agents who work it (their
  queues, or they opened it). An agent reading a request of the workflow does not own it. Anyone else who can
  read the request is refused with 403; who cannot read it gets 404, as for a request that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.channels.models import CitizenNotification
from api.complaints import visible_departments
from api.models import RequestRow
from api.schemas.requests import CitizenNotificationPublic
from api.security.access import RequestScope
from api.security.tokens import Principal, Role
from callcenter.departments import Complaints

CONTACT_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.DESK, Role.OFFICER})
REQUEST_DESK_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})

# The worker writes "<exception type>: <message>"; the type says what went wrong, in words any staff member reads.
REASONS: dict[str, str] = {
    "ConnectionRefusedError": "unreachable", "ConnectionResetError": "unreachable",
    "ConnectionAbortedError": "unreachable", "TimeoutError": "unreachable", "timeout": "unreachable",
    "gaierror": "unreachable", "OSError": "unreachable", "SMTPConnectError": "unreachable",
    "SMTPServerDisconnected": "unreachable", "SMTPHeloError": "unreachable",
    "SMTPRecipientsRefused": "recipient_refused",
    "SMTPSenderRefused": "server_refused", "SMTPDataError": "server_refused", "SMTPResponseException": "server_refused",
    "SMTPNotSupportedError": "server_refused",
    "SMTPAuthenticationError": "login_refused",
    "SSLError": "secure_connection", "SSLCertVerificationError": "secure_connection",
    "LookupError": "request_gone",
}  # fmt: skip
NOT_CONFIGURED = "no outbound mail server is configured"  # api.channels.notify's words when IVR_SMTP_HOST is unset


def reason_of(error: str, *, channel: str) -> str:
    """The reason key of a worker's error text ("" without one): unreachable, recipient_refused, server_refused,
    login_refused, secure_connection, not_configured, request_gone, sms_gateway, other."""
    if not error:
        return ""
    if NOT_CONFIGURED in error:
        return "not_configured"
    kind = error.partition(":")[0].strip().rpartition(".")[2]
    return REASONS.get(kind, "sms_gateway" if channel == "sms" else "other")


def gave_up(row: CitizenNotification) -> bool:
    """Nothing more will be tried: given up by the worker, or failed before tries were retried (migration 0021)."""
    return row.outcome == "given_up" or (row.outcome == "failed" and row.next_try_at is None)


def sees_contact(principal: Principal) -> bool:
    return principal.role in CONTACT_ROLES


@dataclass(frozen=True)
class Rights:
    reads: bool  # may read the request (and its notifications)
    retries: bool  # may ask its given-up notifications again


def rights(
    principal: Principal, *, request: RequestRow, scope: RequestScope | None, complaints: Complaints | None
) -> Rights:
    """`principal`'s rights on `request`'s notifications (`scope`: api.security.scopes' for the request desk)."""
    if principal.role in (Role.SUPERVISOR, Role.ADMIN):
        return Rights(reads=True, retries=True)
    on_desk = principal.role in REQUEST_DESK_ROLES and (
        scope is None or scope.admits(language=request.language, created_by=request.created_by)
    )
    in_workflow = request.stage is not None and complaints is not None
    if in_workflow and complaints is not None:
        departments = visible_departments(principal, complaints)
        owner = departments is None or request.department in departments
        return Rights(reads=owner or on_desk, retries=owner)
    return Rights(reads=on_desk, retries=on_desk)


def shown(row: CitizenNotification, *, principal: Principal, may_retry: bool) -> CitizenNotificationPublic:
    """One notification as `principal` sees it."""
    public = CitizenNotificationPublic.model_validate(row)
    public.reason = reason_of(row.error, channel=row.channel)
    if gave_up(row):
        public.outcome = "given_up"
    public.can_retry = may_retry and gave_up(row)
    if not sees_contact(principal):
        public.recipient, public.error = None, ""
    return public


def shown_all(
    rows: list[CitizenNotification], *, principal: Principal, may_retry: bool
) -> list[CitizenNotificationPublic]:
    return [shown(row, principal=principal, may_retry=may_retry) for row in rows]

"""Requests (tickets): the states a request moves through, shared by the flows (a caller asks for a status) and
the API (which owns requests and their workflow, api/tickets/)."""

from __future__ import annotations

import enum


class RequestStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"

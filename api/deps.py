"""Dependencies shared by the routes: settings and the clock live on app.state, set once by create_app."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError

from api.config import ApiSettings


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]


def require_offsets(**instants: datetime | None) -> None:
    """422 naming the query parameter when a period bound has no UTC offset (whose midnight would it be?)."""
    for name, instant in instants.items():
        if instant is not None and instant.utcoffset() is None:
            raise RequestValidationError(
                [
                    {
                        "type": "timezone_aware",
                        "loc": ("query", name),
                        "msg": "needs a UTC offset, e.g. 2026-01-01T00:00:00Z",
                    }
                ]
            )

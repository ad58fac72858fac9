"""The browser softphone's settings for the signed-in agent's own seat (api.softphone says where they come from).

Rules: an agent gets the settings of their own seat only (a token named after the seat, or a signed-in user's seat,
not their username); anyone else, supervisors included, gets 403: the reply holds the seat's SIP password, which is
the agent's alone. The reply is marked no-store so no cache keeps it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from api.deps import SettingsDep, StaffDep
from api.problems import documented
from api.schemas.agents import SEAT_PATTERN
from api.schemas.softphone import SoftphonePublic
from api.security.tokens import Role
from api.softphone import SoftphoneUnavailableError, seat_password, sip_domain

router = APIRouter(prefix="/agents", tags=["agents"])

SeatPath = Annotated[str, Path(pattern=SEAT_PATTERN, description="the agent's seat (PJSIP endpoint name)")]


@router.get("/{seat}/softphone", responses=documented(503))
async def softphone(seat: SeatPath, principal: StaffDep, settings: SettingsDep, response: Response) -> SoftphonePublic:
    """The seat's browser softphone settings (WSS address, SIP URI, password), for that seat's agent only."""
    if principal.role != Role.AGENT or principal.seat != seat:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the seat's own agent may have its SIP credentials")
    if not settings.softphone_wss_url:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the browser softphone is not configured (IVR_API_SOFTPHONE_WSS_URL)"
        )
    try:
        password = seat_password(settings.seat_secrets, seat)
    except SoftphoneUnavailableError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    response.headers["Cache-Control"] = "no-store"
    domain = sip_domain(settings.softphone_wss_url, settings.softphone_sip_domain)
    return SoftphonePublic(
        seat=seat,
        wss_url=settings.softphone_wss_url,
        sip_uri=f"sip:{seat}@{domain}",
        authorization_user=seat,
        password=password,
        display_name=seat,
        ice_servers=settings.softphone_ice_servers,
    )

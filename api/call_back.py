"""Calling a request's citizen back from an agent's seat through AMI (POST /requests/{reference}/call-back).

Rules:
- Only a real phone number is dialed (`+` and 3 to 20 digits): the request's caller number, else its contact
  when that is one. The number goes into a Dial() string, so nothing else may pass.
- The seat rings first (Originate into [ivr-callback], as booked callbacks do); once the agent answers, the
  dialplan dials the citizen. The originate is asynchronous: 202 means the seat is being rung.
- Its ActionID and IVR_CALLBACK_ID name the request ("request-<reference>"), so the booked-callback bookkeeping
  of api.ami.service (numeric ids only) never mistakes it for one of its own.
"""

from __future__ import annotations

import re

from fastapi import HTTPException, status

from api.ami.client import AmiError, AmiUnavailableError
from api.ami.service import LiveService
from api.models import RequestRow

PHONE_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
ACTION_PREFIX = "ivr-request-call-back-"


def callback_number(request: RequestRow) -> str | None:
    for candidate in (request.caller_number, request.contact):
        cleaned = re.sub(r"[\s.()-]", "", candidate or "")
        if PHONE_NUMBER.match(cleaned):
            return cleaned
    return None


async def originate_call_back(
    live: LiveService, *, seat: str, number: str, reference: str, language: str | None
) -> None:
    """Ring `seat`, then `number` (503 without AMI, 502 if Asterisk refuses)."""
    try:
        link = live.require_link()
        await link.action(
            {
                "Action": "Originate",
                "ActionID": f"{ACTION_PREFIX}{reference}",
                "Channel": f"PJSIP/{seat}",
                "Context": "ivr-callback",
                "Exten": "s",
                "Priority": "1",
                "Timeout": "20000",
                "CallerID": f'"{number}" <{number}>',
                "Variable": [
                    f"IVR_CALLBACK_ID=request-{reference}",
                    f"IVR_CALLBACK_NUMBER={number}",
                    f"IVR_LANG={language or ''}",
                ],
                "Async": "true",
            },
            as_list=False,
        )
    except AmiUnavailableError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    except AmiError as error:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"Asterisk refused the call: {error}") from error

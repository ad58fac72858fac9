"""The API's documentation pages, /docs (Swagger UI) and /redoc, from vendored files (api/web/vendor/): they work
on a closed network and under the Content-Security-Policy (api.security.headers), with no inline script.

ReDoc writes its styles into <style> elements at run time (styled components), so /redoc alone allows inline
styles; scripts stay 'self' only everywhere.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from api.security.headers import content_security_policy
from api.web import WEB_DIR

router = APIRouter(include_in_schema=False)
REDOC_STYLE_SRC = "'self' 'unsafe-inline'"


@router.get("/docs")
async def swagger_ui() -> FileResponse:
    """Swagger UI."""
    return FileResponse(WEB_DIR / "docs.html", media_type="text/html")


@router.get("/redoc")
async def redoc(request: Request) -> FileResponse:
    """ReDoc."""
    policy = content_security_policy(
        request.headers.get("host"), request.app.state.settings.csp_connect_src, style_src=REDOC_STYLE_SRC
    )
    return FileResponse(WEB_DIR / "redoc.html", media_type="text/html", headers={"Content-Security-Policy": policy})

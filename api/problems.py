"""One error body everywhere: RFC 9457 problem details (application/problem+json).

Rules:
- Every 4xx/5xx the API writes is a problem: {"type", "title", "status", "detail"}; a validation error (422) adds
  `errors`, a list of {"type", "loc", "msg"} naming where the input was wrong (never echoing it: it may be a MiB,
  or a non-finite number that JSON cannot carry). `type` is "about:blank" (the title is the HTTP status phrase)
  except for validation errors.
- A database that cannot be reached (stopped, restarting, connection lost) answers 503 with Retry-After, not
  500: the caller (the agi side's outbox above all) is told to come back, not that its request is wrong.
- Parameters holding NUL or a non-ASCII digit are refused up front with 400, before any route: PostgreSQL text
  cannot hold NUL, and `"³".isdigit()` is true while `int("³")` raises, so neither may reach the code.
- The OpenAPI says so: each operation lists the codes it can answer (401/403 behind a token, 404 on a path with a
  parameter, 413 and 422 with a body, 429 on the portal) with the Problem schema.
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from api.schemas.problems import Problem, ValidationIssue, ValidationProblem

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
VALIDATION_TYPE = "urn:ivr:problem:validation-error"


def problem_body(status: int, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {"type": "about:blank", "title": title, "status": status, "detail": detail or title, **extra}


def retry_after(seconds: float) -> dict[str, str]:
    """The Retry-After header (RFC 9110 10.2.3: whole seconds) for a wait of `seconds`, rounded up."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def problem_response(
    status: int, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, **extra), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else None
    headers = dict(error.headers or {})
    if error.status_code == 422:  # a route's own check: the same shape as the framework's validation errors
        issue = {"type": "value_error", "loc": ["body"], "msg": detail or "invalid"}
        body = problem_body(422, detail, errors=[issue]) | {"type": VALIDATION_TYPE, "title": "Invalid request"}
        return JSONResponse(body, status_code=422, headers=headers, media_type=PROBLEM_MEDIA_TYPE)
    return problem_response(error.status_code, detail, headers=headers)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
    where = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors[:5])
    body = problem_body(422, f"invalid request: {where}" if where else "invalid request", errors=errors)
    body["type"] = VALIDATION_TYPE
    body["title"] = "Invalid request"
    return JSONResponse(body, status_code=422, media_type=PROBLEM_MEDIA_TYPE)


DATABASE_RETRY_AFTER_S = 5


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection: a passing outage, not a bug."""
    if isinstance(error, OSError):  # asyncpg's connect raises these unwrapped (a missing Unix socket: ENOENT)
        return _raised_by_the_driver(error)
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    module = type(error).__module__
    return module.startswith("asyncpg") and type(error).__name__ in {
        "CannotConnectNowError",  # "the database system is starting up / shutting down"
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "AdminShutdownError",
    }


def _raised_by_the_driver(error: BaseException) -> bool:
    """Whether the error came up through asyncpg or SQLAlchemy (and not, say, from opening a recording)."""
    frame = error.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(("asyncpg.", "sqlalchemy.")):
            return True
        frame = frame.tb_next
    return False


async def _server_error(request: Request, error: Exception) -> JSONResponse:
    cause = error.__cause__ or error.__context__
    if database_unavailable(error) or (cause is not None and database_unavailable(cause)):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(error).__name__)
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
        return problem_response(503, "the database is unavailable; try again shortly", headers=headers)
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(500, "internal error; the server log has the details")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _server_error)


# -- parameters -------------------------------------------------------------------------------------------------


def refused_character(text: str) -> str | None:
    """What is wrong with a parameter's text, or None."""
    if "\x00" in text:
        return "a NUL character"
    if any(c.isdigit() and not c.isascii() for c in text):
        return "a non-ASCII digit"
    return None


class ParameterGuardMiddleware:
    """400 for a path or query string holding NUL or a non-ASCII digit (percent-encoded or not)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" ")).decode("utf-8", "replace")
            for where, text in (("path", str(scope.get("path", ""))), ("query", query)):
                wrong = refused_character(text)
                if wrong is None:
                    continue
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                await problem_response(400, f"the {where} holds {wrong}")(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- OpenAPI ----------------------------------------------------------------------------------------------------

_DESCRIPTIONS = {
    400: "a parameter holds NUL or a non-ASCII digit",
    401: "not signed in, or a missing, invalid, revoked or expired bearer token",
    403: "this role may not do this, or a signed-in page's request lacks its CSRF token",
    404: "not found",
    409: "conflicts with the current state",
    413: "request body over the size limit",
    422: "invalid parameters or body",
    429: "too many requests; see Retry-After",
    502: "Asterisk refused or failed the action",
    503: "a service this route needs is unavailable",
}


RETRY_AFTER_HEADER = {
    "description": "seconds to wait before this request can succeed (RFC 9110 10.2.3)",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route's own error codes (409, 502, 503): problem_openapi fills in the Problem body."""
    return {code: {"description": _DESCRIPTIONS.get(code, HTTPStatus(code).phrase)} for code in codes}


def _codes(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    codes = {400, 500}
    if operation.get("security"):
        codes |= {401, 403}
    if "{" in path:
        codes.add(404)
    if operation.get("parameters") or "requestBody" in operation:
        codes.add(422)
    if "requestBody" in operation:
        codes |= {413, 422}
    if method == "post" and path.startswith("/portal/"):
        codes.add(429)
    return codes


def problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI with problems for every error code each operation can answer: the ones its route declares
    (`responses=`, e.g. 409) and the ones every route of its kind can give."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, ValidationIssue, ValidationProblem):
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        definition.pop("$defs", None)
        components[model.__name__] = definition
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            codes = _codes(path, method, operation) | {int(code) for code in responses if code[0] in "45"}
            if path == "/health":
                codes -= {401, 403}
            for code in sorted(codes):
                if path == "/health" and code == 503:
                    continue
                shape = "ValidationProblem" if code == 422 else "Problem"
                existing = responses.get(str(code), {})
                responses[str(code)] = {
                    "description": existing.get("description") or _DESCRIPTIONS.get(code, HTTPStatus(code).phrase),
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{shape}"}}},
                }
                if code == 429:
                    responses[str(code)]["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    app.openapi_schema = schema
    return schema

"""One error shape for every failed request, and no stack traces to clients.

API routes (``/api/...``, health checks) answer ``{"error": {"code", "message", "status"[,
"hint"][, "details"]}}``; pages answer an HTML error page with the same status. A 429 carries
``Retry-After`` either way.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from medcite.errors import MedciteError, TooManyAttemptsError

log = logging.getLogger("medcite.web")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "not_ready",
}


def error_body(
    status: int, code: str, message: str, hint: str | None = None, details: Any = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if hint:
        error["hint"] = hint
    if details is not None:
        error["details"] = details
    return {"error": error}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in {"/healthz", "/readyz", "/openapi.json"}


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    hint: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    headers = dict(headers or {})
    if status == 401 and wants_json(request):
        headers["WWW-Authenticate"] = "Bearer"
    if wants_json(request):
        return JSONResponse(error_body(status, code, message, hint, details), status, headers)
    renderer = getattr(request.app.state, "render_error", None)
    if renderer is not None:
        rendered: Response = renderer(request, status, message, hint)
        rendered.headers.update(headers)
        return rendered
    return HTMLResponse(f"<h1>{status}</h1>", status, headers)  # pragma: no cover - always set


def _validation_details(exc: RequestValidationError) -> tuple[str, str, list[dict[str, Any]]]:
    details = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return "malformed_json", "the request body is not valid JSON", details
    return "invalid_request", "the request does not match the API", details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MedciteError)
    async def medcite_error(request: Request, exc: MedciteError) -> Response:
        status = exc.http_status
        if status >= 500:
            log.error("%s: %s", exc.code, exc.message)
        headers = None
        if isinstance(exc, TooManyAttemptsError):
            headers = {"Retry-After": str(exc.retry_after)}
        return error_response(request, status, exc.code, exc.message, exc.hint, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        code, message, details = _validation_details(exc)
        status = 400 if code == "malformed_json" else 422
        return error_response(request, status, code, message, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(request, exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(
            request, 500, "internal_error", "something went wrong on our side; it was logged"
        )

"""How every refusal and failure is answered: JSON for the API and the ``.json`` export
(``{"state", "detail"}``), the error page elsewhere.

- invalid input (``InvalidInput``, and FastAPI's validation errors): 400, never 422;
- a new job over a limit (``QuotaExceeded``): 429 with ``Retry-After`` (``limit_reached``);
- an upper-case login (``NotCanonical``): 301 to the lower-case address;
- too many live progress streams (``TooManyStreams``): 429, poll the job instead;
- Redis down (``StoreUnavailable``): 503 with ``Retry-After: 30``; the next request tries
  again, so the app recovers by itself;
- anything else: 500, logged.

The short way of the cached views (``web.serving.front``) answers with these same handlers.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gitbrag.errors import InvalidInput, QuotaExceeded, StoreUnavailable
from web.job_events import TooManyStreams
from web.metrics import Metrics
from web.rendering import error_page
from web.served import NotCanonical

logger = logging.getLogger("gitbrag.web")

ERROR_TITLES: Final = {
    400: "That request does not make sense",
    401: "Log in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    429: "Slow down",
    500: "Something broke",
    503: "gitbrag is catching its breath",
}

API_STATES: Final = {401: "login_required", 404: "not_found", 429: "quota_exceeded"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.endswith(".json")


def error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"state": API_STATES.get(status, "error"), "detail": message}
        return JSONResponse(body, status_code=status)
    return error_page(request, status, ERROR_TITLES.get(status, "Error"), message)


def install(app: FastAPI, metrics: Metrics) -> None:
    """Register the handlers on ``app`` (then in ``app.exception_handlers``)."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = (
            exc.detail if isinstance(exc.detail, str) else ERROR_TITLES.get(exc.status_code, "")
        )
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        response = error_response(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'request'}: "
            f"{error.get('msg', 'invalid')}"
            for error in exc.errors()[:5]
        )
        return error_response(request, 400, f"Invalid request ({problems}).")

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput) -> Response:
        message = str(exc)
        return error_response(request, 400, message[:1].upper() + message[1:] + ".")

    @app.exception_handler(QuotaExceeded)
    async def limit_reached(request: Request, exc: QuotaExceeded) -> Response:
        response = error_response(request, 429, str(exc))
        if isinstance(response, JSONResponse):
            response = JSONResponse(
                {
                    "state": "limit_reached",
                    "limit": exc.kind,
                    "detail": str(exc),
                    "retry_after_seconds": exc.retry_after_seconds,
                },
                status_code=429,
            )
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response

    @app.exception_handler(NotCanonical)
    async def not_canonical(request: Request, exc: NotCanonical) -> Response:
        return exc.response()

    @app.exception_handler(TooManyStreams)
    async def too_many_streams(request: Request, exc: TooManyStreams) -> Response:
        return exc.response()

    @app.exception_handler(StoreUnavailable)
    async def redis_down(request: Request, exc: StoreUnavailable) -> Response:
        metrics.redis_errors.inc()
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        logger.warning("Redis unavailable: %s", type(cause).__name__)
        response = error_response(
            request,
            503,
            "Our storage is not answering right now. Your reports are safe; "
            "please try again in a minute.",
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s", request.url.path)
        return error_response(request, 500, "An unexpected error happened; it has been logged.")

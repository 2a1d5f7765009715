"""One ASGI middleware for what every response needs: security headers (a CSP without inline
script), a request log line without secrets, request metrics, and a cap on query strings."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gitbrag.settings import Settings
from web.metrics import Metrics

logger = logging.getLogger("gitbrag.web.access")

MAX_QUERY_BYTES = 2048


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(settings: Settings) -> str:
    """Scripts and styles only from our own origin; avatars from GitHub (or its stand-in)."""
    images = ["'self'", "data:", "https://avatars.githubusercontent.com"]
    images += sorted(
        {
            origin
            for origin in (_origin(settings.github_url), _origin(settings.github_api_url))
            if origin
        }
    )
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


_TOO_LONG_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Request too long · gitbrag</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="wrap"><section class="center-card error-card"><p class="error-code">400</p>
<h1>That request does not make sense</h1><p>The address is too long to be a report link.</p>
<p><a class="button" href="/">Home</a></p></section></main></body></html>"""


def _too_long(path: str) -> Response:
    """Checked before routing (cheap): oversized query strings never reach a handler."""
    if path.startswith("/api/"):
        return JSONResponse({"state": "error", "detail": "query string too long"}, status_code=400)
    return HTMLResponse(_TOO_LONG_PAGE, status_code=400)


class WebMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = settings.access_log
        self.headers = {
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
            "Cross-Origin-Opener-Policy": "same-origin",
        }
        # Swagger UI (/docs) is FastAPI's page: its assets come from a CDN with an inline
        # bootstrap script, so it alone gets a policy that allows exactly that.
        self.docs_headers = dict(self.headers)
        self.docs_headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: "
            "https://fastapi.tiangolo.com; frame-ancestors 'none'"
        )
        if (settings.public_url or "").startswith("https://"):
            self.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            self.docs_headers["Strict-Transport-Security"] = self.headers[
                "Strict-Transport-Security"
            ]

        self._raw = _encoded(self.headers)
        self._docs_raw = _encoded(self.docs_headers)
        # Metric children by (method, route, status): ``labels()`` costs more than ``inc()``.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        extra = self._docs_raw if scope["path"] == "/docs" else self._raw

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._record(scope, message["status"], started)
                message["headers"] = _with_defaults(message.get("headers", ()), extra)
            await send(message)

        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            await _too_long(scope["path"])(scope, receive, send_wrapper)
            return
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            self._record(scope, 500, started)
            raise

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "GET")
        if method not in METHODS:
            method = "OTHER"  # labels never grow with what clients send
        children = self._children.get((method, template, status))
        if children is None:
            children = self._children[(method, template, status)] = (
                self.metrics.requests.labels(method, template, str(status)),
                self.metrics.duration.labels(template),
            )
        children[0].inc()
        children[1].observe(elapsed)
        if self.access_log:
            # The path only: query strings may carry OAuth codes and states.
            logger.info("%s %s %d %.1fms", method, scope["path"], status, elapsed * 1000)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

RawHeaders = list[tuple[bytes, bytes]]


def _encoded(headers: dict[str, str]) -> RawHeaders:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def _with_defaults(raw: Iterable[tuple[bytes, bytes]], extra: RawHeaders) -> RawHeaders:
    """``raw`` plus each of ``extra`` the response did not set itself."""
    headers = list(raw)
    present = {name.lower() for name, _ in headers}  # (Starlette's are lower case already)
    headers.extend(pair for pair in extra if pair[0] not in present)
    return headers

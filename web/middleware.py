"""One ASGI middleware for what every response needs: the ``Host`` check (``web.hosts``),
security headers (a CSP without inline script; OWASP's Secure Headers list), a request log line
without secrets or forged lines, request metrics, and a cap on query strings."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote, urlsplit

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gitbrag.settings import Settings
from web.docs import docs_security_policy
from web.hosts import ANY_HOST_PATHS, HostCheck
from web.metrics import Metrics

logger = logging.getLogger("gitbrag.web.access")

MAX_QUERY_BYTES = 2048
HSTS: Final = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}


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


_UNKNOWN_HOST_PAGE = _TOO_LONG_PAGE.replace(
    "The address is too long to be a report link.",
    "This server does not answer to that host name.",
)
# Its administrator: set GITBRAG_PUBLIC_URL (or GITBRAG_ALLOWED_HOSTS) to the site's address.
_UNKNOWN_HOST = "unknown host: this server answers to its public address only"


def _refused(path: str) -> Response:
    """A ``Host`` this site does not answer (``web.hosts``): refused before routing, with
    nothing read, rendered or written."""
    if path.startswith("/api/"):
        return JSONResponse({"state": "error", "detail": _UNKNOWN_HOST}, status_code=400)
    return HTMLResponse(_UNKNOWN_HOST_PAGE, status_code=400)


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
        self.hosts = HostCheck(settings.public_url, settings.allowed_host_list)
        headers = {
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
            "Cross-Origin-Opener-Policy": "same-origin",
            # Pages and the API are read by this site only; the embeds say cross-origin
            # themselves (``web.routes.embeds``).
            "Cross-Origin-Resource-Policy": "same-origin",
            "X-Permitted-Cross-Domain-Policies": "none",
        }
        # Swagger UI (/docs): its assets come from a CDN, pinned by version and Subresource
        # Integrity, and its bootstrap is a static file of ours (``web.docs``): no inline
        # script.
        docs = dict(headers)
        docs["Content-Security-Policy"] = docs_security_policy()
        # HSTS when the site is https: PUBLIC_URL says so, or the request came over https
        # (directly, or through a proxy in TRUSTED_PROXIES that said so).
        always_https = (settings.public_url or "").startswith("https://")
        self._raw: dict[tuple[bool, bool], RawHeaders] = {}
        for is_docs, base in ((False, headers), (True, docs)):
            self._raw[(is_docs, False)] = _encoded(base | (HSTS if always_https else {}))
            self._raw[(is_docs, True)] = _encoded(base | HSTS)
        # Metric children by (method, route, status): ``labels()`` costs more than ``inc()``.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        extra = self._raw[(path == "/docs", scope.get("scheme") == "https")]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._record(scope, message["status"], started)
                message["headers"] = _with_defaults(message.get("headers", ()), extra)
            await send(message)

        if not self._host_accepted(scope):
            await _refused(path)(scope, receive, send_wrapper)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            await _too_long(path)(scope, receive, send_wrapper)
            return
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            self._record(scope, 500, started)
            raise

    def _host_accepted(self, scope: Scope) -> bool:
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        server = scope.get("server")
        port = server[1] if server else None
        return self.hosts.accepts(host, port) or scope["path"] in ANY_HOST_PATHS

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
            logger.info("%s %s %d %.1fms", method, loggable(scope["path"]), status, elapsed * 1000)


def loggable(path: str) -> str:
    """``path`` as one line of printable ASCII: the decoded path may hold anything a client
    percent-encoded (``%0A`` would start a forged log line, U+202E reorder one), so every
    other character (a space too: the line's fields stay apart) is percent-encoded again."""
    if path.isascii() and path.isprintable() and " " not in path:
        return path  # the usual case, at no cost
    return quote(path, safe=_PRINTABLE)


_PRINTABLE: Final = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) != "%")

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

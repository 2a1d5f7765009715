"""Render a page template with what every page needs (viewer, CSRF token, absolute URLs)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from web.auth import ANONYMOUS, Viewer


def public_base_url(request: Request) -> str:
    """``https://gitbrag.example`` from ``PUBLIC_URL``, else from the (proxied) request: its
    scheme and ``Host`` header (or the server address), and the app's root path."""
    settings = request.app.state.context.settings
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if host is not None:
        netloc = host.decode("latin-1")
    else:
        server_host, port = scope.get("server") or ("localhost", 80)
        netloc = server_host if port in (80, 443) else f"{server_host}:{port}"
    return f"{scope.get('scheme', 'http')}://{netloc}{scope.get('root_path', '')}".rstrip("/")


def render_page(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    app_context = request.app.state.context
    viewer: Viewer = getattr(request.state, "viewer", ANONYMOUS)
    base_url = public_base_url(request)
    full: dict[str, Any] = {
        "viewer": viewer,
        "settings": app_context.settings,
        "base_url": base_url,
        "canonical_url": base_url + request.url.path,
        "session_ended": getattr(request.state, "session_ended", False),
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    full.update(context)
    response: HTMLResponse = app_context.templates.TemplateResponse(
        request, name, full, status_code=status_code
    )
    # Pages rendered per request: never shared when they carry a session (its CSRF token) or
    # answer one; revalidated otherwise.
    private = viewer.logged_in or full["session_ended"]
    response.headers["Cache-Control"] = "private, no-store" if private else "no-cache"
    response.headers["Vary"] = "Cookie, Authorization"
    return response

"""Pages rendered per request: any template with what every page needs (viewer, CSRF token,
absolute URLs), the report's small state pages (generating, log in, not found) and the error
page. Report content is never rendered here: it is rendered once per version (``web.bundle``).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from starlette.requests import Request

from gitbrag.report.keys import ReportKey
from web.auth import ANONYMOUS, Viewer
from web.context import context_of
from web.flow import Outcome
from web.presenters.jobs import job_payload, not_found_message, not_found_title
from web.presenters.paths import key_query, login_path, refresh_path, report_path
from web.presenters.report import period_tabs


def render_page(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    app_context = context_of(request)
    viewer: Viewer = getattr(request.state, "viewer", ANONYMOUS)
    base_url = app_context.base_url(request)
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


def error_page(
    request: Request, status: int, title: str, message: str, **context: Any
) -> HTMLResponse:
    return render_page(
        request,
        "error.html",
        {"error": {"status": status, "title": title, "message": message}, **context},
        status_code=status,
    )


def not_found_page(request: Request, reason: str | None, username: str) -> HTMLResponse:
    """The 404 page saying why GitHub has no report for ``username`` (no such user, an
    organisation, a private profile)."""
    return error_page(request, 404, not_found_title(reason), not_found_message(reason, username))


def hidden_fields(key: ReportKey) -> dict[str, str]:
    """The refresh form's fields naming ``key``: its query, with the default period spelled
    out."""
    period = {"period": key.range.period} if key.range.period is not None else {}
    return period | key_query(key)


def report_context(request: Request, outcome: Outcome, viewer: Viewer) -> dict[str, Any]:
    """What the per-request report pages (generating, log in, not found) show."""
    key = outcome.key
    now = context_of(request).now()
    return {
        "key": key,
        "outcome": outcome,
        "tabs": period_tabs(key),
        "page_path": report_path(key),
        "json_path": report_path(key, ".json"),
        "md_path": report_path(key, ".md"),
        "refresh_path": refresh_path(key.username),
        "login_path": login_path(report_path(key)),
        "hidden_fields": hidden_fields(key),
        "job": job_payload(outcome.job, now, key.username) if outcome.job else None,
        "can_cancel": outcome.job is not None
        and not outcome.job.finished
        and viewer.may_cancel(outcome.job.viewer_id),
        "now": now,
    }


def report_state_page(request: Request, outcome: Outcome, viewer: Viewer) -> HTMLResponse:
    """Not found, log in to generate, generating: small pages rendered per request."""
    context = report_context(request, outcome, viewer)
    if outcome.state == "not_found":
        reason = outcome.not_found_reason or "no_user"
        message = not_found_message(reason, outcome.key.username)
        return error_page(request, 404, not_found_title(reason), message, **context)
    if outcome.state == "login_required":
        return render_page(request, "login_required.html", context, status_code=401)
    return render_page(request, "generating.html", context)

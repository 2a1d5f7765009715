"""HTML pages: home, search, and the two form actions (force refresh, cancel). The report and
its exports are views of cached documents: ``web.routes.reports`` and ``exports``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.report.logins import validate_username
from web.auth import CsrfForm, ReturnToForm, Viewer, check_csrf, safe_return_to
from web.deps import Ctx, CurrentViewer
from web.flow import Outcome, force_refresh
from web.params import report_key
from web.presenters.jobs import job_payload
from web.presenters.paths import key_query, login_path, refresh_path, report_path, user_path
from web.presenters.report import period_tabs
from web.rendering import render_page

router = APIRouter(tags=["pages"], include_in_schema=False)

EXAMPLE_USERS = ("octocat", "torvalds", "gaearon")


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, ctx: Ctx, viewer: CurrentViewer) -> Response:
    # `gitbrag demo` runs against the simulated GitHub: offer its sample users.
    demo_users = ctx.settings.demo_user_list if ctx.settings.demo else ()
    examples = demo_users or EXAMPLE_USERS
    return render_page(request, "home.html", {"examples": examples})


@router.get("/search")
async def search(request: Request, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """The home page's form: a login (or a github.com profile URL) to its report."""
    candidate = q.strip().removeprefix("@").rstrip("/")
    for prefix in ("https://github.com/", "http://github.com/", "github.com/"):
        if candidate.lower().startswith(prefix):
            candidate = candidate[len(prefix) :].split("/")[0]
    validate_username(candidate)
    return RedirectResponse(user_path(candidate.lower()), status_code=303)


def report_context(request: Request, outcome: Outcome, viewer: Viewer) -> dict[str, Any]:
    """What the per-request report pages (generating, log in, not found) show."""
    ctx = request.app.state.context
    key = outcome.key
    now = ctx.now()
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


def hidden_fields(key: ReportKey) -> dict[str, str]:
    """The refresh form's fields naming ``key``: its query, with the default period spelled
    out."""
    period = {"period": key.range.period} if key.range.period is not None else {}
    return period | key_query(key)


@router.post("/user/github/{username}/refresh")
async def refresh_page(
    request: Request,
    ctx: Ctx,
    viewer: CurrentViewer,
    username: str,
    csrf_token: CsrfForm = "",
    period: Annotated[str | None, Form(max_length=32)] = None,
    since: Annotated[str | None, Form(max_length=32)] = None,
    until: Annotated[str | None, Form(max_length=32)] = None,
    include_closed: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    """The force-refresh button: schedule a regeneration, then go back to the report."""
    key = report_key(username.lower(), period, since, until, include_closed)
    if not viewer.can_generate:
        return RedirectResponse(login_path(report_path(key)), status_code=303)
    check_csrf(viewer, csrf_token)
    result = await run_in_threadpool(force_refresh, ctx, key, viewer)
    if result.refused:
        assert result.quota is not None
        context = {
            "error": {
                "status": 429,
                "title": "Refresh limit reached",
                "message": (
                    f"You have used your {result.quota.limit} forced refreshes for this hour. "
                    f"Try again in {result.quota.retry_after_seconds // 60 + 1} minutes."
                ),
            },
            "back_path": report_path(key),
        }
        response = render_page(request, "error.html", context, status_code=429)
        response.headers["Retry-After"] = str(result.quota.retry_after_seconds)
        return response
    return RedirectResponse(report_path(key), status_code=303)


@router.post("/jobs/{job_id}/cancel")
async def cancel_page(
    request: Request,
    ctx: Ctx,
    viewer: CurrentViewer,
    job_id: str,
    csrf_token: CsrfForm = "",
    return_to: ReturnToForm = "/",
) -> Response:
    """The Cancel button on the generating page (works without JavaScript)."""
    check_csrf(viewer, csrf_token)
    if len(job_id) > 128:
        raise InvalidInput("not a job id")
    job = await run_in_threadpool(ctx.service.get_job, job_id)
    if job is None:
        raise HTTPException(404, "That job does not exist (or has expired).")
    if not viewer.may_cancel(job.viewer_id):
        raise HTTPException(403, "Only the viewer who started this job can cancel it.")
    cancelled = await run_in_threadpool(ctx.service.cancel_job, job_id) or job
    if safe_return_to(return_to) == "/":
        return RedirectResponse("/", status_code=303)
    # Show the outcome here: the report URL would start a new job for a missing report.
    key = ReportKey.parse(cancelled.report_key)
    outcome = Outcome("generating", key, None, cancelled)
    return render_page(request, "generating.html", report_context(request, outcome, viewer))

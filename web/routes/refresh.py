"""A forced refresh: regenerate a report now, from the report page's "Refresh now" button
(``POST /user/github/{username}/refresh``, then back to the report) or the API
(``POST /api/reports/github/{username}/refresh``, the job). While a job runs for the report,
that same job is the answer; otherwise the viewer's hourly quota counts it (``web.flow``).

Who may refresh is the application's rule (``gitbrag.jobs.permissions.may_refresh``); a cookie
session sends its CSRF token (the form field, or the API's ``X-CSRF-Token``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gitbrag.jobs import permissions
from gitbrag.report.keys import ReportKey
from web.auth import CsrfForm, CsrfHeader, CurrentViewer, Viewer, check_csrf
from web.context import AppContext, Ctx
from web.flow import RefreshResult, force_refresh
from web.params import FormOptions, QueryOptions
from web.presenters.jobs import job_api
from web.presenters.paths import login_path, report_path
from web.rendering import error_page
from web.schemas import ErrorBody, Generating, LoginRequired, body, job_links

api = APIRouter(prefix="/api", tags=["api"])
router = APIRouter(include_in_schema=False)


async def refresh(
    ctx: AppContext, viewer: Viewer, key: ReportKey, csrf_token: str | None
) -> RefreshResult | None:
    """Schedule the regeneration of ``key`` (``None``: log in first; 403 for a wrong CSRF
    token)."""
    if not permissions.may_refresh(has_credential=viewer.can_generate):
        return None
    check_csrf(viewer, csrf_token)
    return await run_in_threadpool(force_refresh, ctx, key, viewer)


@router.post("/user/github/{username}/refresh")
async def refresh_page(
    request: Request,
    ctx: Ctx,
    viewer: CurrentViewer,
    username: str,
    options: FormOptions,
    csrf_token: CsrfForm = "",
) -> Response:
    """The "Refresh now" button: schedule a regeneration, then go back to the report."""
    key = options.key(username.lower())
    result = await refresh(ctx, viewer, key, csrf_token)
    if result is None:
        return RedirectResponse(login_path(report_path(key)), status_code=303)
    if result.refused:
        quota = result.quota
        assert quota is not None
        message = (
            f"You have used your {quota.limit} forced refreshes for this hour. "
            f"Try again in {quota.retry_after_seconds // 60 + 1} minutes."
        )
        response = error_page(
            request, 429, "Refresh limit reached", message, back_path=report_path(key)
        )
        response.headers["Retry-After"] = str(quota.retry_after_seconds)
        return response
    return RedirectResponse(report_path(key), status_code=303)


@api.post(
    "/reports/github/{username}/refresh",
    status_code=202,
    responses={
        202: body(Generating, links=job_links("/job/id")),
        401: body(LoginRequired, "`login_required`"),
        403: body(ErrorBody, "missing or wrong `X-CSRF-Token` (cookie sessions)"),
        429: {"description": "per-viewer forced-refresh quota used up; see `Retry-After`"},
    },
)
async def refresh_report(
    ctx: Ctx,
    viewer: CurrentViewer,
    username: str,
    options: QueryOptions,
    x_csrf_token: CsrfHeader = None,
) -> JSONResponse:
    """Regenerate now. While a job runs for the report, that same job is returned."""
    result = await refresh(ctx, viewer, options.key(username), x_csrf_token)
    if result is None:
        return JSONResponse({"state": "login_required"}, status_code=401)
    if result.refused:
        quota = result.quota
        assert quota is not None
        return JSONResponse(
            {
                "state": "quota_exceeded",
                "detail": f"at most {quota.limit} forced refreshes per hour",
                "retry_after_seconds": quota.retry_after_seconds,
            },
            status_code=429,
            headers={"Retry-After": str(quota.retry_after_seconds)},
        )
    assert result.job is not None
    return JSONResponse({"state": "generating", "job": job_api(result.job)}, status_code=202)

"""The JSON API (documented at ``/docs``): forced refreshes, jobs and their live progress as
Server-Sent Events. ``GET /api/reports/github/{username}`` is a cached view:
``web.routes.exports``.

Authentication: the browser session cookie (state-changing calls then need the
``X-CSRF-Token`` header) or ``Authorization: Bearer <GitHub token>``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from web.auth import CsrfHeader, Viewer, check_csrf
from web.deps import Ctx, CurrentViewer
from web.flow import force_refresh, needs_login_again
from web.job_events import event_stream
from web.params import RequestedKey
from web.presenters.jobs import job_api, job_payload

router = APIRouter(prefix="/api", tags=["api"])

JobId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.post(
    "/reports/github/{username}/refresh",
    status_code=202,
    responses={
        401: {"description": "`login_required`"},
        403: {"description": "missing or wrong `X-CSRF-Token` (cookie sessions)"},
        429: {"description": "per-viewer forced-refresh quota used up; see `Retry-After`"},
    },
)
async def refresh_report(
    ctx: Ctx, viewer: CurrentViewer, key: RequestedKey, x_csrf_token: CsrfHeader = None
) -> JSONResponse:
    """Regenerate now. While a job runs for the report, that same job is returned."""
    if not viewer.can_generate:
        return JSONResponse({"state": "login_required"}, status_code=401)
    check_csrf(viewer, x_csrf_token)
    result = await run_in_threadpool(force_refresh, ctx, key, viewer)
    if result.refused:
        assert result.quota is not None
        return JSONResponse(
            {
                "state": "quota_exceeded",
                "detail": f"at most {result.quota.limit} forced refreshes per hour",
                "retry_after_seconds": result.quota.retry_after_seconds,
            },
            status_code=429,
            headers={"Retry-After": str(result.quota.retry_after_seconds)},
        )
    assert result.job is not None
    return JSONResponse({"state": "generating", "job": job_api(result.job)}, status_code=202)


@router.get("/jobs/{job_id}", responses={404: {"description": "unknown or expired job"}})
async def get_job(ctx: Ctx, job_id: JobId) -> JSONResponse:
    """A job's status and progress, plus `percent` (0-100 overall) and a human `message`."""
    job = await run_in_threadpool(ctx.service.get_job, job_id)
    if job is None:
        raise HTTPException(404, "unknown or expired job")
    ctx.metrics.job_states_seen.labels(job.status).inc()
    login_again = await run_in_threadpool(needs_login_again, ctx, job)
    username = job.report_key.split(":", 1)[0]
    return JSONResponse(job_payload(job, ctx.now(), username, login_again=login_again))


@router.get(
    "/jobs/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "`job` events"},
        429: {"description": "`too_many_streams`: poll the job instead; see `Retry-After`"},
    },
)
async def job_events(request: Request, ctx: Ctx, job_id: JobId) -> Response:
    """Server-Sent Events: a `job` event (the job plus `percent` and `message`) on every
    change, until the job finishes; `gone` if the job does not exist. 429 (`Retry-After`)
    when too many streams are open: poll `GET /api/jobs/{id}` instead."""
    return event_stream(request, ctx.feeds, job_id)


@router.delete(
    "/jobs/{job_id}",
    responses={
        401: {"description": "not logged in"},
        403: {"description": "not the viewer who started the job (or bad CSRF token)"},
        404: {"description": "unknown or expired job"},
    },
)
async def cancel_job(
    ctx: Ctx, viewer: CurrentViewer, job_id: JobId, x_csrf_token: CsrfHeader = None
) -> JSONResponse:
    """Cancel a job you started (queued jobs never run; running ones are aborted)."""
    _require_login(viewer)
    check_csrf(viewer, x_csrf_token)
    job = await run_in_threadpool(ctx.service.get_job, job_id)
    if job is None:
        raise HTTPException(404, "unknown or expired job")
    if not viewer.may_cancel(job.viewer_id):
        raise HTTPException(403, "only the viewer who started a job (or an admin) can cancel it")
    cancelled = await run_in_threadpool(ctx.service.cancel_job, job_id)
    return JSONResponse(job_api(cancelled or job))


def _require_login(viewer: Viewer) -> None:
    if not viewer.logged_in:
        raise HTTPException(401, "log in first")

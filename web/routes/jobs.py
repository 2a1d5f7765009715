"""Jobs: their status (``GET /api/jobs/{id}``), their live progress as Server-Sent Events
(``/api/jobs/{id}/events``) and their cancellation, by the API (``DELETE``) or by the
generating page's Cancel button (``POST /jobs/{id}/cancel``, which works without JavaScript).

Who may cancel is the application's rule (``gitbrag.jobs.permissions.may_cancel``); a cookie
session sends its CSRF token (the form field, or the API's ``X-CSRF-Token``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from gitbrag.errors import InvalidInput
from gitbrag.jobs.service import Job
from gitbrag.report.keys import ReportKey
from web.auth import (
    CsrfForm,
    CsrfHeader,
    ReturnToForm,
    Viewer,
    WritingViewer,
    check_csrf,
    safe_return_to,
)
from web.context import AppContext, Ctx, context_of
from web.flow import Outcome
from web.job_events import admitted, stream_events
from web.presenters.jobs import job_api, job_payload
from web.rendering import render_page, report_context
from web.schemas import ErrorBody, JobStatusBody, body, job_links
from web.schemas import Job as JobBody

api = APIRouter(prefix="/api", tags=["api"])
router = APIRouter(include_in_schema=False)

MAX_JOB_ID = 128
JobId = Annotated[str, Path(min_length=1, max_length=MAX_JOB_ID, pattern=r"^[A-Za-z0-9_.:-]+$")]


async def cancel(ctx: AppContext, viewer: Viewer, job_id: str, csrf_token: str | None) -> Job:
    """Cancel ``job_id`` for ``viewer`` (queued jobs never run; running ones are aborted):
    401 when not logged in, 403 for a wrong CSRF token or someone else's job, 404 for an
    unknown one, 400 for what cannot be a job id."""
    check_csrf(viewer, csrf_token)
    if len(job_id) > MAX_JOB_ID:
        raise InvalidInput("not a job id")
    job = await run_in_threadpool(ctx.service.get_job, job_id)
    if job is None:
        raise HTTPException(404, "unknown or expired job")
    if not viewer.may_cancel(job.viewer_id):
        raise HTTPException(403, "only the viewer who started a job (or an admin) can cancel it")
    return await run_in_threadpool(ctx.service.cancel_job, job_id) or job


# ------------------------------------------------------------------ the API


@api.get(
    "/jobs/{job_id}",
    responses={200: body(JobStatusBody), 404: body(ErrorBody, "unknown or expired job")},
)
async def get_job(ctx: Ctx, job_id: JobId) -> JSONResponse:
    """A job's status and progress, plus `percent` (0-100 overall) and a human `message`."""
    job = await run_in_threadpool(ctx.service.get_job, job_id)
    if job is None:
        raise HTTPException(404, "unknown or expired job")
    ctx.metrics.job_states_seen.labels(job.status).inc()
    login_again = await run_in_threadpool(ctx.service.job_needs_login_again, job)
    username = job.report_key.split(":", 1)[0]
    return JSONResponse(job_payload(job, ctx.now(), username, login_again=login_again))


async def _admitted(request: Request, job_id: JobId) -> AsyncIterator[None]:
    """Dependency: the stream's place under the caps, for as long as its response lasts."""
    async with admitted(request, context_of(request).feeds, job_id):
        yield


@api.get(
    "/jobs/{job_id}/events",
    response_class=EventSourceResponse,
    dependencies=[Depends(_admitted)],
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "`job` events"},
        429: {"description": "`too_many_streams`: poll the job instead; see `Retry-After`"},
    },
)
async def job_events(request: Request, ctx: Ctx, job_id: JobId) -> AsyncIterator[ServerSentEvent]:
    """Server-Sent Events: a `job` event (the job plus `percent` and `message`) on every
    change, until the job finishes; `gone` if the job does not exist. 429 (`Retry-After`)
    when too many streams are open: poll `GET /api/jobs/{id}` instead."""
    async for event in stream_events(request, ctx.feeds, job_id):
        yield event


@api.delete(
    "/jobs/{job_id}",
    responses={
        200: body(JobBody, links=job_links("/id")),
        401: body(ErrorBody, "not logged in"),
        403: body(
            ErrorBody,
            "not the viewer who started the job, a bad CSRF token, or a bearer token another "
            "application got (writes take a session, a personal token or gitbrag's own)",
        ),
        404: body(ErrorBody, "unknown or expired job"),
    },
)
async def cancel_job(
    ctx: Ctx, viewer: WritingViewer, job_id: JobId, x_csrf_token: CsrfHeader = None
) -> JSONResponse:
    """Cancel a job you started (queued jobs never run; running ones are aborted)."""
    return JSONResponse(job_api(await cancel(ctx, viewer, job_id, x_csrf_token)))


# ------------------------------------------------------------------ the Cancel button


@router.post("/jobs/{job_id}/cancel")
async def cancel_page(
    request: Request,
    ctx: Ctx,
    viewer: WritingViewer,
    job_id: str,
    csrf_token: CsrfForm = "",
    return_to: ReturnToForm = "/",
) -> Response:
    """Cancel, then show the outcome in place: going back to the report's address would start
    a new job for a report that is still missing."""
    cancelled = await cancel(ctx, viewer, job_id, csrf_token)
    if safe_return_to(return_to) == "/":
        return RedirectResponse("/", status_code=303)
    outcome = Outcome("generating", ReportKey.parse(cancelled.report_key), None, cancelled)
    return render_page(request, "generating.html", report_context(request, outcome, viewer))

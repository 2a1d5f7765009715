"""The ``GET /api/jobs/{id}/events`` stream: Server-Sent Events fed by :mod:`web.live`.

Each stream is admitted under the caps first (per process: ``SSE_MAX_STREAMS`` in total and
``SSE_MAX_STREAMS_PER_CLIENT`` per client address) or answered 429 with ``Retry-After`` and
the polling URL; then it relays the job's shared feed: a ``job`` event on every change until
the job finishes, ``gone`` if it does not exist, a comment every
``EVENT_KEEPALIVE_SECONDS`` for proxies, and an end after ``EVENT_STREAM_SECONDS`` (the
browser's ``EventSource`` reconnects by itself).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings
from web.live import JobFeeds, ReadJob, Ticket
from web.presenters.jobs import job_payload

# How often a watched job is read (once per job, whoever watches it), how long one stream
# lives, and the keep-alive interval for proxies.
EVENT_POLL_SECONDS = 0.4
EVENT_STREAM_SECONDS = 300.0
EVENT_KEEPALIVE_SECONDS = 15.0
TOO_MANY_RETRY_SECONDS = 30


def job_reader(service: ReportService) -> ReadJob:
    """What a feed reads each tick: the job's payload (in the threadpool: it does I/O)."""

    def read(job_id: str) -> dict[str, Any] | None:
        job = service.get_job(job_id)
        if job is None:
            return None
        login_again = job.finished and service.job_needs_login_again(job)
        username = job.report_key.split(":", 1)[0]
        return job_payload(job, datetime.now(UTC), username, login_again=login_again)

    async def read_in_thread(job_id: str) -> dict[str, Any] | None:
        return await run_in_threadpool(read, job_id)

    return read_in_thread


def job_feeds(settings: Settings, service: ReportService) -> JobFeeds:
    return JobFeeds(
        job_reader(service),
        poll_seconds=EVENT_POLL_SECONDS,
        max_streams=settings.sse_max_streams,
        max_per_client=settings.sse_max_streams_per_client,
        finished=lambda payload: bool(payload.get("finished")),
    )


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _events(request: Request, feeds: JobFeeds, job_id: str) -> AsyncIterator[str]:
    started = time.monotonic()
    yield "retry: 2000\n\n"
    async for payload in feeds.watch(job_id, keepalive_seconds=EVENT_KEEPALIVE_SECONDS):
        if payload is None:
            yield _sse("gone", {"id": job_id})
            return
        yield _sse("job", payload) if payload else ": keep-alive\n\n"
        if time.monotonic() - started > EVENT_STREAM_SECONDS:
            return
        if await request.is_disconnected():
            return


class _AdmittedStream(StreamingResponse):
    """Gives its place under the caps back however the response ends (finished, client
    gone, server shutting down), even if the stream never started."""

    def __init__(self, content: AsyncIterator[str], ticket: Ticket) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        self.ticket = ticket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.ticket.release()


def event_stream(request: Request, feeds: JobFeeds, job_id: str) -> Response:
    """The stream for ``job_id``, or 429 over a cap (the page then polls the job)."""
    client = request.client.host if request.client else "unknown"
    ticket = feeds.admit(client)
    if ticket is None:
        return JSONResponse(
            {
                "state": "too_many_streams",
                "detail": "Too many live progress streams are open; poll the job instead.",
                "poll": f"/api/jobs/{job_id}",
            },
            status_code=429,
            headers={"Retry-After": str(TOO_MANY_RETRY_SECONDS), "Cache-Control": "no-store"},
        )
    return _AdmittedStream(_events(request, feeds, job_id), ticket)

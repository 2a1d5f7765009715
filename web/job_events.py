"""The ``GET /api/jobs/{id}/events`` stream: Server-Sent Events fed by :mod:`web.live`.

Each stream is admitted under the caps first (per process: ``SSE_MAX_STREAMS`` in total and
``SSE_MAX_STREAMS_PER_CLIENT`` per client address) or answered 429 with ``Retry-After`` and
the polling URL; then it relays the job's shared feed: a ``job`` event on every change until
the job finishes, ``gone`` if it does not exist, a comment every
``EVENT_KEEPALIVE_SECONDS`` for proxies, and an end after ``EVENT_STREAM_SECONDS`` (the
browser's ``EventSource`` reconnects by itself). FastAPI's own SSE support frames the events
(``fastapi.sse``); this module decides what they are.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.sse import ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings
from web.live import JobFeeds, ReadJob
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


class TooManyStreams(Exception):
    """Over a cap on streams: 429 with ``Retry-After`` and where to poll the job instead."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id

    def response(self) -> Response:
        return JSONResponse(
            {
                "state": "too_many_streams",
                "detail": "Too many live progress streams are open; poll the job instead.",
                "poll": f"/api/jobs/{self.job_id}",
            },
            status_code=429,
            headers={"Retry-After": str(TOO_MANY_RETRY_SECONDS), "Cache-Control": "no-store"},
        )


@asynccontextmanager
async def admitted(request: Request, feeds: JobFeeds, job_id: str) -> AsyncIterator[None]:
    """A place for the stream under the caps, given back however the response ends
    (finished, client gone, server shutting down), even if the stream never started; raises
    ``TooManyStreams`` over a cap. (For a dependency with ``yield``, whose exit runs once the
    response is over.)"""
    ticket = feeds.admit(request.client.host if request.client else "unknown")
    if ticket is None:
        raise TooManyStreams(job_id)
    try:
        yield
    finally:
        ticket.release()


async def stream_events(
    request: Request, feeds: JobFeeds, job_id: str
) -> AsyncIterator[ServerSentEvent]:
    """The stream's events (FastAPI frames them: ``EventSourceResponse``): the reconnection
    delay, then a ``job`` event on every change of the shared feed until the job finishes,
    ``gone`` if it does not exist, a comment on silence, and an end after
    ``EVENT_STREAM_SECONDS`` or when the client is gone."""
    started = time.monotonic()
    yield ServerSentEvent(retry=2000)
    async for payload in feeds.watch(job_id, keepalive_seconds=EVENT_KEEPALIVE_SECONDS):
        if payload is None:
            yield ServerSentEvent(event="gone", raw_data=_json({"id": job_id}))
            return
        if payload:
            yield ServerSentEvent(event="job", raw_data=_json(payload))
        else:
            yield ServerSentEvent(comment="keep-alive")
        if time.monotonic() - started > EVENT_STREAM_SECONDS:
            return
        if await request.is_disconnected():
            return


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))

"""The operations console, ``/admin`` (issue 22): queues, workers, jobs, the per-user
limiter, GitHub budgets, the scheduler, throughput, and audited actions.

Only the accounts ``GITBRAG_ADMIN_LOGINS`` names see it (``Viewer.admin``, resolved as for
cancelling anyone's job); everyone else gets the site's ordinary 404 on every ``/admin``
path and method, so nothing says it exists. Actions are POST forms with the session's CSRF
token (403 without it, for an admin; a bearer token must be one that may write), each
recorded in the audit log, then a 303 back to the console.

Live updates: ``/admin/events`` (Server-Sent Events, admitted under the same caps as the
job streams) sends the live part of the page whenever it changes; ``/admin/live`` is the
same part for polling (the page's script falls back to it when ``EventSource`` is missing
or refused).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from web.auth import CsrfForm, Viewer, check_csrf, current_viewer, writing_viewer
from web.console import AGE_FILTERS, FINISHED_FILTERS, Console, Filters, Snapshot
from web.context import context_of
from web.job_events import EVENT_KEEPALIVE_SECONDS, EVENT_STREAM_SECONDS, TooManyStreams
from web.presenters import admin as present
from web.presenters.jobs import PHASE_LABELS
from web.rendering import render_page

router = APIRouter(include_in_schema=False)

LIVE_SECONDS = 1.0  # how often a console stream re-reads the stores
MAX_ID = 128


async def admin_viewer(request: Request) -> Viewer:
    """Dependency: the viewer, when an admin; the site's plain 404 for anyone else."""
    viewer = await current_viewer(request)
    if not viewer.admin:
        # The 404 page of a path that never existed knows no viewer either.
        del request.state.viewer
        raise HTTPException(404, "Not Found")
    return viewer


async def acting_admin(request: Request, csrf_token: CsrfForm = "") -> Viewer:
    """Dependency of every action: an admin (else 404), who may write, with the CSRF token."""
    await admin_viewer(request)
    viewer = await writing_viewer(request)
    check_csrf(viewer, csrf_token)
    return viewer


Admin = Annotated[Viewer, Depends(admin_viewer)]
Acting = Annotated[Viewer, Depends(acting_admin)]
StateQuery = Annotated[str | None, Query(max_length=16)]
LoginQuery = Annotated[str | None, Query(max_length=39)]
AgeQuery = Annotated[str | None, Query(max_length=8)]
BeforeQuery = Annotated[int | None, Query(ge=0, le=2**53)]


def console_of(request: Request) -> Console:
    return context_of(request).console


def _context(
    request: Request, viewer: Viewer, snapshot: Snapshot, filters: Filters
) -> dict[str, Any]:
    query = filters.query()
    return {
        "s": snapshot,
        "filters": filters,
        "query": urlencode(query),
        "next_page": (
            "/admin?"
            + urlencode(filters.first_page().query() | {"before": str(snapshot.next_before)})
            if snapshot.next_before
            else None
        ),
        "first_page": "/admin?" + urlencode(filters.first_page().query())
        if filters.before
        else None,
        "here": "/admin" + (f"?{urlencode(query)}" if query else ""),
        "present": present,
        "charts": present.charts(snapshot.throughput),
        "phase_labels": PHASE_LABELS,
        "states": FINISHED_FILTERS,
        "ages": AGE_FILTERS,
        "csrf": viewer.form_csrf_token,
        "admin": viewer,
        "flash": _flash(request),
    }


async def _snapshot(request: Request, filters: Filters) -> Snapshot:
    return await run_in_threadpool(console_of(request).snapshot, filters)


def _live_html(request: Request, context: dict[str, Any]) -> str:
    template = context_of(request).templates.env.get_template("_admin_live.html")
    return template.render(context)


async def _read(request: Request, viewer: Viewer, filters: Filters) -> dict[str, Any]:
    """The console as the page and its live part render it: one read of the stores."""
    return _context(request, viewer, await _snapshot(request, filters), filters)


@router.get("/admin")
async def console_page(
    request: Request,
    viewer: Admin,
    state: StateQuery = None,
    login: LoginQuery = None,
    age: AgeQuery = None,
    before: BeforeQuery = None,
) -> HTMLResponse:
    context = await _read(request, viewer, Filters.parse(state, login, age, before))
    response = render_page(request, "admin.html", context)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@router.get("/admin/live")
async def console_live(
    request: Request,
    viewer: Admin,
    state: StateQuery = None,
    login: LoginQuery = None,
    age: AgeQuery = None,
    before: BeforeQuery = None,
) -> HTMLResponse:
    """The live part of the console, for polling."""
    html = _live_html(
        request, await _read(request, viewer, Filters.parse(state, login, age, before))
    )
    return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})


async def _admitted(request: Request, viewer: Admin) -> AsyncIterator[None]:
    ticket = context_of(request).feeds.admit(request.client.host if request.client else "unknown")
    if ticket is None:
        raise TooManyStreams("admin")
    try:
        yield
    finally:
        ticket.release()


@router.get("/admin/events", response_class=EventSourceResponse, dependencies=[Depends(_admitted)])
async def console_events(
    request: Request,
    viewer: Admin,
    state: StateQuery = None,
    login: LoginQuery = None,
    age: AgeQuery = None,
    before: BeforeQuery = None,
) -> AsyncIterator[ServerSentEvent]:
    """``live`` events (``{"html": ...}``) whenever the live part changes; a comment on
    silence; the stream ends after ``EVENT_STREAM_SECONDS`` (``EventSource`` reconnects)."""
    filters = Filters.parse(state, login, age, before)
    started = last_sent = time.monotonic()
    seen = ""
    yield ServerSentEvent(retry=2000)
    while time.monotonic() - started < EVENT_STREAM_SECONDS:
        snapshot = await _snapshot(request, filters)
        html = _live_html(request, _context(request, viewer, snapshot, filters))
        # The CSRF token is masked afresh on every render: compare without the forms' tokens.
        digest = hashlib.sha256(_without_tokens(html).encode()).hexdigest()
        if digest != seen:
            seen, last_sent = digest, time.monotonic()
            yield ServerSentEvent(event="live", raw_data=json.dumps({"html": html}))
        elif time.monotonic() - last_sent > EVENT_KEEPALIVE_SECONDS:
            last_sent = time.monotonic()
            yield ServerSentEvent(comment="keep-alive")
        if await request.is_disconnected():
            return
        await asyncio.sleep(LIVE_SECONDS)


def _without_tokens(html: str) -> str:
    marker = 'name="csrf_token" value="'
    parts = html.split(marker)
    return parts[0] + "".join(part[part.find('"') :] for part in parts[1:])


# ------------------------------------------------------------------ actions


def _flash_signature(request: Request, text: str) -> str:
    """The server's signature of an action's outcome: the page shows only outcomes it wrote
    itself, never text a crafted link puts into the query."""
    secret = context_of(request).settings.resolved_secret_key().encode()
    return hmac.new(secret, b"admin-flash\0" + text.encode(), "sha256").hexdigest()[:32]


def _flash(request: Request) -> str | None:
    text, signature = request.query_params.get("done"), request.query_params.get("sig")
    if not text or not signature:
        return None
    return text if hmac.compare_digest(signature, _flash_signature(request, text)) else None


def _back(request: Request, return_to: str, outcome: str) -> RedirectResponse:
    target = return_to if return_to.startswith("/admin") and "//" not in return_to else "/admin"
    separator = "&" if "?" in target else "?"
    text = outcome[:200]
    query = urlencode({"done": text, "sig": _flash_signature(request, text)})
    return RedirectResponse(f"{target}{separator}{query}", status_code=303)


ReturnTo = Annotated[str, Form(max_length=512)]
IdForm = Annotated[str, Form(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_.:-]+$")]
KeyForm = Annotated[str, Form(min_length=1, max_length=200)]
LoginForm = Annotated[str, Form(min_length=1, max_length=39, pattern=r"^[A-Za-z0-9_-]+$")]


async def _act(request: Request, action: str, *args: Any) -> str:
    method = getattr(console_of(request), action)
    outcome: str = await run_in_threadpool(method, *args)
    return outcome


@router.post("/admin/jobs/cancel")
async def cancel(
    request: Request, viewer: Acting, job_id: IdForm, return_to: ReturnTo = "/admin"
) -> Response:
    return _back(request, return_to, await _act(request, "cancel", viewer.login or "?", job_id))


@router.post("/admin/jobs/retry")
async def retry(
    request: Request, viewer: Acting, job_id: IdForm, return_to: ReturnTo = "/admin"
) -> Response:
    return _back(
        request,
        return_to,
        await _act(request, "retry", viewer.login or "?", job_id, viewer.credential),
    )


@router.post("/admin/dead-letters/retry")
async def retry_dead_letter(
    request: Request, viewer: Acting, message_id: IdForm, return_to: ReturnTo = "/admin"
) -> Response:
    outcome = await _act(
        request, "retry_dead_letter", viewer.login or "?", message_id, viewer.credential
    )
    return _back(request, return_to, outcome)


@router.post("/admin/dead-letters/purge")
async def purge(
    request: Request,
    viewer: Acting,
    older_than_hours: Annotated[int, Form(ge=0, le=720)] = 24,
    return_to: ReturnTo = "/admin",
) -> Response:
    outcome = await _act(request, "purge_dead_letters", viewer.login or "?", older_than_hours)
    return _back(request, return_to, outcome)


@router.post("/admin/reports/regenerate")
async def regenerate(
    request: Request, viewer: Acting, report_key: KeyForm, return_to: ReturnTo = "/admin"
) -> Response:
    outcome = await _act(request, "regenerate", viewer.login or "?", report_key, viewer.credential)
    return _back(request, return_to, outcome)


@router.post("/admin/prewarm/pause")
async def pause(request: Request, viewer: Acting, return_to: ReturnTo = "/admin") -> Response:
    return _back(request, return_to, await _act(request, "set_prewarm", viewer.login or "?", True))


@router.post("/admin/prewarm/resume")
async def resume(request: Request, viewer: Acting, return_to: ReturnTo = "/admin") -> Response:
    return _back(request, return_to, await _act(request, "set_prewarm", viewer.login or "?", False))


@router.post("/admin/limiter/release")
async def release(
    request: Request, viewer: Acting, login: LoginForm, return_to: ReturnTo = "/admin"
) -> Response:
    return _back(
        request, return_to, await _act(request, "release_slot", viewer.login or "?", login)
    )


EVERY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_route("/admin", methods=[method for method in EVERY_METHOD if method != "GET"])
@router.api_route("/admin/{rest:path}", methods=EVERY_METHOD)
async def anything_else(request: Request, viewer: Admin) -> Response:
    """Any other ``/admin`` path or method: 404 (for admins too), never a 405 that would say
    the path exists."""
    raise HTTPException(404, "Not Found")

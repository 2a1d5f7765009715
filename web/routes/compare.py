"""A period beside the one before it: ``/user/github/{username}/compare`` (page) and
``/api/reports/github/{username}/compare`` (JSON).

Both sides are normal cached reports (``gitbrag.report.comparison.previous_key`` names the
earlier one), read in one Redis round trip and put through the request-flow table
(docs/spec.md section 5) each: a missing side is generated for a viewer who may generate (the
page shows its progress and then the comparison), or asks an anonymous viewer to log in. The
comparison of two rendered versions (curation included) is rendered once per web process and
kept in its document cache.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response

from gitbrag.report.comparison import compare, comparison_json, previous_key
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import PERIODS
from gitbrag.stores.serving import ReportMeta, ViewState
from web.auth import Viewer
from web.context import AppContext, context_of
from web.flow import Outcome, decide
from web.params import REPORT_PARAMETERS
from web.presenters.compare import compare_view
from web.presenters.jobs import job_api, job_payload, not_found_message
from web.presenters.paths import login_path, report_path
from web.rendering import not_found_page, render_page
from web.schemas import CompareGenerating, Comparison, LoginRequired, NotFound, body
from web.served import (
    HTML,
    api_key,
    cache_control,
    hole_context,
    read_for_viewer,
    requested_key,
    session_ended,
)
from web.serving import respond
from web.serving.cache import CachedDocument
from web.serving.document import Document, HoleMarkers
from web.serving.front import ServedRoute
from web.serving.reader import Identity, Read
from web.serving.respond import Shared, document_response

router = APIRouter(route_class=ServedRoute, include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"], route_class=ServedRoute)

COMPARABLE_PERIODS = tuple(period for period in PERIODS if period != "all_time")


@dataclass(frozen=True, slots=True)
class _Both:
    """Both sides' reads, made in one round trip."""

    now: Read
    then: Read

    @property
    def state(self) -> ViewState:
        return self.now.state  # what the read found of the viewer: the same on both sides


async def _outcomes(
    request: Request, ctx: AppContext, key: ReportKey, earlier: ReportKey
) -> tuple[Viewer, _Both, Outcome, Outcome]:
    """Both reports in one (coalesced) read, the viewer, and each side's flow outcome."""

    async def both(who: Identity) -> _Both:
        now, then = await asyncio.gather(ctx.reader.json(key, who), ctx.reader.json(earlier, who))
        return _Both(now, then)

    reads, viewer = await read_for_viewer(request, ctx, both)
    current = await decide(ctx, key, viewer, reads.now.state)
    previous = await decide(ctx, earlier, viewer, reads.then.state)
    return viewer, reads, current, previous


def _report(read: Read) -> Report:
    assert read.document is not None
    return Report.model_validate_json(read.document.document.raw({}))


def _version(reads: _Both) -> str:
    assert reads.now.state.meta is not None and reads.then.state.meta is not None
    return f"{reads.now.state.meta.version}|{reads.then.state.meta.version}"


async def _cached(
    ctx: AppContext, key: ReportKey, name: str, version: str, render: Callable[[], Document]
) -> CachedDocument:
    """A comparison rendered once per pair of rendered versions in this process."""
    cache_key = (str(key), name, "compare")
    found = ctx.reader.cache.get(cache_key)
    if found is not None and found.version == version:
        return found
    document = await to_thread.run_sync(render)
    ctx.metrics.renders.labels("compare").inc()
    return ctx.reader.cache.put(cache_key, version, document)


def _oldest(reads: _Both) -> ReportMeta:
    metas = [read.state.meta for read in (reads.now, reads.then) if read.state.meta is not None]
    return min(metas, key=lambda meta: meta.generated_at)


# ------------------------------------------------------------------ the page


@router.get("/user/github/{username}/compare")
async def compare_page(request: Request) -> Response:
    ctx = context_of(request)
    key = requested_key(request, ctx, "/compare")
    earlier = previous_key(key)
    viewer, reads, current, previous = await _outcomes(request, ctx, key, earlier)
    path = report_path(key, "/compare")
    waiting = [o for o in (current, previous) if o.state not in ("fresh", "stale")]
    if waiting:
        return _waiting_page(request, ctx, key, path, viewer, current, previous)
    base_url = ctx.base_url(request)
    bundle = ctx.bundles.name(base_url)

    def render() -> Document:
        comparison = compare(_report(reads.now), _report(reads.then))
        markers = HoleMarkers()
        html = ctx.templates.env.get_template("compare.html").render(
            hole=markers,
            settings=ctx.settings,
            base_url=base_url,
            canonical_url=base_url + path,
            key=key,
            earlier=earlier,
            comparison=comparison,
            report=comparison.current,
            view=compare_view(comparison),
            page_path=path,
            report_path=report_path(key),
            earlier_path=report_path(earlier),
            tabs=[
                (period, report_path(key, "/compare", period=period), key.range.period == period)
                for period in COMPARABLE_PERIODS
            ],
        )
        return Document.split(html, markers)

    version = _version(reads)
    cached = await _cached(ctx, key, f"page:{bundle}:{earlier}", version, render)
    same_for_everyone = (
        viewer.kind == "anonymous"
        and current.job is None
        and previous.job is None
        and not session_ended(request)
    )
    state = "fresh" if current.state == previous.state == "fresh" else "stale"
    shared = same_for_everyone and state == "fresh"
    return document_response(
        request,
        cached,
        media_type=HTML,
        cache_control=cache_control(ctx, _oldest(reads), viewer, shared),
        holes=lambda: ctx.holes.render(
            cached.document.holes, hole_context(ctx, request, viewer, path)
        ),
        shared=Shared(f"anonymous-{state}", (version, bundle, "compare"))
        if same_for_everyone
        else None,
    )


def _waiting_page(
    request: Request,
    ctx: AppContext,
    key: ReportKey,
    path: str,
    viewer: Viewer,
    current: Outcome,
    previous: Outcome,
) -> Response:
    """Not found, log in to generate, or the progress of the side(s) being generated."""
    if current.state == "not_found" or previous.state == "not_found":
        found = current if current.state == "not_found" else previous
        return not_found_page(request, found.not_found_reason or "no_user", key.username)
    now = ctx.now()
    sides = [
        {
            "label": label,
            "key": outcome.key,
            "state": outcome.state,
            "report_path": report_path(outcome.key),
            "job": job_payload(job, now, key.username) if job and not outcome.meta else None,
            "can_cancel": job is not None and not job.finished and viewer.may_cancel(job.viewer_id),
        }
        for label, outcome in (("This period", current), ("The period before", previous))
        for job in (outcome.job,)
    ]
    login_required = any(o.state == "login_required" for o in (current, previous))
    return render_page(
        request,
        "compare_waiting.html",
        {
            "key": key,
            "sides": sides,
            "page_path": path,
            "login_path": login_path(path),
            "login_required": login_required,
        },
        status_code=401 if login_required else 200,
    )


# ------------------------------------------------------------------ the API


@api.get(
    "/reports/github/{username}/compare",
    responses={
        200: body(Comparison, "both reports cached: the comparison (`state`: fresh or stale)"),
        202: body(
            CompareGenerating,
            "`generating`: one or both reports are being generated (`jobs`)",
        ),
        400: {"description": "invalid input, or a period with nothing before it (all time)"},
        401: body(LoginRequired, "`login_required`: log in (or send a bearer token) to generate"),
        404: body(
            NotFound,
            "`not_found`: no such GitHub user, an organisation, or a private profile (`reason`)",
        ),
    },
    openapi_extra={"parameters": REPORT_PARAMETERS},
)
async def compare_api(request: Request) -> Response:
    """The period (default: the past year) beside the one before it of the same length:
    `deltas` of the summary figures (current minus previous, and the change in percent of the
    previous figure), `languages_gained`/`languages_lost`, `new_repositories` and `months` of
    both periods. Each side is a normal cached report, generated like any report."""
    ctx = context_of(request)
    key = api_key(request, ctx)
    earlier = previous_key(key)
    viewer, reads, current, previous = await _outcomes(request, ctx, key, earlier)
    cache = respond.PRIVATE if viewer.logged_in else respond.REVALIDATE
    headers: dict[str, str] = {"Cache-Control": cache, "Vary": respond.VARY}
    outcomes = (current, previous)
    if any(o.state == "not_found" for o in outcomes):
        found = next(o for o in outcomes if o.state == "not_found")
        reason = found.not_found_reason or "no_user"
        found_body = {
            "state": "not_found",
            "reason": reason,
            "detail": not_found_message(reason, key.username),
        }
        return JSONResponse(found_body, status_code=404, headers=headers)
    if any(o.state == "login_required" for o in outcomes):
        return JSONResponse({"state": "login_required"}, status_code=401, headers=headers)
    if any(o.state == "generating" for o in outcomes):
        jobs = {
            side: job_api(o.job) if o.state == "generating" and o.job else None
            for side, o in (("current", current), ("previous", previous))
        }
        return JSONResponse({"state": "generating", "jobs": jobs}, status_code=202, headers=headers)

    def render() -> Document:
        body = comparison_json(compare(_report(reads.now), _report(reads.then)))
        return Document.of(json.dumps(body, separators=(",", ":")).encode(), level=6)

    cached = await _cached(ctx, key, f"api:{earlier}", _version(reads), render)
    state = "fresh" if current.state == previous.state == "fresh" else "stale"
    head = json.dumps({"state": state}, separators=(",", ":"))[:-1] + ","
    body = head.encode() + cached.document.raw({})[1:]
    return Response(body, media_type="application/json", headers=headers)

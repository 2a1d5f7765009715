"""A period beside the one before it: ``/user/github/{username}/compare`` (page) and
``/api/reports/github/{username}/compare`` (JSON).

Both sides are normal cached reports (``gitbrag.report.comparison.previous_key`` names the earlier
one), read in one Redis round trip and put through SPEC 5's flow table each: a missing side is
generated for a viewer who may generate (the page shows its progress and then the
comparison), or asks an anonymous viewer to log in. The comparison of two rendered versions
(curation included) is rendered once per web process and kept in its document cache.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response

from gitbrag.report.comparison import compare, comparison_json, previous_key
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import PERIODS
from web.auth import Viewer, identity_of, viewer_from_state
from web.bundle import bundle_name
from web.canonical import parsed_key, request_key
from web.context import AppContext
from web.flow import Outcome, decide
from web.presenters.compare import compare_view
from web.presenters.jobs import job_api, job_payload, not_found_message, not_found_title
from web.presenters.paths import login_path, report_path
from web.rendering import public_base_url, render_page
from web.routes.reports import HTML, cache_control
from web.serving import http_cache
from web.serving.cache import CachedDocument
from web.serving.document import Document, HoleMarkers
from web.serving.reader import ANONYMOUS_IDENTITY, Read
from web.serving.respond import Shared, document_response
from web.serving.route import REPORT_PARAMETERS, ServedRoute, context_of

router = APIRouter(route_class=ServedRoute, include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"], route_class=ServedRoute)

COMPARABLE_PERIODS = tuple(period for period in PERIODS if period != "all_time")


async def _outcomes(
    request: Request, ctx: AppContext, key: ReportKey, earlier: ReportKey
) -> tuple[Viewer, tuple[Read, Outcome], tuple[Read, Outcome]]:
    """Both reports in one (coalesced) read, the viewer, and each side's flow outcome."""
    who = identity_of(request)

    async def both(identity: Any) -> tuple[Read, Read]:
        now, then = await asyncio.gather(
            ctx.reader.json(key, identity), ctx.reader.json(earlier, identity)
        )
        return now, then

    now, then = await both(who)
    viewer = await viewer_from_state(request, ctx, who, now.state)
    if getattr(request.state, "session_ended", False):
        now, then = await both(ANONYMOUS_IDENTITY)
    request.state.viewer = viewer
    current = await decide(ctx, key, viewer, now.state)
    previous = await decide(ctx, earlier, viewer, then.state)
    return viewer, (now, current), (then, previous)


def _report(read: Read) -> Report:
    assert read.document is not None
    return Report.model_validate_json(read.document.document.raw({}))


def _version(now: Read, then: Read) -> str:
    assert now.state.meta is not None and then.state.meta is not None
    return f"{now.state.meta.version}|{then.state.meta.version}"


async def _cached(
    ctx: AppContext, key: ReportKey, name: str, version: str, render: Any
) -> CachedDocument:
    """A comparison rendered once per pair of rendered versions in this process."""
    cache_key = (str(key), name, "compare")
    found = ctx.reader.cache.get(cache_key)
    if found is not None and found.version == version:
        return found
    document: Document = await to_thread.run_sync(render)
    ctx.metrics.renders.labels("compare").inc()
    return ctx.reader.cache.put(cache_key, version, document)


def _oldest(now: Read, then: Read) -> Any:
    metas = [read.state.meta for read in (now, then) if read.state.meta is not None]
    return min(metas, key=lambda meta: meta.generated_at)


# ------------------------------------------------------------------ the page


@router.get("/user/github/{username}/compare")
async def compare_page(request: Request) -> Response:
    ctx = context_of(request)
    key = request_key(request, request.path_params["username"], "/compare")
    earlier = previous_key(key)
    viewer, (now, current), (then, previous) = await _outcomes(request, ctx, key, earlier)
    path = report_path(key, "/compare")
    waiting = [o for o in (current, previous) if o.state not in ("fresh", "stale")]
    if waiting:
        return _waiting_page(request, ctx, key, path, viewer, current, previous)
    base_url = public_base_url(request)
    bundle = bundle_name(base_url, ctx.settings)

    def render() -> Document:
        comparison = compare(_report(now), _report(then))
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

    cached = await _cached(ctx, key, f"page:{bundle}:{earlier}", _version(now, then), render)
    same_for_everyone = (
        viewer.kind == "anonymous"
        and current.job is None
        and previous.job is None
        and not getattr(request.state, "session_ended", False)
    )
    state = "fresh" if current.state == previous.state == "fresh" else "stale"

    def holes() -> dict[str, bytes]:
        context = {
            "viewer": viewer,
            "settings": ctx.settings,
            "current_path": path,
            "session_ended": getattr(request.state, "session_ended", False),
        }
        return ctx.holes.render(cached.document.holes, context)

    meta = _oldest(now, then)
    return document_response(
        request,
        cached,
        media_type=HTML,
        cache_control=cache_control(ctx, meta, viewer, same_for_everyone and state == "fresh"),
        holes=holes,
        shared=Shared(f"anonymous-{state}", (_version(now, then), bundle, "compare"))
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
        reason = found.not_found_reason or "no_user"
        error = {
            "error": {
                "status": 404,
                "title": not_found_title(reason),
                "message": not_found_message(reason, key.username),
            }
        }
        return render_page(request, "error.html", error, status_code=404)
    now = ctx.now()
    sides = []
    for label, outcome in (("This period", current), ("The period before", previous)):
        job = outcome.job
        sides.append(
            {
                "label": label,
                "key": outcome.key,
                "state": outcome.state,
                "report_path": report_path(outcome.key),
                "job": job_payload(job, now, key.username) if job and not outcome.meta else None,
                "can_cancel": job is not None
                and not job.finished
                and viewer.may_cancel(job.viewer_id),
            }
        )
    context: dict[str, Any] = {
        "key": key,
        "sides": sides,
        "page_path": path,
        "login_path": login_path(path),
        "login_required": any(o.state == "login_required" for o in (current, previous)),
    }
    status = 401 if context["login_required"] else 200
    return render_page(request, "compare_waiting.html", context, status_code=status)


# ------------------------------------------------------------------ the API


@api.get(
    "/reports/github/{username}/compare",
    responses={
        200: {"description": "both reports cached: the comparison (`state`: fresh or stale)"},
        202: {"description": "`generating`: one or both reports are being generated (`jobs`)"},
        400: {"description": "invalid input, or a period with nothing before it (all time)"},
        401: {"description": "`login_required`: log in (or send a bearer token) to generate"},
        404: {
            "description": "`not_found`: no such GitHub user, an organisation, or a private "
            "profile (`reason`)"
        },
    },
    openapi_extra={"parameters": REPORT_PARAMETERS},
)
async def compare_api(request: Request) -> Response:
    """The period (default: the past year) beside the one before it of the same length:
    `deltas` of the summary figures (current minus previous, and the change in percent of the
    previous figure), `languages_gained`/`languages_lost`, `new_repositories` and `months` of
    both periods. Each side is a normal cached report, generated like any report."""
    ctx = context_of(request)
    key = parsed_key(request, request.path_params["username"])
    earlier = previous_key(key)
    viewer, (now, current), (then, previous) = await _outcomes(request, ctx, key, earlier)
    cache = http_cache.PRIVATE if viewer.logged_in else http_cache.REVALIDATE
    headers: dict[str, str] = {"Cache-Control": cache, "Vary": http_cache.VARY}
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
        body = comparison_json(compare(_report(now), _report(then)))
        return Document.of(json.dumps(body, separators=(",", ":")).encode(), level=6)

    cached = await _cached(ctx, key, f"api:{earlier}", _version(now, then), render)
    state = "fresh" if current.state == previous.state == "fresh" else "stale"
    head = json.dumps({"state": state}, separators=(",", ":"))[:-1] + ","
    body = head.encode() + cached.document.raw({})[1:]
    return Response(body, media_type="application/json", headers=headers)

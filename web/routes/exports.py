"""The exports (``.json``: the stored bytes; ``.md``: rendered once per version) and the API's
report (``GET /api/reports/github/{username}``: the stored JSON in an envelope assembled per
request). Cached views like the report page (``web.served``): one Redis read, cached bodies.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response

from gitbrag.report.keys import ReportKey
from web.auth import ANONYMOUS
from web.bundle import MARKDOWN
from web.context import AppContext, context_of
from web.flow import Outcome, decide
from web.params import REPORT_PARAMETERS
from web.presenters.formatting import iso_utc
from web.presenters.jobs import job_api, not_found_message
from web.rendering import not_found_page
from web.schemas import Generating, LoginRequired, NotFound, ReportEnvelope, body, job_links
from web.served import api_key, cache_control, missing, read_for_viewer, requested_key
from web.serving import respond
from web.serving.chunks import Chunk
from web.serving.front import ServedRoute
from web.serving.reader import ANONYMOUS_IDENTITY, Read
from web.serving.respond import Shared, bytes_response, document_response

# Declared before the report page's ``/user/github/{username}``, which would match
# ``name.json`` too.
router = APIRouter(route_class=ServedRoute, include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"], route_class=ServedRoute)

_JSON_TAIL = Chunk.of(b"}")


def _export(
    request: Request,
    ctx: AppContext,
    key: ReportKey,
    read: Read,
    extension: str,
    media_type: str,
    *variant: str,
) -> Response:
    """An export: the same bytes for everyone (cached by version and ``variant``), a file
    name of the user's, 404 while there is no report (saying why when GitHub has none for
    the login: no such user, an organisation, a private profile)."""
    reason = read.state.unknown_reason
    if reason is not None:
        if extension == ".json":
            body = {
                "state": "not_found",
                "reason": reason,
                "detail": not_found_message(reason, key.username),
            }
            return JSONResponse(body, status_code=404)
        return not_found_page(request, reason, key.username)
    if read.state.meta is None or read.document is None:
        raise missing(key)
    meta = read.state.meta
    return document_response(
        request,
        read.document,
        media_type=media_type,
        cache_control=cache_control(ctx, meta, ANONYMOUS, shared=True),
        shared=Shared(extension.lstrip("."), (meta.version, *variant)),
        vary="Accept-Encoding",
        headers={"Content-Disposition": f'inline; filename="gitbrag-{key.username}{extension}"'},
    )


@router.get("/user/github/{username}.json")
async def export_json(request: Request) -> Response:
    """The report as stored (the bytes the worker wrote)."""
    ctx = context_of(request)
    key = requested_key(request, ctx, ".json")
    read = await ctx.reader.json(key, ANONYMOUS_IDENTITY)
    return _export(request, ctx, key, read, ".json", "application/json")


@router.get("/user/github/{username}.md")
async def export_markdown(request: Request) -> Response:
    ctx = context_of(request)
    key = requested_key(request, ctx, ".md")
    base_url = ctx.base_url(request)
    bundle = ctx.bundles.name(base_url)
    read = await ctx.reader.page(key, MARKDOWN, bundle, base_url, ANONYMOUS_IDENTITY)
    return _export(request, ctx, key, read, ".md", "text/markdown; charset=utf-8", bundle)


def _envelope(ctx: AppContext, outcome: Outcome) -> bytes:
    """The API body before the report: state, age and the job, then ``"report":``."""
    assert outcome.meta is not None
    head = {
        "state": outcome.state,
        "generated_at": iso_utc(outcome.meta.generated_at),
        "age_seconds": round(outcome.meta.age_seconds(ctx.now())),
        "job": job_api(outcome.job) if outcome.job else None,
    }
    return json.dumps(head, separators=(",", ":")).encode()[:-1] + b',"report":'


@api.get(
    "/reports/github/{username}",
    responses={
        200: body(
            ReportEnvelope, "`fresh` or `stale` report, with the job regenerating it (if any)"
        ),
        202: body(
            Generating,
            "`generating`: no report yet, a job is collecting it",
            links=job_links("/job/id"),
        ),
        400: {"description": "invalid username, period or date range"},
        401: body(LoginRequired, "`login_required`: log in (or send a bearer token) to generate"),
        404: body(
            NotFound,
            "`not_found`: GitHub has no such user (`reason`: `no_user`), the login is an "
            "organisation's (`reason`: `organization`), or its owner made their profile private "
            "and hid their activity (`reason`: `private_profile`); `detail` says so in words",
        ),
    },
    openapi_extra={"parameters": REPORT_PARAMETERS},
)
async def get_report(request: Request) -> Response:
    """A report by the request-flow table (docs/spec.md section 5): served from the cache when
    present; generated in the background when missing or stale and the caller may generate.
    `report` is the stored report, byte for byte."""
    ctx = context_of(request)
    key = api_key(request, ctx)
    read, viewer = await read_for_viewer(request, ctx, lambda who: ctx.reader.json(key, who))
    outcome = await decide(ctx, key, viewer, read.state)
    cache_control = respond.PRIVATE if viewer.logged_in else respond.REVALIDATE
    if outcome.state in ("fresh", "stale") and read.document is not None:
        (report,) = read.document.document.parts
        assert isinstance(report, Chunk)
        parts: list[Chunk | bytes] = [_envelope(ctx, outcome), report, _JSON_TAIL]
        return bytes_response(
            request, parts, media_type="application/json", cache_control=cache_control
        )
    body: dict[str, Any] = {"state": outcome.state}
    if outcome.state == "generating":
        assert outcome.job is not None
        body["job"] = job_api(outcome.job)
    elif outcome.state == "not_found":
        body["reason"] = outcome.not_found_reason or "no_user"
        body["detail"] = not_found_message(body["reason"], outcome.key.username)
    return JSONResponse(
        body,
        status_code=outcome.http_status,
        headers={"Cache-Control": cache_control, "Vary": respond.VARY},
    )

"""Report views: the report page and its paged repositories, pull requests and issues, served
from documents rendered once per report version (``web.bundle``, ``web.serving``) after one
Redis read (the steps of every cached view: ``web.served``). The generating, log-in and
not-found answers are rendered per request: they are small and not report content.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.stores.serving import ReportMeta
from web.auth import Viewer
from web.bundle import PAGE, issues_name, pulls_name, repositories_name
from web.context import AppContext, context_of
from web.flow import decide
from web.presenters.jobs import job_payload
from web.presenters.paths import (
    issues_path,
    login_path,
    pulls_path,
    refresh_path,
    report_path,
    repositories_path,
)
from web.rendering import hidden_fields, not_found_page, report_state_page
from web.served import (
    HTML,
    cache_control,
    hole_context,
    missing,
    page_number,
    read_for_viewer,
    requested_key,
    session_ended,
)
from web.serving.front import ServedRoute
from web.serving.respond import Shared, document_response

router = APIRouter(route_class=ServedRoute, include_in_schema=False)

# A repository's owner is a login (``gitbrag.report.logins``: ``octo_acme``, ``-jerry-``
# too) or an organisation's name; a repository's name begins with a letter or digit.
_OWNER = re.compile(r"(?=[._-]*[A-Za-z0-9])[A-Za-z0-9._-]{1,100}", re.ASCII)
_REPOSITORY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def owns_report(viewer: Viewer, key: ReportKey, meta: ReportMeta) -> bool:
    """Whether the report is the viewer's own (they may curate it): their login is the
    report's and, for a report that records its account, their account is that one (a login
    can change hands; the former holder's session may still carry it for a while)."""
    if not viewer.logged_in or viewer.login is None or viewer.login.lower() != key.username:
        return False
    return meta.account is None or viewer.is_account(meta.account)


@router.get("/user/github/{username}")
async def report_page(request: Request) -> Response:
    ctx = context_of(request)
    key = requested_key(request, ctx)
    base_url = ctx.base_url(request)
    bundle = ctx.bundles.name(base_url)
    read, viewer = await read_for_viewer(
        request, ctx, lambda who: ctx.reader.page(key, PAGE, bundle, base_url, who)
    )
    outcome = await decide(ctx, key, viewer, read.state)
    if outcome.job is not None:
        ctx.metrics.job_states_seen.labels(outcome.job.status).inc()
    if outcome.state not in ("fresh", "stale"):
        return report_state_page(request, outcome, viewer)
    assert outcome.meta is not None and read.document is not None
    meta, cached = outcome.meta, read.document
    same_for_everyone = (
        viewer.kind == "anonymous" and outcome.job is None and not session_ended(request)
    )

    def holes() -> dict[str, bytes]:
        page_path = report_path(key)
        context = hole_context(ctx, request, viewer, page_path)
        context.update(
            {
                "notice": outcome.notice,
                "job": job_payload(outcome.job, ctx.now(), key.username) if outcome.job else None,
                "can_cancel": outcome.job is not None and viewer.may_cancel(outcome.job.viewer_id),
                "page_path": page_path,
                "login_path": login_path(page_path),
                "generated_at": meta.generated_at,
                "refresh_path": refresh_path(key.username),
                "hidden_fields": hidden_fields(key),
                "owns_report": owns_report(viewer, key, meta),
                "curate_path": report_path(key, "/curate"),
            }
        )
        return ctx.holes.render(cached.document.holes, context)

    return document_response(
        request,
        cached,
        media_type=HTML,
        cache_control=cache_control(ctx, meta, viewer, same_for_everyone),
        holes=holes,
        shared=Shared(f"anonymous-{outcome.state}", (meta.version, bundle))
        if same_for_everyone
        else None,
    )


# ------------------------------------------------------------------ paged parts of a report


async def _paged(
    request: Request, ctx: AppContext, key: ReportKey, name: str, path: str
) -> Response:
    base_url = ctx.base_url(request)
    bundle = ctx.bundles.name(base_url)
    read, viewer = await read_for_viewer(
        request, ctx, lambda who: ctx.reader.page(key, name, bundle, base_url, who)
    )
    meta = read.state.meta
    if read.state.unknown_reason is not None:
        return not_found_page(request, read.state.unknown_reason, key.username)
    if meta is None:
        raise missing(key)
    if read.document is None:
        raise HTTPException(404, "This report has no such page.")
    same_for_everyone = viewer.kind == "anonymous" and not session_ended(request)
    document = read.document.document
    return document_response(
        request,
        read.document,
        media_type=HTML,
        cache_control=cache_control(ctx, meta, viewer, same_for_everyone),
        holes=lambda: ctx.holes.render(document.holes, hole_context(ctx, request, viewer, path)),
        shared=Shared("anonymous", (meta.version, bundle)) if same_for_everyone else None,
    )


@router.get("/user/github/{username}/repositories")
async def repositories_page(request: Request) -> Response:
    """One page of the report's repositories (each with its most recent pull requests)."""
    ctx = context_of(request)
    key = requested_key(request, ctx, "/repositories")
    page = page_number(request)
    return await _paged(request, ctx, key, repositories_name(page), repositories_path(key, page))


@router.get("/user/github/{username}/repositories/{owner}/{name}")
async def pulls_page(request: Request) -> Response:
    """One page of a repository's pull requests in the report ("Show all N")."""
    owner, name = request.path_params["owner"], request.path_params["name"]
    if not (_OWNER.fullmatch(owner) and _REPOSITORY_PART.match(name)):
        raise InvalidInput("not a repository name")
    ctx = context_of(request)
    key = requested_key(request, ctx, f"/repositories/{owner}/{name}")
    page = page_number(request)
    full_name = f"{owner}/{name}"
    return await _paged(
        request, ctx, key, pulls_name(full_name, page), pulls_path(key, full_name, page)
    )


@router.get("/user/github/{username}/issues")
async def issues_page(request: Request) -> Response:
    """One page of the issues the report's user opened ("Show all N issues")."""
    ctx = context_of(request)
    key = requested_key(request, ctx, "/issues")
    page = page_number(request)
    return await _paged(request, ctx, key, issues_name(page), issues_path(key, page))

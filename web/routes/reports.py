"""Report views: the report page and its paged repositories, pull requests and issues, served
from documents rendered once per report version (``web.serving``) after one Redis read. The
exports and the API's report: ``web.routes.exports``.

A view: parse the request · one (shared) Redis read: version, job, session · the flow table ·
the cached document with the viewer's holes filled (or the same bytes every anonymous visitor
gets) · caching headers. The generating, log-in and not-found answers are rendered per request
as before: they are small and not report content.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.stores.serving import ReportMeta
from web.auth import Viewer, identity_of, viewer_from_state
from web.bundle import PAGE, bundle_name, issues_name, pulls_name, repositories_name
from web.canonical import query_of, request_key
from web.context import AppContext
from web.flow import Outcome, decide
from web.presenters.jobs import job_payload, not_found_message, not_found_title
from web.presenters.paths import (
    issues_path,
    login_path,
    pulls_path,
    refresh_path,
    report_path,
    repositories_path,
)
from web.rendering import public_base_url, render_page
from web.routes.pages import hidden_fields, report_context
from web.serving import http_cache
from web.serving.reader import ANONYMOUS_IDENTITY, Identity, Read
from web.serving.respond import Shared, document_response
from web.serving.route import ServedRoute, context_of

router = APIRouter(route_class=ServedRoute, include_in_schema=False)

HTML = "text/html; charset=utf-8"
# A repository's owner is a login (``gitbrag.report.periods``: ``octo_acme``, ``-jerry-`` too) or an
# organisation's name; a repository's name begins with a letter or digit.
_OWNER = re.compile(r"(?=[._-]*[A-Za-z0-9])[A-Za-z0-9._-]{1,100}", re.ASCII)
_REPOSITORY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def cache_control(ctx: AppContext, meta: ReportMeta, viewer: Viewer, shared: bool) -> str:
    """Public while fresh for bodies everyone gets; private for anything a session or token
    shaped; revalidated otherwise (see ``web.serving.http_cache``)."""
    if not shared:
        return http_cache.PRIVATE if viewer.kind != "anonymous" else http_cache.REVALIDATE
    age = meta.age_seconds(ctx.now())
    if age < ctx.settings.report_fresh_seconds:
        return http_cache.public(ctx.settings.report_fresh_seconds, age)
    return http_cache.REVALIDATE


async def read_for_viewer(
    request: Request, ctx: AppContext, read: Callable[[Identity], Awaitable[Read]]
) -> tuple[Read, Viewer]:
    """One read (with the viewer's session or token), and the viewer it found. Ending a
    revoked session cancels its queued jobs, so that rare path reads again."""
    who = identity_of(request)
    result = await read(who)
    viewer = await viewer_from_state(request, ctx, who, result.state)
    if getattr(request.state, "session_ended", False):
        result = await read(ANONYMOUS_IDENTITY)
    request.state.viewer = viewer
    return result, viewer


def owns_report(viewer: Viewer, key: ReportKey, meta: ReportMeta) -> bool:
    """Whether the report is the viewer's own (they may curate it): their login is the
    report's and, for a report that records its account, their account is that one (a login
    can change hands; the former holder's session may still carry it for a while)."""
    if not viewer.logged_in or viewer.login is None or viewer.login.lower() != key.username:
        return False
    return meta.account is None or viewer.is_account(meta.account)


def missing(key: ReportKey) -> HTTPException:
    return HTTPException(404, f"No report for {key.username} yet: open {report_path(key)}")


def not_found_page(request: Request, reason: str, username: str) -> Response:
    """The 404 page saying why GitHub has no report for ``username`` (no such user, an
    organisation, a private profile)."""
    error = {
        "status": 404,
        "title": not_found_title(reason),
        "message": not_found_message(reason, username),
    }
    return render_page(request, "error.html", {"error": error}, status_code=404)


# ------------------------------------------------------------------ the report page


def _hole_context(
    ctx: AppContext, request: Request, viewer: Viewer, current_path: str
) -> dict[str, Any]:
    return {
        "viewer": viewer,
        "settings": ctx.settings,
        "current_path": current_path,
        "session_ended": getattr(request.state, "session_ended", False),
    }


@router.get("/user/github/{username}")
async def report_page(request: Request) -> Response:
    ctx = context_of(request)
    key = request_key(request, request.path_params["username"])
    base_url = public_base_url(request)
    bundle = bundle_name(base_url, ctx.settings)
    read, viewer = await read_for_viewer(
        request, ctx, lambda who: ctx.reader.page(key, PAGE, bundle, base_url, who)
    )
    outcome = await decide(ctx, key, viewer, read.state)
    if outcome.job is not None:
        ctx.metrics.job_states_seen.labels(outcome.job.status).inc()
    if outcome.state not in ("fresh", "stale"):
        return _report_state_page(request, outcome, viewer)
    assert outcome.meta is not None and read.document is not None
    meta, cached = outcome.meta, read.document
    session_ended = getattr(request.state, "session_ended", False)
    same_for_everyone = viewer.kind == "anonymous" and outcome.job is None and not session_ended

    def holes() -> dict[str, bytes]:
        page_path = report_path(key)
        context = _hole_context(ctx, request, viewer, page_path)
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


def _report_state_page(request: Request, outcome: Outcome, viewer: Viewer) -> Response:
    """Not found, log in to generate, generating: small pages rendered per request."""
    context = report_context(request, outcome, viewer)
    if outcome.state == "not_found":
        reason = outcome.not_found_reason or "no_user"
        context["error"] = {
            "status": 404,
            "title": not_found_title(reason),
            "message": not_found_message(reason, outcome.key.username),
        }
        return render_page(request, "error.html", context, status_code=404)
    if outcome.state == "login_required":
        return render_page(request, "login_required.html", context, status_code=401)
    return render_page(request, "generating.html", context)


# ------------------------------------------------------------------ paged parts of a report


def _page_number(request: Request) -> int:
    raw = query_of(request).get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise InvalidInput("page must be a number from 1")
    return int(raw)


async def _paged(request: Request, key: ReportKey, name: str, path: str) -> Response:
    ctx = context_of(request)
    base_url = public_base_url(request)
    bundle = bundle_name(base_url, ctx.settings)
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
    same_for_everyone = viewer.kind == "anonymous" and not getattr(
        request.state, "session_ended", False
    )
    document = read.document.document
    return document_response(
        request,
        read.document,
        media_type=HTML,
        cache_control=cache_control(ctx, meta, viewer, same_for_everyone),
        holes=lambda: ctx.holes.render(document.holes, _hole_context(ctx, request, viewer, path)),
        shared=Shared("anonymous", (meta.version, bundle)) if same_for_everyone else None,
    )


@router.get("/user/github/{username}/repositories")
async def repositories_page(request: Request) -> Response:
    """One page of the report's repositories (each with its most recent pull requests)."""
    username = request.path_params["username"]
    key = request_key(request, username, "/repositories")
    page = _page_number(request)
    return await _paged(request, key, repositories_name(page), repositories_path(key, page))


@router.get("/user/github/{username}/repositories/{owner}/{name}")
async def pulls_page(request: Request) -> Response:
    """One page of a repository's pull requests in the report ("Show all N")."""
    owner, name = request.path_params["owner"], request.path_params["name"]
    if not (_OWNER.fullmatch(owner) and _REPOSITORY_PART.match(name)):
        raise InvalidInput("not a repository name")
    suffix = f"/repositories/{owner}/{name}"
    key = request_key(request, request.path_params["username"], suffix)
    page = _page_number(request)
    full_name = f"{owner}/{name}"
    return await _paged(request, key, pulls_name(full_name, page), pulls_path(key, full_name, page))


@router.get("/user/github/{username}/issues")
async def issues_page(request: Request) -> Response:
    """One page of the issues the report's user opened ("Show all N issues")."""
    key = request_key(request, request.path_params["username"], "/issues")
    page = _page_number(request)
    return await _paged(request, key, issues_name(page), issues_path(key, page))

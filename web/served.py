"""The steps every cached view shares (the report page and its paged parts, the exports, the
API's report, the embeds, the comparison), so that no route module uses another as a library.

A view: the key its address names (``requested_key``: an upper-case login is a 301 to the
lower-case address, built here only) · one (coalesced) Redis read that also finds the viewer's
session or token (``read_for_viewer``) · the flow table (``web.flow``) · a cached document with
the viewer's holes filled (``hole_context``), or the same bytes every anonymous visitor gets ·
caching headers (``cache_control``). Their routes are ``ServedRoute``s
(``web.serving.front``): they take the request and parse their own input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, TypeVar

from fastapi import HTTPException
from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.report.logins import validate_username
from gitbrag.stores.serving import ReportMeta
from web.auth import Found, Viewer, identity_of, viewer_for
from web.context import AppContext
from web.params import cached_key, query_of
from web.presenters.paths import report_path, user_path
from web.serving import respond
from web.serving.reader import ANONYMOUS_IDENTITY, Identity

HTML: Final = "text/html; charset=utf-8"
MAX_PAGE: Final = 100_000


class NotCanonical(Exception):
    """The answer is a 301 to ``location`` (``web.errors`` sends it)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location

    def response(self) -> Response:
        return RedirectResponse(self.location, status_code=301)


def requested_key(request: Request, ctx: AppContext, suffix: str = "") -> ReportKey:
    """The report ``/user/github/{username}{suffix}`` and its query name: ``NotCanonical`` for
    a login with upper-case letters (a 301 to the lower-case address, query kept, before the
    query is read), ``InvalidInput`` for anything invalid."""
    username: str = request.path_params["username"]
    if username != username.lower():
        validate_username(username)  # an invalid login is a 400, never a redirect
        query = request.scope["query_string"].decode("latin-1")
        raise NotCanonical(user_path(username.lower(), suffix) + (f"?{query}" if query else ""))
    return api_key(request, ctx)


def api_key(request: Request, ctx: AppContext) -> ReportKey:
    """The report an API address names (its login in any case: the API does not redirect),
    parsed once per distinct request a day (``web.params.cached_key``)."""
    today = ctx.now().date()  # presets move with the calendar
    return cached_key(request.path_params["username"], request.scope["query_string"], today)


def page_number(request: Request) -> int:
    """The ``page`` of a paged view (1 when absent)."""
    raw = query_of(request.scope["query_string"]).get("page", "1")
    # ASCII digits only: ``str.isdigit`` says yes to "²", which ``int`` refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput("page must be a number from 1")
    return int(raw)


class Answered(Protocol):
    """A view's read (a ``Read``, or both of a comparison's): ``state`` has what it found of
    the viewer."""

    @property
    def state(self) -> Found: ...


AnswerT = TypeVar("AnswerT", bound=Answered)


async def read_for_viewer(
    request: Request, ctx: AppContext, read: Callable[[Identity], Awaitable[AnswerT]]
) -> tuple[AnswerT, Viewer]:
    """One read (``read``, with the viewer's session or token) and the viewer it found.
    Ending a revoked session cancels its queued jobs, so that rare path reads again, as
    anonymous."""
    who = identity_of(request)
    answer = await read(who)
    viewer = await viewer_for(request, ctx, who, answer.state)
    if session_ended(request):
        answer = await read(ANONYMOUS_IDENTITY)
    request.state.viewer = viewer
    return answer, viewer


def session_ended(request: Request) -> bool:
    """The viewer's session ended during this request (``web.auth``): "log in again"."""
    return bool(getattr(request.state, "session_ended", False))


def cache_control(ctx: AppContext, meta: ReportMeta, viewer: Viewer, shared: bool) -> str:
    """Public while fresh for bodies everyone gets; private for anything a session or token
    shaped; revalidated otherwise (``web.serving.respond``)."""
    if not shared:
        return respond.PRIVATE if viewer.kind != "anonymous" else respond.REVALIDATE
    age = meta.age_seconds(ctx.now())
    if age < ctx.settings.report_fresh_seconds:
        return respond.public(ctx.settings.report_fresh_seconds, age)
    return respond.REVALIDATE


def hole_context(
    ctx: AppContext, request: Request, viewer: Viewer, current_path: str
) -> dict[str, Any]:
    """What every hole of a page needs (the report page adds its notice and refresh)."""
    return {
        "viewer": viewer,
        "settings": ctx.settings,
        "current_path": current_path,
        "session_ended": session_ended(request),
    }


def missing(key: ReportKey) -> HTTPException:
    return HTTPException(404, f"No report for {key.username} yet: open {report_path(key)}")

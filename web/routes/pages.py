"""The home page and its search box. The report and everything shown of it are cached views
(``web.routes.reports``, ``exports``, ``embeds``, ``compare``); its form actions are
``web.routes.refresh`` and ``web.routes.jobs``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from gitbrag.report.logins import validate_username
from web.auth import CurrentViewer
from web.context import Ctx
from web.presenters.paths import user_path
from web.rendering import render_page

router = APIRouter(tags=["pages"], include_in_schema=False)

EXAMPLE_USERS = ("octocat", "torvalds", "gaearon")


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, ctx: Ctx, viewer: CurrentViewer) -> Response:
    # `gitbrag demo` runs against the simulated GitHub: offer its sample users.
    demo_users = ctx.settings.demo_user_list if ctx.settings.demo else ()
    examples = demo_users or EXAMPLE_USERS
    return render_page(request, "home.html", {"examples": examples})


@router.get("/search")
async def search(request: Request, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """The home page's form: a login (or a github.com profile URL) to its report."""
    candidate = q.strip().removeprefix("@").rstrip("/")
    for prefix in ("https://github.com/", "http://github.com/", "github.com/"):
        if candidate.lower().startswith(prefix):
            candidate = candidate[len(prefix) :].split("/")[0]
    validate_username(candidate)
    return RedirectResponse(user_path(candidate.lower()), status_code=303)

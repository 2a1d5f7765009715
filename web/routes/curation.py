"""The author's curation of their public reports (``gitbrag.report.curation``): a page to hide pull
requests or whole repositories and pin up to five pull requests, its form action, and the same
through the API.

Only the report's own user may curate it: the GitHub *account* that holds the report's login
(a viewer whose login is the report's, case-insensitively, and whose account id is the one
GitHub last said holds that login); anyone else gets 403. The curation belongs to the account
(``gitbrag.stores.curation``): after a login changes hands, its new holder starts with no
choices and never sees or changes the previous account's, and a renamed account keeps its
choices under its new login. Cookie sessions send their CSRF token (the form field, or the
API's ``X-CSRF-Token``). Every change can be undone (the last 20). What is hidden or pinned
must be in one of the author's reports (``gitbrag.stores.curation_targets``), a curation has
a size cap, and an account may change it ``CURATION_CHANGES_PER_HOUR`` times an hour. A
change is served from the next request on: renderings are named by the curation's version
(``gitbrag.stores.serving``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gitbrag.errors import InvalidInput
from gitbrag.report.curation import MAX_PINS, Curation, pull_request_ref, repository_name
from gitbrag.report.logins import validate_username
from gitbrag.report.models import PullRequestOut, RepositoryOut
from gitbrag.report.periods import PERIOD_LABELS, PERIODS
from gitbrag.stores.curation import account_owner
from web.auth import (
    CsrfForm,
    CsrfHeader,
    CurrentViewer,
    ReturnToForm,
    Viewer,
    WritingViewer,
    check_csrf,
    safe_return_to,
)
from web.context import AppContext, Ctx
from web.params import QueryOptions
from web.presenters.paths import curate_path, login_path, report_path, user_path
from web.presenters.report import Tab
from web.rendering import render_page
from web.schemas import CurationBody, ErrorBody, body

router = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])

ROWS_PER_PAGE = 100
Action = Literal[
    "hide_repository",
    "show_repository",
    "hide_pull_request",
    "show_pull_request",
    "pin",
    "unpin",
    "undo",
    "reset",
]
EDITS: dict[str, Callable[[Curation, str], Curation]] = {
    "hide_repository": Curation.hide_repository,
    "show_repository": Curation.show_repository,
    "hide_pull_request": Curation.hide_pull_request,
    "show_pull_request": Curation.show_pull_request,
    "pin": Curation.pin,
    "unpin": Curation.unpin,
}


async def require_owner(ctx: AppContext, viewer: Viewer, username: str) -> str:
    """The curation owner (``account_owner``) of the viewer, when they may curate
    ``username``'s reports: their GitHub account is the one that holds the login now (when
    GitHub has told us who does; otherwise their login is ``username``, case-insensitively).
    Accounts, not logins, decide: a viewer renamed a minute ago (whose token check still
    names the old login) curates their reports under the new one. 401 when not logged in (or
    GitHub has not told us the session's account yet), 403 otherwise; 400 for what cannot be
    a login."""
    validate_username(username)
    if not viewer.logged_in or viewer.login is None:
        raise HTTPException(401, "log in first")
    if viewer.account_id is None:
        raise HTTPException(401, "GitHub has not confirmed your account yet: log in again.")
    holder = await run_in_threadpool(ctx.service.login_holder, username)
    same_login = viewer.login.lower() == username.lower()
    owns = same_login if holder is None else holder == viewer.account_id
    if not owns:
        if same_login:
            raise HTTPException(
                403, f"@{username} now belongs to another GitHub account: only it can curate."
            )
        raise HTTPException(403, f"Only @{username} can curate @{username}'s reports.")
    return account_owner(viewer.account_id)


# Actions that add to a curation: their target must be in one of the author's reports.
ADDING: Final = {"hide_repository": "repository", "hide_pull_request": "pull", "pin": "pull"}


def check_target(ctx: AppContext, username: str, account_id: int, action: str, target: str) -> None:
    """``InvalidInput`` unless ``target`` is something the author's stored reports show
    (showing, unpinning, undo and reset take anything: they only give back)."""
    kind = ADDING.get(action)
    if kind is None:
        return
    known = ctx.curation_targets.known(username, account_id)
    if kind == "repository":
        name = repository_name(target).lower()
        if name not in known.repositories:
            raise InvalidInput(f"{target} is not in any of your reports")
        return
    repo, number = pull_request_ref(target)
    if f"{repo}#{number}".lower() not in known.pull_requests:
        raise InvalidInput(f"{target} is not in any of your reports")


def apply_action(
    ctx: AppContext, owner: str, username: str, account_id: int, action: str, target: str
) -> Curation:
    """Change ``owner``'s curation: 400 (``InvalidInput``) for a bad target or one none of
    the author's reports show, 429 past ``CURATION_CHANGES_PER_HOUR``."""
    store = ctx.curation
    check_target(ctx, username, account_id, action, target)
    decision = store.take_change(owner, ctx.settings.curation_changes_per_hour)
    if not decision.allowed:
        wait = decision.retry_after_seconds
        raise HTTPException(
            429,
            f"Too many curation changes this hour; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    if action == "undo":
        return store.undo(owner) or store.get(owner)
    if action == "reset":
        return store.change(owner, lambda _: Curation())
    edit = EDITS[action]
    return store.change(owner, lambda current: edit(current, target))


# ------------------------------------------------------------------ the page


@router.get("/user/github/{username}/curate")
async def curate_page(
    request: Request,
    ctx: Ctx,
    viewer: CurrentViewer,
    username: str,
    options: QueryOptions,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The owner's curation page for one period's report (every pull request, hidden or not)."""
    key = options.key(username.lower())
    path = curate_path(key, page)
    if not viewer.logged_in:
        return RedirectResponse(login_path(path), status_code=303)
    owner = await require_owner(ctx, viewer, key.username)
    stored = await run_in_threadpool(ctx.service.get_report, key)
    if stored is not None and stored.report.user.id not in (None, viewer.account_id):
        stored = None  # another account's report of this login is never shown as theirs
    curation = await run_in_threadpool(ctx.curation.get, owner)
    can_undo = await run_in_threadpool(ctx.curation.can_undo, owner)
    rows: list[tuple[RepositoryOut, PullRequestOut]] = []
    if stored is not None:
        rows = [(repo, pr) for repo in stored.report.repositories for pr in repo.pull_requests]
    pages = max(1, -(-len(rows) // ROWS_PER_PAGE))
    shown = rows[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE]
    groups: list[tuple[RepositoryOut, list[PullRequestOut]]] = []
    for repo, pr in shown:
        if not groups or groups[-1][0] is not repo:
            groups.append((repo, []))
        groups[-1][1].append(pr)
    context = {
        "key": key,
        "report": stored.report if stored else None,
        "curation": curation,
        "can_undo": can_undo,
        "groups": groups,
        "page": page,
        "pages": pages,
        "page_path": report_path(key),
        "current_path": path,
        "action_path": user_path(key.username, "/curation"),
        "previous_path": curate_path(key, page - 1) if page > 1 else None,
        "next_path": curate_path(key, page + 1) if page < pages else None,
        "tabs": [
            Tab(PERIOD_LABELS[period], curate_path(key, period=period), key.range.period == period)
            for period in PERIODS
        ],
        "max_pins": MAX_PINS,
    }
    return render_page(request, "curate.html", context)


@router.post("/user/github/{username}/curation")
async def curation_form(
    ctx: Ctx,
    viewer: WritingViewer,
    username: str,
    action: Annotated[Action, Form()],
    csrf_token: CsrfForm = "",
    target: Annotated[str, Form(max_length=200)] = "",
    return_to: ReturnToForm = "",
) -> Response:
    """The curation page's buttons: hide, show, pin, unpin, undo, reset; then back."""
    owner = await require_owner(ctx, viewer, username)
    check_csrf(viewer, csrf_token)
    assert viewer.account_id is not None  # require_owner checked it
    await run_in_threadpool(apply_action, ctx, owner, username, viewer.account_id, action, target)
    back = safe_return_to(return_to, default=user_path(username.lower(), "/curate"))
    return RedirectResponse(back, status_code=303)


# ------------------------------------------------------------------ the API


class CurationChange(BaseModel):
    action: Action
    target: str = Field("", max_length=200, description="owner/name, or owner/name#number")


def _curation_body(ctx: AppContext, username: str, owner: str, curation: Curation) -> JSONResponse:
    answer = CurationBody(
        username=username,
        hidden_repositories=list(curation.hidden_repositories),
        hidden_pull_requests=list(curation.hidden_pull_requests),
        pinned=list(curation.pinned),
        version=curation.version,
        can_undo=ctx.curation.can_undo(owner),
    )
    return JSONResponse(answer.model_dump(), headers={"Cache-Control": "private, no-store"})


CURATION_RESPONSES: dict[int | str, dict[str, object]] = {
    200: body(CurationBody),
    400: {
        "description": "a target that is not a repository or pull request, or none of your "
        "reports shows; a sixth pin; a curation as large as it may be"
    },
    429: body(ErrorBody, "too many changes this hour (`Retry-After`)"),
    401: body(ErrorBody, "not logged in (session or bearer token)"),
    403: body(
        ErrorBody,
        "not the report's user (the GitHub account holding the login), a missing "
        "`X-CSRF-Token` (sessions), or a bearer token another application got (changes take "
        "a session, a personal token or gitbrag's own)",
    ),
}


@api.get("/curation/github/{username}", responses=CURATION_RESPONSES)
async def get_curation(ctx: Ctx, viewer: CurrentViewer, username: str) -> JSONResponse:
    """Your curation (pull requests and repositories hidden from your public reports, pins).
    Only for the user themself."""
    owner = await require_owner(ctx, viewer, username)
    curation = await run_in_threadpool(ctx.curation.get, owner)
    return await run_in_threadpool(_curation_body, ctx, username.lower(), owner, curation)


@api.post("/curation/github/{username}", responses=CURATION_RESPONSES)
async def change_curation(
    ctx: Ctx,
    viewer: WritingViewer,
    username: str,
    change: CurationChange,
    x_csrf_token: CsrfHeader = None,
) -> JSONResponse:
    """Hide or show a repository (`owner/name`) or pull request (`owner/name#123`), pin or
    unpin a pull request (at most five), `undo` the last change or `reset` everything."""
    owner = await require_owner(ctx, viewer, username)
    check_csrf(viewer, x_csrf_token)
    assert viewer.account_id is not None  # require_owner checked it
    curation = await run_in_threadpool(
        apply_action, ctx, owner, username, viewer.account_id, change.action, change.target
    )
    return await run_in_threadpool(_curation_body, ctx, username.lower(), owner, curation)

"""Login with GitHub (OAuth web flow) and logout.

- ``/auth/login?return_to=/local/path``: a signed ``state`` (``web.login_state``: nothing is
  stored, so no address can flush anyone's login in flight) that also sits, with the path
  to return to, in a short-lived HttpOnly cookie, so the callback can check (in constant
  time) that it comes back to the browser that started it; the PKCE challenge (S256) of a
  verifier derived from it.
- ``/auth/callback``: check the state, exchange the code (with the PKCE verifier), ask GitHub
  who the token belongs to (login and account id: the login's holder is recorded), store the
  token only through the service (encrypted), start a server-side session keeping the
  account id.
- ``POST /auth/logout`` (CSRF): revoke the session's token at GitHub (``DELETE
  /applications/{client_id}/token``), delete the session and the viewer's credential, and
  tell the browser to drop this site's data (``Clear-Site-Data``); the viewer's jobs that
  have not started are cancelled, unless another viewer joined them (those carry on with
  that viewer's credential). Logging in again over a session cancels nothing.
"""

from __future__ import annotations

import functools
import hmac
import logging
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gitbrag.errors import GitHubError, Unauthorized
from gitbrag.github import oauth
from gitbrag.jobs.handover import same_account
from gitbrag.jobs.service import CredentialRef
from web import login_state
from web.auth import (
    RETURN_TO_MAX_LENGTH,
    CsrfForm,
    CurrentViewer,
    ReturnToForm,
    check_csrf,
    safe_return_to,
    session_cookie_name,
    state_cookie_name,
)
from web.context import AppContext, Ctx, context_of
from web.rendering import error_page

router = APIRouter(prefix="/auth", tags=["auth"], include_in_schema=False)
logger = logging.getLogger("gitbrag.web.auth")


def _set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int, path: str
) -> None:
    """Every gitbrag cookie is HttpOnly and SameSite=Lax, and Secure when served over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=context_of(request).over_https(request),
        path=path,
    )


def _delete_cookie(response: Response, request: Request, name: str, *, path: str) -> None:
    # A prefixed cookie is only accepted (and so only deleted) with the attributes it needs.
    response.delete_cookie(
        name,
        path=path,
        secure=context_of(request).over_https(request),
        httponly=True,
        samesite="lax",
    )


def _callback_url(request: Request) -> str:
    return context_of(request).base_url(request) + "/auth/callback"


@router.get("/login")
async def login(
    request: Request,
    ctx: Ctx,
    return_to: Annotated[str | None, Query(max_length=RETURN_TO_MAX_LENGTH)] = None,
) -> Response:
    if not oauth.is_configured(ctx.settings):
        raise HTTPException(503, "Login is not configured on this server (no GitHub OAuth app).")
    target = safe_return_to(return_to)
    pending = login_state.begin(ctx.settings.resolved_secret_key(), target, now=time.time())
    url = oauth.authorize_url(
        ctx.settings,
        state=pending.state,
        redirect_uri=_callback_url(request),
        code_verifier=pending.code_verifier,
    )
    response = RedirectResponse(url, status_code=302)
    _set_cookie(
        response,
        request,
        state_cookie_name(request),
        pending.cookie,
        max_age=login_state.STATE_TTL_SECONDS,
        path="/auth",
    )
    return response


def _login_failed(request: Request, message: str, status: int = 400) -> Response:
    response = error_page(request, status, "Login failed", message, show_login=True)
    _delete_cookie(response, request, state_cookie_name(request), path="/auth")
    return response


@router.get("/callback")
async def callback(
    request: Request,
    ctx: Ctx,
    code: Annotated[str | None, Query(max_length=256)] = None,
    state: Annotated[str | None, Query(max_length=256)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response:
    kept = request.cookies.get(state_cookie_name(request), "")
    if (
        not state
        or not kept
        or not hmac.compare_digest(state.encode(), kept.rpartition(".")[0].encode())
    ):
        ctx.metrics.logins.labels("bad_state").inc()
        return _login_failed(request, "This login link is not valid here. Please try again.")
    pending = login_state.finish(ctx.settings.secret_keys(), state, kept, now=time.time())
    if pending is None:
        ctx.metrics.logins.labels("bad_state").inc()
        return _login_failed(request, "This login link expired or was already used. Try again.")
    return_to = pending.return_to
    if error or not code:
        ctx.metrics.logins.labels("denied").inc()
        return _login_failed(request, "GitHub did not authorize gitbrag, so you are not logged in.")
    try:
        token = await oauth.exchange_code(
            ctx.settings,
            code=code,
            redirect_uri=_callback_url(request),
            code_verifier=pending.code_verifier,
        )
        owner = await ctx.github_viewer(token)
    except (oauth.OAuthError, Unauthorized) as exc:
        ctx.metrics.logins.labels("refused").inc()
        return _login_failed(request, str(exc))
    except GitHubError as exc:
        ctx.metrics.logins.labels("github_error").inc()
        return _login_failed(request, f"GitHub is not answering right now: {exc}", 503)
    session_id = ctx.sessions.new_session_id()
    viewer_id = ctx.sessions.viewer_id_for(session_id)
    credential = await ctx.store_credential(token, viewer_id)
    previous = request.cookies.get(session_cookie_name(request))
    if previous:  # logging in again: the old session (and its credential) ends here
        old = await run_in_threadpool(ctx.sessions.get, previous)
        if old is not None:  # its jobs carry on, or leave (``gitbrag.jobs.handover``)
            same = same_account(
                old_account_id=old.account_id,
                old_login=old.login,
                new_account_id=owner.id,
                new_login=owner.login,
            )
            await run_in_threadpool(
                functools.partial(
                    ctx.service.delete_viewer_credentials,
                    old.viewer_id,
                    successor=(viewer_id, credential) if same else None,
                )
            )
            await run_in_threadpool(ctx.sessions.delete, previous)
    await run_in_threadpool(
        functools.partial(
            ctx.sessions.save,
            session_id,
            login=owner.login,
            avatar_url=None,
            credential_ref=str(credential),
            account_id=owner.id,
        )
    )
    ctx.metrics.logins.labels("ok").inc()
    logger.info("login ok for %s (GitHub account %d)", owner.login, owner.id)
    response = RedirectResponse(safe_return_to(return_to), status_code=303)
    _delete_cookie(response, request, state_cookie_name(request), path="/auth")
    _set_cookie(
        response,
        request,
        session_cookie_name(request),
        session_id,
        max_age=ctx.sessions.session_ttl,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(
    request: Request,
    ctx: Ctx,
    viewer: CurrentViewer,
    csrf_token: CsrfForm = "",
    return_to: ReturnToForm = "/",
) -> Response:
    if viewer.kind == "session":
        check_csrf(viewer, csrf_token)
        assert viewer.session_id is not None and viewer.viewer_id is not None
        await _revoke_at_github(ctx, viewer.credential)
        await run_in_threadpool(ctx.service.delete_viewer_credentials, viewer.viewer_id)
        await run_in_threadpool(ctx.sessions.delete, viewer.session_id)
    response = RedirectResponse(safe_return_to(return_to), status_code=303)
    _delete_cookie(response, request, session_cookie_name(request), path="/")
    # The browser drops what it kept of this site: cookies, storage, cached pages.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


async def _revoke_at_github(ctx: AppContext, credential: CredentialRef | None) -> None:
    """Logging out ends the token at GitHub too (an OAuth token lives until revoked): best
    effort, a logout never waits on GitHub's answer to succeed."""
    if credential is None:
        return
    token = await run_in_threadpool(ctx.service.stores.credentials.token, credential)
    if token is None:
        return
    if not await oauth.revoke_app_token(ctx.settings, token):
        logger.warning("logout: GitHub did not confirm the token's revocation")

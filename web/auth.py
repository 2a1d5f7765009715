"""Who is asking: an anonymous visitor, a logged-in browser session, or an API client with a
GitHub token (``Authorization: Bearer``), and what they are allowed to do.

Bearer tokens are validated against GitHub (``GET /user``) and the validation is cached
briefly (``SessionStore.bearer_ttl``) so a polling client does not cost a GitHub call per
request. An invalid token is a 401, never a silent anonymous downgrade.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Form, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from gitbrag.errors import GitHubError, Unauthorized
from gitbrag.service import CredentialRef
from gitbrag.stores.serving import ViewState
from gitbrag.stores.sessions import BearerValidation, Session
from web.context import AppContext
from web.serving.reader import Identity

SESSION_COOKIE = "gitbrag_session"
STATE_COOKIE = "gitbrag_oauth_state"

CSRF_TOKEN_MAX_LENGTH = 128
RETURN_TO_MAX_LENGTH = 2048

# How state-changing routes receive the CSRF token (form field or the API's header) and the
# local path a form returns to (see ``check_csrf`` and ``safe_return_to``).
CsrfForm = Annotated[str, Form(max_length=CSRF_TOKEN_MAX_LENGTH)]
CsrfHeader = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=CSRF_TOKEN_MAX_LENGTH)]
ReturnToForm = Annotated[str, Form(max_length=RETURN_TO_MAX_LENGTH)]

ViewerKind = Literal["anonymous", "session", "bearer"]


@dataclass(frozen=True, slots=True)
class Viewer:
    """The requester. ``credential`` is what generation would run with (``None``: cannot)."""

    kind: ViewerKind
    login: str | None = None
    avatar_url: str | None = None
    viewer_id: str | None = None
    credential: CredentialRef | None = None
    session_id: str | None = None
    csrf_token: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.kind != "anonymous"

    @property
    def can_generate(self) -> bool:
        return self.credential is not None

    @property
    def quota_key(self) -> str:
        """Forced-refresh quotas count per GitHub account, not per session."""
        return (self.login or self.viewer_id or "anonymous").lower()

    def owns(self, job_viewer_id: str | None) -> bool:
        return job_viewer_id is not None and job_viewer_id == self.viewer_id

    def may_cancel(self, job_viewer_id: str | None, admins: frozenset[str]) -> bool:
        """The viewer who started a job, or an admin (``GITBRAG_ADMIN_LOGINS``)."""
        if self.owns(job_viewer_id):
            return True
        return self.logged_in and self.login is not None and self.login.lower() in admins


ANONYMOUS = Viewer(kind="anonymous")


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    # GitHub tokens are printable ASCII without spaces; anything else never reaches GitHub.
    if not token or len(token) > 512 or not all(33 <= ord(char) < 127 for char in token):
        raise HTTPException(status_code=401, detail="malformed bearer token")
    return token


async def _validate_bearer(ctx: AppContext, token: str) -> BearerValidation:
    cached = await run_in_threadpool(ctx.sessions.get_bearer, token)
    if cached is not None:
        revoked = await run_in_threadpool(
            ctx.service.credential_is_invalid, CredentialRef(cached.credential_ref)
        )
        if not revoked:
            return cached
        await run_in_threadpool(ctx.sessions.forget_bearer, token)
    try:
        login = await ctx.github_login(token)
    except Unauthorized:
        raise HTTPException(status_code=401, detail="GitHub rejected the token") from None
    except GitHubError as exc:
        raise HTTPException(status_code=503, detail=f"could not validate the token: {exc}") from exc
    viewer_id = ctx.sessions.bearer_viewer_id(token)
    credential = await ctx.store_credential(token, viewer_id)
    validation = BearerValidation(login=login, credential_ref=str(credential), viewer_id=viewer_id)
    await run_in_threadpool(ctx.sessions.put_bearer, token, validation)
    return validation


def _anonymous(ctx: AppContext) -> Viewer:
    if not ctx.settings.anonymous_generation:
        return ANONYMOUS
    credential = ctx.service.server_credential()
    return Viewer(kind="anonymous", credential=credential) if credential else ANONYMOUS


def _from_session(session_id: str, session: Session) -> Viewer:
    return Viewer(
        kind="session",
        login=session.login,
        avatar_url=session.avatar_url,
        viewer_id=session.viewer_id,
        credential=CredentialRef(session.credential_ref),
        session_id=session_id,
        csrf_token=session.csrf_token,
    )


async def resolve_viewer(request: Request, ctx: AppContext) -> Viewer:
    """Bearer token first (API clients), then the session cookie, else anonymous."""
    token = _bearer_token(request)
    if token is not None:
        validation = await _validate_bearer(ctx, token)
        return Viewer(
            kind="bearer",
            login=validation.login,
            viewer_id=validation.viewer_id,
            credential=CredentialRef(validation.credential_ref),
        )
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        session = await run_in_threadpool(ctx.sessions.get, session_id)
        if session is not None:
            if not await run_in_threadpool(_end_if_revoked, ctx, session_id, session):
                return _from_session(session_id, session)
            request.state.session_ended = True
    return await run_in_threadpool(_anonymous, ctx)


def identity_of(request: Request) -> Identity:
    """What the view's Redis read must look up for this request: the bearer token's
    validation, or the session cookie's session (raises 401 for a malformed bearer token)."""
    token = _bearer_token(request)
    if token is not None:
        return Identity(bearer_token=token)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id and len(session_id) <= 128:
        return Identity(session_id=session_id)
    return Identity()


async def viewer_from_state(
    request: Request, ctx: AppContext, who: Identity, state: ViewState
) -> Viewer:
    """The viewer, from what the view's Redis read found for ``who`` (``identity_of``).

    Rare paths take more: a bearer token not validated lately is checked with GitHub, and a
    session whose token GitHub rejected is ended (``request.state.session_ended``)."""
    if who.bearer_token is not None:
        validation = state.bearer
        if validation is None or state.credential_revoked:
            validation = await _validate_bearer(ctx, who.bearer_token)
        return Viewer(
            kind="bearer",
            login=validation.login,
            viewer_id=validation.viewer_id,
            credential=CredentialRef(validation.credential_ref),
        )
    if who.session_id is not None and state.session is not None:
        ended = state.credential_revoked and await run_in_threadpool(
            _end_if_revoked, ctx, who.session_id, state.session
        )
        if not ended:
            return _from_session(who.session_id, state.session)
        request.state.session_ended = True
    return _anonymous(ctx)


def _end_if_revoked(ctx: AppContext, session_id: str, session: Session) -> bool:
    """GitHub rejected the session's token during a job (expired or revoked): end the
    session so the viewer sees "log in again" instead of jobs that can never run."""
    if not ctx.service.credential_is_invalid(CredentialRef(session.credential_ref)):
        return False
    ctx.service.delete_viewer_credentials(session.viewer_id)
    ctx.sessions.delete(session_id)
    return True


def check_csrf(viewer: Viewer, submitted: str | None) -> None:
    """Cookie sessions must echo their CSRF token on every state-changing request.

    Bearer clients are exempt: a browser never attaches an ``Authorization`` header on its
    own, so a cross-site request cannot carry one.
    """
    if viewer.kind == "bearer":
        return
    if viewer.kind != "session" or viewer.csrf_token is None:
        raise HTTPException(status_code=401, detail="log in first")
    if not submitted or not hmac.compare_digest(submitted.encode(), viewer.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="the form expired; reload the page and retry")


def safe_return_to(value: str | None, default: str = "/") -> str:
    """Only local absolute paths: ``/user/github/x?period=2_years`` yes; ``//evil``,
    ``https://evil.example``, ``/\\evil`` and control characters no."""
    if not value or len(value) > RETURN_TO_MAX_LENGTH:
        return default
    if not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return default
    if any(ord(char) < 0x20 or char == "\\" for char in value):
        return default
    return value

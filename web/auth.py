"""Who is asking: an anonymous visitor, a logged-in browser session, or an API client with a
GitHub token (``Authorization: Bearer``), and what they are allowed to do.

Bearer tokens are validated against GitHub (``GET /user``) and the validation is cached
briefly (``SessionStore.bearer_ttl``) so a polling client does not cost a GitHub call per
request; each validation keeps one encrypted copy of the token, named by its keyed
fingerprint (a polling client does not pile up copies). An invalid token is a 401, never a
silent anonymous downgrade.

A viewer is a GitHub *account*: ``GET /user`` gives its login and immutable id, and what a
viewer owns (their curation, their limits and quotas, admin rights) follows the id, since a
login can change hands. Sessions and validations from before account ids are checked with
GitHub again at their next use (until then the viewer owns nothing); every check records the
login's holder (``gitbrag.stores.accounts``) and a rename updates the session's login.
"""

from __future__ import annotations

import base64
import functools
import hmac
import secrets
import time
from dataclasses import dataclass, replace
from typing import Annotated, Final, Literal, Protocol

from fastapi import Depends, Form, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from gitbrag.errors import GitHubError, Unauthorized
from gitbrag.github import oauth
from gitbrag.jobs import permissions
from gitbrag.jobs.quotas import address_subject, viewer_subject
from gitbrag.jobs.service import CredentialRef
from gitbrag.stores.sessions import BearerValidation, Session
from web.context import AppContext, context_of
from web.serving.reader import Identity

SESSION_COOKIE = "gitbrag_session"
STATE_COOKIE = "gitbrag_oauth_state"
# Over https the cookies carry the prefixes browsers enforce: ``__Host-`` (Secure, this host
# only, path /: no subdomain or plain-http page can plant or overwrite a session) and
# ``__Secure-`` for the login state, which lives under /auth.
SECURE_SESSION_COOKIE = "__Host-" + SESSION_COOKIE
SECURE_STATE_COOKIE = "__Secure-" + STATE_COOKIE


def session_cookie_name(request: Request) -> str:
    """The session cookie's name; over https only the ``__Host-`` one is read or written."""
    return SECURE_SESSION_COOKIE if context_of(request).over_https(request) else SESSION_COOKIE


def state_cookie_name(request: Request) -> str:
    return SECURE_STATE_COOKIE if context_of(request).over_https(request) else STATE_COOKIE


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
    address: str | None = None  # the client's address (limits anonymous generation)
    # GitHub's immutable id of the viewer's account (``None``: anonymous, or a session from
    # before account ids that GitHub has not confirmed again yet)
    account_id: int | None = None
    admin: bool = False  # ``GITBRAG_ADMIN_LOGINS`` names this account

    @property
    def logged_in(self) -> bool:
        return self.kind != "anonymous"

    @property
    def form_csrf_token(self) -> str:
        """The CSRF token as a page carries it: masked afresh each time (``mask_csrf``)."""
        return mask_csrf(self.csrf_token) if self.csrf_token else ""

    @property
    def can_generate(self) -> bool:
        return self.credential is not None

    @property
    def quota_key(self) -> str:
        """Forced-refresh quotas count per GitHub account (by id), not per session or login."""
        if self.login:
            return viewer_subject(self.login, self.account_id)
        return (self.viewer_id or "anonymous").lower()

    def with_address(self, address: str | None) -> Viewer:
        return replace(self, address=address)

    def is_account(self, account_id: int | None) -> bool:
        """Whether the viewer is GitHub account ``account_id`` (never for an unknown id)."""
        return self.logged_in and self.account_id is not None and self.account_id == account_id

    def may_cancel(self, job_viewer_id: str | None) -> bool:
        """``gitbrag.jobs.permissions.may_cancel``: they started it, or they are an admin."""
        return permissions.may_cancel(
            job_viewer_id, viewer_id=self.viewer_id, logged_in=self.logged_in, admin=self.admin
        )


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


async def _validate_bearer(request: Request, ctx: AppContext, token: str) -> BearerValidation:
    """A validation from the cache (``BEARER_CACHE_SECONDS``), else from GitHub: never for a
    token GitHub rejected lately, and at most ``BEARER_VALIDATIONS_PER_MINUTE`` per client
    address, so a flood of made-up tokens cannot get this server's address throttled."""
    cached = await run_in_threadpool(ctx.sessions.get_bearer, token)
    if cached is not None and cached.account_id is not None:
        revoked = await run_in_threadpool(
            ctx.service.credential_is_invalid, CredentialRef(cached.credential_ref)
        )
        if not revoked:
            return cached
        await run_in_threadpool(ctx.sessions.forget_bearer, token)
    checks = ctx.bearer_checks
    if await run_in_threadpool(checks.rejected, token):
        raise HTTPException(status_code=401, detail="GitHub rejected the token")
    client = address_subject(_address(request) or "unknown", ctx.settings.resolved_secret_key())
    decision = await run_in_threadpool(checks.take_validation, client)
    if not decision.allowed:
        wait = decision.retry_after_seconds
        raise HTTPException(
            status_code=429,
            detail=f"Too many new tokens from this address (GitHub rejected too many of them); "
            f"try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    try:
        owner = await ctx.github_viewer(token)
    except Unauthorized:
        await run_in_threadpool(checks.remember_rejected, token)
        await run_in_threadpool(checks.count_rejection, client)
        raise HTTPException(status_code=401, detail="GitHub rejected the token") from None
    except GitHubError as exc:
        raise HTTPException(status_code=503, detail=f"could not validate the token: {exc}") from exc
    viewer_id = ctx.sessions.bearer_viewer_id(token)
    credential = await ctx.store_token_credential(token, viewer_id)
    validation = BearerValidation(
        login=owner.login,
        credential_ref=str(credential),
        viewer_id=viewer_id,
        account_id=owner.id,
    )
    await run_in_threadpool(ctx.sessions.put_bearer, token, validation)
    return validation


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


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
        account_id=session.account_id,
    )


def _from_bearer(validation: BearerValidation) -> Viewer:
    return Viewer(
        kind="bearer",
        login=validation.login,
        viewer_id=validation.viewer_id,
        credential=CredentialRef(validation.credential_ref),
        account_id=validation.account_id,
    )


async def _with_admin(ctx: AppContext, viewer: Viewer) -> Viewer:
    """The viewer, an admin when ``GITBRAG_ADMIN_LOGINS`` names their account (Redis is read
    only for a login the setting names, once per process)."""
    if viewer.account_id is None or not ctx.admins.named(viewer.login):
        return viewer
    admin = await run_in_threadpool(ctx.admins.is_admin, viewer.login, viewer.account_id)
    return replace(viewer, admin=admin)


def identity_of(request: Request) -> Identity:
    """What the view's Redis read must look up for this request: the bearer token's
    validation, or the session cookie's session (raises 401 for a malformed bearer token)."""
    token = _bearer_token(request)
    if token is not None:
        return Identity(bearer_token=token)
    session_id = request.cookies.get(session_cookie_name(request))
    if session_id and len(session_id) <= 128:
        return Identity(session_id=session_id)
    return Identity()


class Found(Protocol):
    """What a read found for an ``Identity``: the session or bearer validation it names, and
    whether its credential was revoked (a view's ``ViewState`` is one)."""

    @property
    def session(self) -> Session | None: ...
    @property
    def bearer(self) -> BearerValidation | None: ...
    @property
    def credential_revoked(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class FoundNow:
    """An identity's session looked up on its own (routes without a view's read)."""

    session: Session | None = None
    bearer: BearerValidation | None = None  # looked up by ``_validate_bearer`` itself
    credential_revoked: bool = False


async def viewer_for(request: Request, ctx: AppContext, who: Identity, found: Found) -> Viewer:
    """The viewer ``who`` is (``identity_of``), from what a read ``found`` for it, with the
    client's address: the one resolution of every route (the cached views read their
    identity with the report, ``current_viewer`` reads it alone).

    Bearer token first (API clients), then the session cookie, else anonymous. Rare paths
    take more: a bearer token not validated lately is checked with GitHub, a session whose
    token GitHub rejected is ended (``request.state.session_ended``), and a session not
    checked for ``SESSION_REVALIDATE_SECONDS`` is checked with GitHub again."""
    viewer = await _viewer_for(request, ctx, who, found)
    return viewer.with_address(_address(request))


async def _viewer_for(request: Request, ctx: AppContext, who: Identity, found: Found) -> Viewer:
    if who.bearer_token is not None:
        validation = found.bearer
        if validation is None or validation.account_id is None or found.credential_revoked:
            validation = await _validate_bearer(request, ctx, who.bearer_token)
        return await _with_admin(ctx, _from_bearer(validation))
    if who.session_id is not None and found.session is not None:
        viewer = await _session_viewer(
            request, ctx, who.session_id, found.session, revoked=found.credential_revoked
        )
        if viewer is not None:
            return viewer
    return _anonymous(ctx)


async def current_viewer(request: Request) -> Viewer:
    """Dependency: the viewer of a route without a view's read (its session read alone)."""
    ctx = context_of(request)
    who = identity_of(request)
    found = FoundNow()
    if who.session_id is not None:
        session = await run_in_threadpool(ctx.sessions.get, who.session_id)
        if session is not None:
            found = FoundNow(session, None, await run_in_threadpool(_revoked, ctx, session))
    viewer = await viewer_for(request, ctx, who, found)
    request.state.viewer = viewer
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]

# GitHub's token prefixes ("Behind GitHub's new authentication token formats"): a person makes
# a personal access token themself, in their settings; an OAuth app (``gho_``) or a GitHub
# App acting for a user (``ghu_``) gets one whenever someone signs in to it.
PERSONAL_PREFIXES: Final = ("github_pat_", "ghp_")
APP_USER_PREFIXES: Final = ("gho_", "ghu_")
NOT_A_PERSON_PREFIXES: Final = ("ghs_", "ghr_")  # installation and refresh tokens
FOREIGN_TOKEN: Final = (
    "This token was issued to another application. To change things on gitbrag, log in, or "
    "use a personal access token (github_pat_... or ghp_...) you made yourself."
)


async def writing_viewer(request: Request) -> Viewer:
    """Dependency of every route that changes something (curation, cancel): the viewer, when
    they may write. A browser session may (with its CSRF token, checked by the route); a
    bearer token may when it is a personal access token (``github_pat_``, ``ghp_``: made by
    its owner, so pasting it here is deliberate) or a token this site's OAuth app issued
    (GitHub's "check a token" for our client id says so; asked once per validation, i.e.
    at most every ``BEARER_CACHE_SECONDS``). Any other token, such as one another "Sign in
    with GitHub" site got when its user signed in there, reads but never writes: 403."""
    viewer = await current_viewer(request)
    if viewer.kind != "bearer":
        return viewer
    token = _bearer_token(request)
    assert token is not None  # a bearer viewer came from one
    ctx = context_of(request)
    validation = await run_in_threadpool(ctx.sessions.get_bearer, token)
    writes = validation.writes if validation is not None else None
    if writes is None:
        writes = await _may_write(ctx, token)
        if validation is not None:
            await run_in_threadpool(ctx.sessions.note_bearer_writes, token, validation, writes)
    if not writes:
        raise HTTPException(status_code=403, detail=FOREIGN_TOKEN)
    return viewer


async def _may_write(ctx: AppContext, token: str) -> bool:
    if token.startswith(PERSONAL_PREFIXES):
        return True
    if token.startswith(NOT_A_PERSON_PREFIXES):
        return False
    # An app's user token, or a token without a known prefix (older GitHub Enterprise
    # Servers): ours only if GitHub says our OAuth app issued it.
    try:
        issued = await oauth.check_app_token(ctx.settings, token)
    except oauth.OAuthError as exc:
        raise HTTPException(status_code=503, detail=f"could not check the token: {exc}") from exc
    return issued is not None


WritingViewer = Annotated[Viewer, Depends(writing_viewer)]


def _revoked(ctx: AppContext, session: Session) -> bool:
    return ctx.service.credential_is_invalid(CredentialRef(session.credential_ref))


async def _session_viewer(
    request: Request, ctx: AppContext, session_id: str, session: Session, *, revoked: bool
) -> Viewer | None:
    """The session's viewer, or ``None`` when the session just ended: its token was revoked
    (GitHub said so during a job, or no configured key decrypts it any more), or GitHub
    rejects it now, asked because the last check is ``SESSION_REVALIDATE_SECONDS`` old (or
    the session is from before account ids). An ended session shows "log in again"
    (``request.state.session_ended``)."""
    now = time.time()
    checked: Session | None = session
    if not revoked and session.validation_due(now, ctx.settings.session_revalidate_seconds):
        checked = await _checked_now(ctx, session_id, session, now)
    if not revoked and checked is not None:
        return await _with_admin(ctx, _from_session(session_id, checked))
    await run_in_threadpool(_end_session, ctx, session_id, session)
    request.state.session_ended = True
    return None


async def _checked_now(
    ctx: AppContext, session_id: str, session: Session, now: float
) -> Session | None:
    """Ask GitHub about the session's token (one request per session does, the others go
    on with the session as it is); ``None`` when GitHub rejects it, it cannot be decrypted,
    or it now belongs to another account than the session's. GitHub not answering keeps the
    session: it is asked again on a later request. The session returned carries the
    account's id and its login now (a rename changes it)."""
    if not await run_in_threadpool(ctx.sessions.claim_revalidation, session):
        return session
    credentials = ctx.service.stores.credentials
    token = await run_in_threadpool(credentials.token, session.credential_ref)
    if token is None:
        return None
    try:
        owner = await ctx.github_viewer(token)
    except Unauthorized:
        await run_in_threadpool(credentials.mark_invalid, session.credential_ref)
        return None
    except GitHubError:
        return session
    if session.account_id is not None and session.account_id != owner.id:
        return None  # cannot happen with GitHub's tokens; never let it pass as the session's
    return await run_in_threadpool(
        functools.partial(
            ctx.sessions.mark_validated,
            session_id,
            session,
            now,
            login=owner.login,
            account_id=owner.id,
        )
    )


def _end_session(ctx: AppContext, session_id: str, session: Session) -> None:
    """GitHub rejected the session's token (expired or revoked): end the session so the
    viewer sees "log in again" instead of jobs that can never run."""
    ctx.service.delete_viewer_credentials(session.viewer_id)
    ctx.sessions.delete(session_id)


def mask_csrf(token: str) -> str:
    """``token`` behind a one-time pad: ``base64url(pad + (pad XOR token))``. Pages are
    compressed per response (home, curate, errors) next to text a request chose (its query):
    a token that never repeats gives a compression oracle (BREACH) nothing to converge on."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    masked = pad + bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    return base64.urlsafe_b64encode(masked).decode().rstrip("=")


def unmask_csrf(value: str) -> bytes | None:
    """The token a ``mask_csrf`` value carries (``None`` when it is not one)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return None
    if not raw or len(raw) % 2:
        return None
    half = len(raw) // 2
    return bytes(a ^ b for a, b in zip(raw[:half], raw[half:], strict=True))


def check_csrf(viewer: Viewer, submitted: str | None) -> None:
    """Cookie sessions must echo their CSRF token on every state-changing request: masked as
    the pages carry it (``form_csrf_token``), or as it is (pages served before masking).

    Bearer clients are exempt: a browser never attaches an ``Authorization`` header on its
    own, so a cross-site request cannot carry one.
    """
    if viewer.kind == "bearer":
        return
    if viewer.kind != "session" or viewer.csrf_token is None:
        raise HTTPException(status_code=401, detail="log in first")
    expected = viewer.csrf_token.encode()
    if not submitted or not submitted.isascii():
        raise HTTPException(status_code=403, detail="the form expired; reload the page and retry")
    unmasked = unmask_csrf(submitted) if len(submitted) != len(expected) else None
    if not hmac.compare_digest(unmasked or submitted.encode(), expected):
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

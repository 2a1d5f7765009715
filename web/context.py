"""What every request handler needs, built once per app by ``create_app``, and the one way to
reach it from a request (``context_of``; ``Ctx`` for FastAPI's dependencies)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from gitbrag.github.client import GitHubClient, TokenOwner
from gitbrag.jobs.service import CredentialRef, ReportService
from gitbrag.settings import Settings
from gitbrag.stores.admin_pins import AdminRights
from gitbrag.stores.bearer_checks import BearerChecks
from gitbrag.stores.curation import CurationStore
from gitbrag.stores.curation_targets import CurationTargets
from gitbrag.stores.sessions import SessionStore
from web.bundle import BundleRenderer
from web.console import Console
from web.embeds.render import EmbedRenderer
from web.live import JobFeeds
from web.metrics import Metrics
from web.serving.holes import HoleRenderer
from web.serving.reader import ReportReader
from web.serving.view_counts import ViewCounter


@dataclass(slots=True)
class AppContext:
    settings: Settings
    service: ReportService
    sessions: SessionStore
    bearer_checks: BearerChecks
    templates: Jinja2Templates
    metrics: Metrics
    feeds: JobFeeds
    reader: ReportReader  # report views: one Redis read, rendered documents
    bundles: BundleRenderer  # what a report version renders to, by site address
    holes: HoleRenderer  # the viewer-specific parts of cached pages
    views: ViewCounter  # views, written to Redis in batches
    embeds: EmbedRenderer  # cards, badges and social images of reports
    curation: CurationStore  # the authors' choices of what their reports show
    curation_targets: CurationTargets  # what they may hide or pin: what their reports show
    admins: AdminRights  # who may cancel anyone's job (GitHub accounts, not logins)
    console: Console  # what the operations console (/admin) reads and does

    @property
    def credential_ttl_seconds(self) -> int:
        """Sessions end when their credential does (``settings.credential_ttl_seconds``)."""
        return self.settings.credential_ttl_seconds

    async def store_credential(self, token: str, viewer_id: str) -> CredentialRef:
        """Keep ``viewer_id``'s GitHub ``token`` (encrypted, through the service) for as long
        as its session may live."""
        return await run_in_threadpool(
            self.service.store_credential,
            token,
            viewer_id=viewer_id,
            ttl_seconds=self.credential_ttl_seconds,
        )

    async def store_token_credential(self, token: str, viewer_id: str) -> CredentialRef:
        """Keep an API client's ``token`` for its jobs: one encrypted copy per token (named
        by its keyed fingerprint), whose expiry each validation pushes back."""
        return await run_in_threadpool(
            functools.partial(
                self.service.stores.credentials.store_per_token,
                token,
                viewer_id=viewer_id,
                ttl_seconds=self.credential_ttl_seconds,
            )
        )

    async def github_viewer(self, token: str) -> TokenOwner:
        """Who GitHub says ``token`` belongs to (login and account id), remembered as that
        login's holder (a change of hands drops the former holder's reports) and for the
        admin pins; raises ``Unauthorized`` when the token is bad."""
        client = GitHubClient.from_settings(self.settings, token)
        try:
            owner = await client.viewer()
        finally:
            await client.aclose()
        await run_in_threadpool(self._observe, owner)
        return owner

    def _observe(self, owner: TokenOwner) -> None:
        self.service.saw_account(owner.login, owner.id)
        self.admins.observe(owner.login, owner.id)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def base_url(self, request: HTTPConnection) -> str:
        """``https://gitbrag.example`` from ``PUBLIC_URL``, else from the (proxied) request:
        its scheme and ``Host`` header (or the server address), and the app's root path."""
        if self.settings.public_url:
            return str(self.settings.public_url).rstrip("/")
        scope = request.scope
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        if host is not None:
            netloc = host.decode("latin-1")
        else:
            server_host, port = scope.get("server") or ("localhost", 80)
            netloc = server_host if port in (80, 443) else f"{server_host}:{port}"
        return f"{scope.get('scheme', 'http')}://{netloc}{scope.get('root_path', '')}".rstrip("/")

    def over_https(self, request: HTTPConnection) -> bool:
        """``PUBLIC_URL`` says https, or the request came over https (directly, or through a
        proxy in ``TRUSTED_PROXIES`` that said so)."""
        if self.settings.public_url:
            return str(self.settings.public_url).startswith("https://")
        return request.url.scheme == "https"


def context_of(request: HTTPConnection) -> AppContext:
    """The app's context (``create_app`` keeps it in the app's state)."""
    context: AppContext = request.app.state.context
    return context


Ctx = Annotated[AppContext, Depends(context_of)]

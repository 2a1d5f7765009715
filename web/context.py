"""What every request handler needs, built once per app by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from gitbrag.github.client import GitHubClient, TokenOwner
from gitbrag.jobs.service import CredentialRef, ReportService
from gitbrag.settings import Settings
from gitbrag.stores.admin_pins import AdminRights
from gitbrag.stores.bearer_checks import BearerChecks
from gitbrag.stores.curation import CurationStore
from gitbrag.stores.sessions import SessionStore
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
    holes: HoleRenderer  # the viewer-specific parts of cached pages
    views: ViewCounter  # views, written to Redis in batches
    embeds: EmbedRenderer  # cards, badges and social images of reports
    curation: CurationStore  # the authors' choices of what their reports show
    admins: AdminRights  # who may cancel anyone's job (GitHub accounts, not logins)

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

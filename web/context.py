"""What every request handler needs, built once per app by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.templating import Jinja2Templates

from gitbrag.github.client import GitHubClient
from gitbrag.service import ReportService
from gitbrag.settings import Settings
from gitbrag.stores.sessions import SessionStore
from web.metrics import Metrics


@dataclass(slots=True)
class AppContext:
    settings: Settings
    service: ReportService
    sessions: SessionStore
    templates: Jinja2Templates
    metrics: Metrics

    @property
    def credential_ttl_seconds(self) -> int:
        """Sessions end when their credential does (``settings.credential_ttl_seconds``)."""
        return self.settings.credential_ttl_seconds

    async def github_login(self, token: str) -> str:
        """The login GitHub reports for ``token``; raises ``Unauthorized`` when it is bad."""
        client = GitHubClient.from_settings(self.settings, token)
        try:
            return await client.viewer_login()
        finally:
            await client.aclose()

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

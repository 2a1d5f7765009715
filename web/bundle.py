"""Everything a report version looks like on the site, rendered once.

A *bundle* is what one stored report version renders to for one site address: the report
page, every page of its repositories, of each repository's pull requests and of its issues,
and the Markdown export, each a :class:`~web.serving.document.Document` (precompressed, with
holes for the viewer-specific parts). It is named by the rendering revision (templates,
static assets and the code that lays pages out) and the site address, so a deploy or another
host name gets its own bundle and never an old or foreign rendering.

It renders the report as its author chose to show it (``web.serving.reader.shown_report``
decodes the JSON and applies the curation: once per rendered version, in a worker thread).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import jinja2

import gitbrag.render.markdown
import gitbrag.report.curation
import gitbrag.report.highlights
import gitbrag.report.wording
import web.presenters
import web.templating
from gitbrag.render.markdown import render_markdown
from gitbrag.report.highlights import highlight_sentences, pinned_pull_requests
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report, RepositoryOut
from gitbrag.settings import Settings
from web.presenters.activity import issue_rows
from web.presenters.paging import issues_view, paginate, repository_views
from web.presenters.paths import (
    compare_path,
    issues_path,
    pulls_path,
    report_path,
    repositories_path,
)
from web.presenters.report import period_tabs, report_view
from web.serving.document import Document, HoleMarkers
from web.templating import TEMPLATE_DIR

PAGE: Final = "page"
MARKDOWN: Final = "md"


def _revision() -> str:
    """A digest of everything a rendering depends on besides the report and the address."""
    digest = hashlib.sha256()
    for path in sorted(p for p in TEMPLATE_DIR.rglob("*") if p.is_file()):
        digest.update(path.relative_to(TEMPLATE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    for module in (
        gitbrag.report.wording,
        gitbrag.report.highlights,
        gitbrag.report.curation,
        gitbrag.render.markdown,
        web.templating,
    ):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(Path(__file__).read_bytes())
    web_dir = Path(__file__).parent
    for path in sorted(
        [
            *Path(str(web.presenters.__file__)).parent.glob("*.py"),
            *(web_dir / "embeds").glob("*.py"),
        ]
    ):  # the view models, and the cards and images
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


REVISION: Final = _revision()


def repositories_name(page: int) -> str:
    return f"repositories:{page}"


def pulls_name(name_with_owner: str, page: int) -> str:
    return f"pulls:{name_with_owner.lower()}:{page}"


def issues_name(page: int) -> str:
    return f"issues:{page}"


class BundleRenderer:
    """Names and renders the bundles of one app (its templates and settings)."""

    def __init__(self, env: jinja2.Environment, settings: Settings) -> None:
        self.env = env
        self.settings = settings
        # Named once per site address (a few; bounded: without ``PUBLIC_URL`` it is the
        # request's ``Host``).
        self.name: Callable[[str], str] = lru_cache(maxsize=64)(self._name)

    def _name(self, base_url: str) -> str:
        """The bundle of this revision, site address and paging settings."""
        settings = self.settings
        paging = (
            f"{settings.page_repositories}.{settings.page_recent_pull_requests}"
            f".{settings.page_pull_requests}.{int(settings.demo)}"
        )
        site = hashlib.sha256(f"{base_url}|{paging}".encode()).hexdigest()[:10]
        return f"{REVISION}.{site}"

    def render(
        self, key: ReportKey, report: Report, base_url: str, name: str = PAGE
    ) -> dict[str, Document]:
        """Every document of the bundle, by name (whichever ``name`` was asked for)."""
        settings = self.settings
        markers = HoleMarkers()
        page_path = report_path(key)
        common: dict[str, Any] = {
            "hole": markers,
            "settings": settings,
            "base_url": base_url,
            "canonical_url": base_url + page_path,
            "key": key,
            "report": report,
            "view": report_view(report),
            "generated_at": report.generated_at,
            "tabs": period_tabs(key),
            "page_path": page_path,
            "json_path": report_path(key, ".json"),
            "md_path": report_path(key, ".md"),
            "og_path": report_path(key, "/og.png"),
            "card_path": report_path(key, "/card.svg"),
            "badge_path": report_path(key, "/badge.svg"),
            "compare_path": compare_path(key),
            "highlights": highlight_sentences(report),
            "pinned_count": len(pinned_pull_requests(report)),
            "hidden_count": report.curation.hidden_pull_requests if report.curation else 0,
        }
        repositories = paginate(
            repository_views(key, report.repositories, settings.page_recent_pull_requests),
            settings.page_repositories,
            lambda number: repositories_path(key, number),
        )
        documents: dict[str, Document] = {}

        def render(name: str, template: str, **context: Any) -> None:
            html = self.env.get_template(template).render(**common, **context)
            documents[name] = Document.split(html, markers)

        issues = issue_rows(report)
        recent = settings.page_recent_pull_requests
        render(
            PAGE,
            "report.html",
            repositories=repositories[0],
            issues=issues_view(key, issues, recent),
        )
        for pager in repositories:
            render(repositories_name(pager.number), "repositories.html", pager=pager)
        for repo in report.repositories:
            if len(repo.pull_requests) <= settings.page_recent_pull_requests:
                continue  # all on the report page already: no "Show all" pages to link
            for pulls in paginate(
                repo.pull_requests, settings.page_pull_requests, _pulls_paths(key, repo)
            ):
                name = pulls_name(repo.name_with_owner, pulls.number)
                render(name, "pulls.html", repo=repo, pager=pulls)
        if len(issues) > recent:  # else all on the report page: no "Show all" pages to link
            for issues_page in paginate(
                issues, settings.page_pull_requests, lambda number: issues_path(key, number)
            ):
                render(issues_name(issues_page.number), "issues.html", pager=issues_page)
        documents[MARKDOWN] = Document.of(render_markdown(report).encode())
        return documents


def _pulls_paths(key: ReportKey, repo: RepositoryOut) -> Callable[[int], str]:
    return lambda number: pulls_path(key, repo.name_with_owner, number)

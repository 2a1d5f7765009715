"""Repository metadata and stars gained, batched: one query reads the metadata and newest
stargazer page of up to ``REPOSITORY_BATCH`` repositories; older stargazer pages are
batched the same way, and read only until the range start (or the cap) is reached. Batches
GitHub refuses as too large are read again smaller (:mod:`gitbrag.github.batches`).

Metadata is cached for ``REPOSITORY_TTL``; a stargazer timeline younger than that is reused
as it is, an older one is topped up with the newest page.

A repository GitHub withholds from the token (its organisation's SAML single sign-on; a
fine-grained token without access to stargazers, whose ``FORBIDDEN`` nulls the whole
repository) is read with the fallback token where there is one
(:mod:`gitbrag.github.batches`), else named: ``"stars for o/r: <why>"``
(:mod:`gitbrag.github.withheld`). A repository nulled only for its stargazers is read again
without them, so its description and star total stay right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from gitbrag.github.batches import Size, read_batched
from gitbrag.github.cache import (
    REPOSITORY,
    REPOSITORY_TTL,
    STARGAZERS,
    STARGAZERS_TTL,
    ImmutableCache,
)
from gitbrag.github.client import GitHubClient
from gitbrag.github.progress import ProgressCallback
from gitbrag.github.queries import repositories_query, stargazers_query
from gitbrag.github.responses import Denial
from gitbrag.github.stargazers import StarPage, Timeline
from gitbrag.github.withheld import reason
from gitbrag.report.periods import DateRange
from gitbrag.report.records import RepositoryInfo, StarCount

REPOSITORY_BATCH: Final = 50  # aliases per document; the node budget usually binds first
STAR_PAGE: Final = 100
MAX_STARS_READ: Final = 5000  # per repository and report: stars newer than the range start


@dataclass(slots=True)
class RepositoriesResult:
    repositories: dict[str, RepositoryInfo] = field(default_factory=dict)
    stars_gained: dict[str, StarCount] = field(default_factory=dict)
    incomplete_reasons: list[str] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class Repository:
    """One repository being read: its name, the URL search gave (the fallback when its
    metadata cannot be read), and what was read of it."""

    name: str
    search_url: str
    info: RepositoryInfo | None = None
    timeline: Timeline | None = None
    stars_read: int = 0
    failed: bool = False
    withheld: Denial | None = None  # why GitHub withholds it from the token, if it does
    # stargazer page size and batch (smaller while GitHub finds a batch too big)
    size: Size = field(default_factory=lambda: Size(STAR_PAGE, REPOSITORY_BATCH))

    @property
    def owner_and_name(self) -> tuple[str, str]:
        owner, name = self.name.split("/", 1)
        return owner, name


def _info_from_node(node: dict[str, Any]) -> RepositoryInfo:
    return RepositoryInfo(
        name_with_owner=node["nameWithOwner"],
        url=node["url"],
        description=node.get("description"),
        stars=int(node["stargazerCount"]),
        is_private=bool(node["isPrivate"]),
    )


def _info_to_json(info: RepositoryInfo) -> dict[str, Any]:
    return {
        "nameWithOwner": info.name_with_owner,
        "url": info.url,
        "description": info.description,
        "stargazerCount": info.stars,
        "isPrivate": info.is_private,
    }


class RepositoryReader:
    """Reads repositories' metadata and stars gained (:func:`read_repositories` in steps, so a
    refresh can hand it nodes it read in a document of its own: :meth:`take`).

    ``fresh``: nothing of a repository's metadata is taken from the cache and its newest
    stargazer page is always read (a cached timeline is topped up with it): what a refresh
    shows must equal what a collection with nothing cached would."""

    def __init__(
        self,
        client: GitHubClient,
        date_range: DateRange,
        cache: ImmutableCache | None,
        stars_cap: int,
        progress: ProgressCallback,
        *,
        fresh: bool = False,
    ) -> None:
        self.client = client
        self.date_range = date_range
        self.cache = cache
        self.stars_cap = stars_cap
        self.progress = progress
        self.fresh = fresh
        self.want_stars = date_range.period != "all_time"
        self.now = datetime.now(UTC)
        self.result = RepositoriesResult()

    def variables(self, repos: list[Repository], first: int, **extra: Any) -> dict[str, Any]:
        variables: dict[str, Any] = {"first": first, **extra}
        for i, repo in enumerate(repos):
            variables[f"o{i}"], variables[f"n{i}"] = repo.owner_and_name
            if repo.timeline is not None:
                variables[f"a{i}"] = repo.timeline.cursor
        return variables

    async def load_cached(self, repo: Repository) -> bool:
        """Fill ``repo`` from the cache; true if it still needs the newest page."""
        if self.cache is None:
            return True
        key = repo.name.lower()
        meta = None if self.fresh else await self.cache.get(REPOSITORY, key)
        repo.info = _info_from_node(meta) if meta is not None else None
        if not self.want_stars:
            return repo.info is None
        cached = await self.cache.get(STARGAZERS, key)
        repo.timeline = Timeline.from_json(cached) if cached is not None else None
        fresh = repo.timeline is not None and self.now - repo.timeline.fetched_at < timedelta(
            seconds=REPOSITORY_TTL
        )
        return repo.info is None or not fresh

    async def batch_nodes(
        self,
        repos: list[Repository],
        build: Callable[[list[Repository], int], tuple[str, dict[str, Any]]],
    ) -> list[tuple[Repository, dict[str, Any]]]:
        """Read one aliased node per repository (smaller batches where GitHub refuses); each
        repository whose node could not be read (kept failing, or a null alias such as a
        ``NOT_FOUND``) is marked failed."""
        answer = await read_batched(self.client, repos, build, kind="stars")
        read = []
        for repo in answer.failed:
            repo.failed = True
        for repo, denials in answer.denied:
            repo.withheld = denials[0]
        for repo, node in answer.read:
            if node is None:
                repo.failed = True
            else:
                read.append((repo, node))
        return read

    def newest_query(self, repos: list[Repository], first: int) -> tuple[str, dict[str, Any]]:
        return repositories_query(len(repos)), self.variables(repos, first, stars=self.want_stars)

    def metadata_query(self, repos: list[Repository], first: int) -> tuple[str, dict[str, Any]]:
        return repositories_query(len(repos)), self.variables(repos, first, stars=False)

    async def read_metadata(self, repos: list[Repository]) -> None:
        """Metadata only, for repositories GitHub nulled whole because the token may not read
        their stargazers: the description and star total stay right, only the stars gained
        are named as missing."""
        for repo, node in await self.batch_nodes(repos, self.metadata_query):
            repo.info = _info_from_node(node)

    def older_query(self, repos: list[Repository], first: int) -> tuple[str, dict[str, Any]]:
        return stargazers_query(len(repos)), self.variables(repos, first)

    async def read_newest(self, repos: list[Repository]) -> None:
        for repo, node in await self.batch_nodes(repos, self.newest_query):
            await self.take(repo, node)

    async def take(self, repo: Repository, node: dict[str, Any]) -> None:
        """A repository's metadata and (with stars wanted) newest stargazer page, as read."""
        repo.info = _info_from_node(node)
        if self.cache is not None:
            await self.cache.set(
                REPOSITORY, repo.name.lower(), _info_to_json(repo.info), REPOSITORY_TTL
            )
        if self.want_stars:
            if node.get("stargazers") is None:  # withheld with the rest kept
                repo.failed = True
                return
            page = StarPage.from_connection(node["stargazers"])
            old = repo.timeline
            repo.timeline = (
                old.with_newest(page, self.now, total=repo.info.stars)
                if old
                else Timeline.from_page(page, self.now)
            )
            repo.stars_read += max(1, len(page.starred_at))

    async def read_older(self, repos: list[Repository]) -> None:
        for repo, node in await self.batch_nodes(repos, self.older_query):
            if repo.timeline is None or node.get("stargazers") is None:
                repo.failed = True
                continue
            page = StarPage.from_connection(node["stargazers"])
            repo.timeline = repo.timeline.with_older(page)
            repo.stars_read += max(1, len(page.starred_at))

    async def finish(self, repos: list[Repository], stale: list[Repository]) -> RepositoriesResult:
        """After the newest pages (of ``stale``, read or taken): metadata of repositories
        refused only their stargazers, older stargazer pages until every count is known,
        then the result (timelines cached)."""
        return await _finish(self, repos, stale)

    def needs_older(self, repo: Repository) -> bool:
        if repo.failed or repo.timeline is None or repo.stars_read >= MAX_STARS_READ:
            return False
        return repo.timeline.count(self.date_range, self.stars_cap) is None


async def read_repositories(
    client: GitHubClient,
    repository_urls: dict[str, str],
    date_range: DateRange,
    *,
    cache: ImmutableCache | None,
    stars_cap: int,
    progress: ProgressCallback,
) -> RepositoriesResult:
    """Metadata and stars gained in ``date_range`` for every repository named (with its URL
    from search, the fallback when metadata cannot be read). ``all_time`` counts every star
    (``stargazerCount``) and reads no stargazers."""
    reader = RepositoryReader(client, date_range, cache, stars_cap, progress)
    repos = [Repository(name, url) for name, url in sorted(repository_urls.items())]
    progress("stars", 0, len(repos))
    stale = [repo for repo in repos if await reader.load_cached(repo)]
    if stale:
        await reader.read_newest(stale)
    return await reader.finish(repos, stale)


async def _finish(
    reader: RepositoryReader, repos: list[Repository], stale: list[Repository]
) -> RepositoriesResult:
    """Metadata of repositories refused only for their stargazers, older stargazer pages
    until every count is known, then the result (timelines cached)."""
    cache, progress = reader.cache, reader.progress
    total = len(repos)
    if unstarred := [repo for repo in stale if repo.info is None and _stars_refused(repo)]:
        await reader.read_metadata(unstarred)
    while older := [repo for repo in repos if reader.needs_older(repo)]:
        await reader.read_older(older)
        progress("stars", total - len(older), total)
    result = reader.result
    for repo in repos:
        result.repositories[repo.name] = repo.info or RepositoryInfo(
            repo.name, repo.search_url, None, 0
        )
        count = _stars(reader, repo)
        if count is None and repo.withheld is not None:
            owner = repo.owner_and_name[0]
            result.incomplete_reasons.append(reason(f"stars for {repo.name}", repo.withheld, owner))
        elif count is None:
            result.incomplete_reasons.append(f"stars for {repo.name}")
        else:
            result.stars_gained[repo.name] = count
        if cache is not None and repo.timeline is not None and not repo.failed:
            await cache.set(STARGAZERS, repo.name.lower(), repo.timeline.to_json(), STARGAZERS_TTL)
    progress("stars", total, total)
    return result


def _stars_refused(repo: Repository) -> bool:
    """GitHub refused the token the stargazers (and so nulled the whole repository)."""
    denial = repo.withheld
    return denial is not None and denial.kind == "token" and denial.field == "stargazers"


def _stars(reader: RepositoryReader, repo: Repository) -> StarCount | None:
    if repo.failed or repo.info is None:
        return None
    if not reader.want_stars:
        return StarCount(repo.info.stars)
    if repo.timeline is None:
        return None
    return repo.timeline.count(reader.date_range, reader.stars_cap)

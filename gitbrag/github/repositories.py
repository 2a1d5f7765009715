"""Repository metadata and stars gained, batched: one query reads the metadata and newest
stargazer page of up to ``REPOSITORY_BATCH`` repositories; older stargazer pages are
batched the same way, and read only until the range start (or the cap) is reached.

Metadata is cached for ``REPOSITORY_TTL``; a stargazer timeline younger than that is reused
as it is, an older one is topped up with the newest page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from gitbrag.errors import GitHubUnavailable
from gitbrag.github.cache import (
    REPOSITORY,
    REPOSITORY_TTL,
    STARGAZERS,
    STARGAZERS_TTL,
    ImmutableCache,
)
from gitbrag.github.client import GitHubClient
from gitbrag.github.queries import repositories_query, stargazers_query
from gitbrag.github.stargazers import StarPage, Timeline
from gitbrag.github.tasks import gather_all
from gitbrag.models import RepositoryInfo, StarCount
from gitbrag.periods import DateRange

REPOSITORY_BATCH: Final = 20
STAR_PAGE: Final = 100
MAX_STAR_PAGES: Final = 50  # per repository and report: 5000 stars newer than the range start

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class RepositoriesResult:
    repositories: dict[str, RepositoryInfo] = field(default_factory=dict)
    stars_gained: dict[str, StarCount] = field(default_factory=dict)
    incomplete_reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Repo:
    name: str
    search_url: str
    info: RepositoryInfo | None = None
    timeline: Timeline | None = None
    pages: int = 0
    failed: bool = False

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


class _Reader:
    def __init__(
        self,
        client: GitHubClient,
        date_range: DateRange,
        cache: ImmutableCache | None,
        stars_cap: int,
        progress: Progress,
    ) -> None:
        self.client = client
        self.date_range = date_range
        self.cache = cache
        self.stars_cap = stars_cap
        self.progress = progress
        self.want_stars = date_range.period != "all_time"
        self.now = datetime.now(UTC)
        self.result = RepositoriesResult()

    def variables(self, repos: list[_Repo], **extra: Any) -> dict[str, Any]:
        variables: dict[str, Any] = {"first": STAR_PAGE, **extra}
        for i, repo in enumerate(repos):
            variables[f"o{i}"], variables[f"n{i}"] = repo.owner_and_name
            if repo.timeline is not None:
                variables[f"a{i}"] = repo.timeline.cursor
        return variables

    async def load_cached(self, repo: _Repo) -> bool:
        """Fill ``repo`` from the cache; true if it still needs the newest page."""
        if self.cache is None:
            return True
        key = repo.name.lower()
        meta = await self.cache.get(REPOSITORY, key)
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
        self, query: str, variables: dict[str, Any], repos: list[_Repo]
    ) -> list[tuple[_Repo, dict[str, Any]]]:
        """Run one aliased query (``r0``, ``r1``, ...) for ``repos``; each repository whose
        node could not be read (GitHub unavailable, or a null alias) is marked failed."""
        try:
            data = await self.client.graphql(query, variables)
        except GitHubUnavailable:
            data = {}
        read = []
        for i, repo in enumerate(repos):
            node = data.get(f"r{i}")
            if node is None:
                repo.failed = True
            else:
                read.append((repo, node))
        return read

    async def read_newest(self, repos: list[_Repo]) -> None:
        query = repositories_query(len(repos))
        variables = self.variables(repos, stars=self.want_stars)
        for repo, node in await self.batch_nodes(query, variables, repos):
            repo.info = _info_from_node(node)
            if self.cache is not None:
                await self.cache.set(
                    REPOSITORY, repo.name.lower(), _info_to_json(repo.info), REPOSITORY_TTL
                )
            if self.want_stars:
                page = StarPage.from_connection(node["stargazers"])
                old = repo.timeline
                repo.timeline = (
                    old.with_newest(page, self.now) if old else Timeline.from_page(page, self.now)
                )
                repo.pages += 1

    async def read_older(self, repos: list[_Repo]) -> None:
        query = stargazers_query(len(repos))
        for repo, node in await self.batch_nodes(query, self.variables(repos), repos):
            if repo.timeline is None:
                repo.failed = True
                continue
            repo.timeline = repo.timeline.with_older(StarPage.from_connection(node["stargazers"]))
            repo.pages += 1

    def needs_older(self, repo: _Repo) -> bool:
        if repo.failed or repo.timeline is None or repo.pages >= MAX_STAR_PAGES:
            return False
        return repo.timeline.count(self.date_range, self.stars_cap) is None

    async def in_batches(
        self, repos: list[_Repo], read: Callable[[list[_Repo]], Awaitable[None]]
    ) -> None:
        batches = [repos[i : i + REPOSITORY_BATCH] for i in range(0, len(repos), REPOSITORY_BATCH)]
        await gather_all(read(batch) for batch in batches)


async def read_repositories(
    client: GitHubClient,
    repository_urls: dict[str, str],
    date_range: DateRange,
    *,
    cache: ImmutableCache | None,
    stars_cap: int,
    progress: Progress,
) -> RepositoriesResult:
    """Metadata and stars gained in ``date_range`` for every repository named (with its URL
    from search, the fallback when metadata cannot be read). ``all_time`` counts every star
    (``stargazerCount``) and reads no stargazers."""
    reader = _Reader(client, date_range, cache, stars_cap, progress)
    repos = [_Repo(name, url) for name, url in sorted(repository_urls.items())]
    total = len(repos)
    progress("stars", 0, total)
    stale = [repo for repo in repos if await reader.load_cached(repo)]
    await reader.in_batches(stale, reader.read_newest)
    while older := [repo for repo in repos if reader.needs_older(repo)]:
        await reader.in_batches(older, reader.read_older)
        progress("stars", total - len(older), total)
    result = reader.result
    for repo in repos:
        result.repositories[repo.name] = repo.info or RepositoryInfo(
            repo.name, repo.search_url, None, 0
        )
        count = _stars(reader, repo)
        if count is None:
            result.incomplete_reasons.append(f"stars for {repo.name}")
        else:
            result.stars_gained[repo.name] = count
        if cache is not None and repo.timeline is not None and not repo.failed:
            await cache.set(STARGAZERS, repo.name.lower(), repo.timeline.to_json(), STARGAZERS_TTL)
    progress("stars", total, total)
    return result


def _stars(reader: _Reader, repo: _Repo) -> StarCount | None:
    if repo.failed or repo.info is None:
        return None
    if not reader.want_stars:
        return StarCount(repo.info.stars)
    if repo.timeline is None:
        return None
    return repo.timeline.count(reader.date_range, reader.stars_cap)

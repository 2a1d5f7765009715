"""Collecting one report's data from GitHub: profile, search, files, stars.

The contract (``docs/architecture.md``)::

    async def collect(client, key, *, progress=None, cache=None, stars_cap=1000) -> Collection

Phases, reported through ``progress(phase, done, total)`` in order: ``profile``, ``search``,
``files``, ``stars``. ``NotFound``, ``Unauthorized`` and ``RateLimited`` propagate. Without
the profile or the search there is no report, so their ``GitHubUnavailable`` propagates too;
files, repository details, stars and social accounts that keep failing after retries are
named in ``Collection.incomplete_reasons`` ("files for o/r#12", "stars for o/r") instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gitbrag.github.cache import ImmutableCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.files import fetch_files, pr_key
from gitbrag.github.profile import fetch_profile
from gitbrag.github.repositories import read_repositories
from gitbrag.github.search import search_pull_requests
from gitbrag.models import Collection, PullRequestRecord
from gitbrag.periods import ReportKey

ProgressCallback = Callable[[str, int, int], None]


def _silent(phase: str, done: int, total: int) -> None:
    """The default progress callback: nobody is watching."""


async def collect(
    client: GitHubClient,
    key: ReportKey,
    *,
    progress: ProgressCallback | None = None,
    cache: ImmutableCache | None = None,
    stars_cap: int = 1000,
) -> Collection:
    """Everything the report builder needs for ``key``, from GitHub (and ``cache``).

    Only public repositories are kept: the search asks for ``is:public`` and every node and
    repository GitHub marks private is dropped again, whatever the token can see.
    """
    report = progress or _silent
    report("profile", 0, 1)
    profile, reasons = await fetch_profile(client, key.username, cache)
    report("profile", 1, 1)

    found = await search_pull_requests(
        client, profile.login, key.range, include_closed=key.include_closed, progress=report
    )
    reasons += found.incomplete_reasons
    report("search", len(found.pull_requests), len(found.pull_requests))

    report("files", 0, len(found.pull_requests))
    files = await fetch_files(client, found.pull_requests, cache=cache, progress=report)
    if files.failed:
        reasons += [f"files for {pr.repository}#{pr.number}" for pr in files.failed]

    repos = await read_repositories(
        client,
        found.repository_urls,
        key.range,
        cache=cache,
        stars_cap=stars_cap,
        progress=report,
    )
    reasons += repos.incomplete_reasons

    public = {name for name, info in repos.repositories.items() if not info.is_private}
    pull_requests: list[PullRequestRecord] = [
        replace(pr, files=files.files.get(pr_key(pr), ()), files_complete=pr_key(pr) in files.files)
        for pr in found.pull_requests
        if pr.repository in public
    ]
    return Collection(
        profile=profile,
        pull_requests=pull_requests,
        repositories={name: repos.repositories[name] for name in sorted(public)},
        stars_gained={name: count for name, count in repos.stars_gained.items() if name in public},
        incomplete_reasons=reasons,
    )

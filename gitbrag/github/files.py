"""Changed files of many pull requests, in batched GraphQL queries (never one per PR).

Each query asks for up to ``batch_size`` pull requests with one alias each; a PR with more
than a page of files stays in the queue with its cursor until its last page. Files of
merged or closed PRs never change and are cached; open PRs are always read afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from gitbrag.errors import GitHubUnavailable
from gitbrag.github.cache import PR_FILES, PR_FILES_TTL, ImmutableCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.queries import pull_request_files_query
from gitbrag.github.tasks import gather_all
from gitbrag.models import FileChange, PullRequestRecord

FILES_BATCH: Final = 20
FILES_PAGE: Final = 100

Progress = Callable[[str, int, int], None]
PRKey = tuple[str, int]


def pr_key(pr: PullRequestRecord) -> PRKey:
    return (pr.repository, pr.number)


def _cache_key(pr: PullRequestRecord) -> str:
    return f"{pr.repository.lower()}#{pr.number}"


@dataclass(slots=True)
class _Job:
    pr: PullRequestRecord
    cursor: str | None = None
    files: list[FileChange] = field(default_factory=list)


@dataclass(slots=True)
class FilesResult:
    files: dict[PRKey, tuple[FileChange, ...]] = field(default_factory=dict)
    failed: list[PullRequestRecord] = field(default_factory=list)


class _FileReader:
    def __init__(
        self, client: GitHubClient, cache: ImmutableCache | None, progress: Progress, total: int
    ) -> None:
        self.client = client
        self.cache = cache
        self.progress = progress
        self.total = total
        self.result = FilesResult()

    def finish(self, pr: PullRequestRecord, files: tuple[FileChange, ...]) -> None:
        self.result.files[pr_key(pr)] = files
        self.progress("files", len(self.result.files) + len(self.result.failed), self.total)

    def fail(self, pr: PullRequestRecord) -> None:
        self.result.failed.append(pr)
        self.progress("files", len(self.result.files) + len(self.result.failed), self.total)

    async def batch(self, jobs: list[_Job]) -> list[_Job]:
        """Read one page for each job; return the jobs that have more pages."""
        variables: dict[str, Any] = {"first": FILES_PAGE}
        for i, job in enumerate(jobs):
            owner, name = job.pr.repository.split("/", 1)
            variables |= {
                f"o{i}": owner,
                f"n{i}": name,
                f"p{i}": job.pr.number,
                f"a{i}": job.cursor,
            }
        try:
            data = await self.client.graphql(pull_request_files_query(len(jobs)), variables)
        except GitHubUnavailable:
            for job in jobs:
                self.fail(job.pr)
            return []
        unfinished = []
        for i, job in enumerate(jobs):
            connection = ((data.get(f"r{i}") or {}).get("pullRequest") or {}).get("files")
            if connection is None:
                self.fail(job.pr)
                continue
            job.files.extend(
                FileChange(node["path"], int(node["additions"]), int(node["deletions"]))
                for node in connection["nodes"]
            )
            if connection["pageInfo"]["hasNextPage"]:
                job.cursor = connection["pageInfo"]["endCursor"]
                unfinished.append(job)
            else:
                await self.store(job)
        return unfinished

    async def store(self, job: _Job) -> None:
        files = tuple(job.files)
        if self.cache is not None and job.pr.state != "open":
            value = [[f.path, f.additions, f.deletions] for f in files]
            await self.cache.set(PR_FILES, _cache_key(job.pr), value, PR_FILES_TTL)
        self.finish(job.pr, files)


async def fetch_files(
    client: GitHubClient,
    pull_requests: list[PullRequestRecord],
    *,
    cache: ImmutableCache | None,
    progress: Progress,
    batch_size: int = FILES_BATCH,
) -> FilesResult:
    """Files of every PR in ``pull_requests``; ``failed`` lists PRs whose files could not be
    read after retries (their lines still count; only their languages are unknown)."""
    reader = _FileReader(client, cache, progress, len(pull_requests))
    cached: dict[str, Any] = {}
    if cache is not None:
        closed = [_cache_key(pr) for pr in pull_requests if pr.state != "open" and pr.changed_files]
        cached = await cache.get_many(PR_FILES, closed)
    pending: list[_Job] = []
    for pr in pull_requests:
        if pr.changed_files == 0:
            reader.finish(pr, ())
            continue
        files = cached.get(_cache_key(pr)) if pr.state != "open" else None
        if files is not None:
            reader.finish(pr, tuple(FileChange(p, a, d) for p, a, d in files))
            continue
        pending.append(_Job(pr))
    while pending:
        batches = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
        rounds = await gather_all(reader.batch(batch) for batch in batches)
        pending = [job for unfinished in rounds for job in unfinished]
    return reader.result

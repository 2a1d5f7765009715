"""Changed files of many pull requests, in batched GraphQL queries (never one per PR).

Each query asks for up to ``FILES_BATCH`` pull requests with one alias each, and no more
nodes than GitHub takes (the ``files`` node budget learned per host,
:mod:`gitbrag.github.batch_sizes`). Search tells how many files each pull request changed, so
each asks for a page just big enough (``page_for``: 10, 25, 50 or 100 files): a dependency
bump's two files do not reserve a hundred nodes, and two hundred such pull requests (2,000
nodes, far below GitHub's limits) fit in one document: half the requests of a hundred, which
matters most for the users with thousands of small pull requests. A PR with more than a page
of files stays in the queue with its cursor until its last page. Batches GitHub refuses as
too large are read again smaller (:mod:`gitbrag.github.batches`).

GitHub does not always list every file. It lists at most 3,000 files of a pull
request, and for a diff too large to compute it answers ``files: null`` with no
error and ``changedFiles: 0`` while additions and deletions are large. Such a PR's files are
*truncated*: what was listed still counts for languages, its lines still count in totals,
and the report says its languages are incomplete. A truncated list is never cached as if it
were complete.

Files of merged or closed PRs never change and are cached (with whether the list is
complete); open PRs are always read afresh.

A pull request GitHub withholds from the token (its organisation's SAML single sign-on) is
read with the fallback token where there is one (:mod:`gitbrag.github.batches`); else its
files are unread with a note saying why (``unread``), which the report names.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Final

from gitbrag.github.batches import Size, read_batched
from gitbrag.github.cache import PR_FILES, PR_FILES_TTL, ImmutableCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.progress import ProgressCallback
from gitbrag.github.queries import pull_request_files_query
from gitbrag.github.withheld import explain
from gitbrag.report.records import FileChange, PullRequestRecord

FILES_BATCH: Final = 200  # aliases per document; for pages past 10 files the node budget binds
FILES_PAGE: Final = 100  # GitHub's largest page
PAGE_SIZES: Final = (10, 25, 50, FILES_PAGE)
FILES_UNREAD: Final = "its changed files could not be read"

PRKey = tuple[str, int]


def pr_key(pr: PullRequestRecord) -> PRKey:
    return (pr.repository, pr.number)


def _cache_key(pr: PullRequestRecord) -> str:
    return f"{pr.repository.lower()}#{pr.number}"


def truncation(pr: PullRequestRecord, listed: int, *, files_null: bool = False) -> str | None:
    """Why GitHub's file list of ``pr`` (``listed`` files) leaves out some of its changes,
    or ``None`` if it is complete."""
    lines = pr.additions + pr.deletions
    if files_null or (pr.changed_files == 0 and lines > 0):
        return "GitHub did not list its changed files (diff too large)"
    if listed < pr.changed_files:
        return f"GitHub lists only {listed:,} of its {pr.changed_files:,} changed files"
    return None


def page_for(changed_files: int) -> int:
    """The smallest page size of ``PAGE_SIZES`` that lists ``changed_files`` at once."""
    return next((size for size in PAGE_SIZES if size >= changed_files), FILES_PAGE)


@dataclass(eq=False, slots=True)
class _Job:
    pr: PullRequestRecord
    size: Size = field(default_factory=lambda: Size(FILES_PAGE, FILES_BATCH))
    cursor: str | None = None
    files: list[FileChange] = field(default_factory=list)

    @classmethod
    def of(cls, pr: PullRequestRecord) -> _Job:
        return cls(pr, Size(page_for(pr.changed_files), FILES_BATCH))


@dataclass(slots=True)
class FilesResult:
    """Files per PR read (complete or not), the PRs whose lists GitHub truncated (with why),
    the PRs whose files could not be read at all, and why, where GitHub said (``unread``)."""

    files: dict[PRKey, tuple[FileChange, ...]] = field(default_factory=dict)
    truncated: dict[PRKey, str] = field(default_factory=dict)
    failed: list[PullRequestRecord] = field(default_factory=list)
    unread: dict[PRKey, str] = field(default_factory=dict)


def _build(jobs: list[_Job], first: int) -> tuple[str, dict[str, Any]]:
    variables: dict[str, Any] = {"first": first}
    for i, job in enumerate(jobs):
        owner, name = job.pr.repository.split("/", 1)
        variables |= {f"o{i}": owner, f"n{i}": name, f"p{i}": job.pr.number, f"a{i}": job.cursor}
    return pull_request_files_query(len(jobs)), variables


class _FileReader:
    def __init__(
        self,
        client: GitHubClient,
        cache: ImmutableCache | None,
        progress: ProgressCallback,
        total: int,
    ) -> None:
        self.client = client
        self.cache = cache
        self.progress = progress
        self.total = total
        self.result = FilesResult()

    def _advance(self) -> None:
        self.progress("files", len(self.result.files) + len(self.result.failed), self.total)

    def finish(self, pr: PullRequestRecord, files: tuple[FileChange, ...], why: str | None) -> None:
        self.result.files[pr_key(pr)] = files
        if why is not None:
            self.result.truncated[pr_key(pr)] = why
        self._advance()

    def fail(self, pr: PullRequestRecord, why: str | None = None) -> None:
        self.result.failed.append(pr)
        if why is not None:
            self.result.unread[pr_key(pr)] = why
        self._advance()

    async def round(self, jobs: list[_Job]) -> list[_Job]:
        """Read one page for each job; return the jobs that have more pages."""
        answer = await read_batched(self.client, jobs, _build, kind="files")
        for job in answer.failed:
            self.fail(job.pr)
        unfinished = []
        for job, node in answer.read:
            pull_request = (node or {}).get("pullRequest")
            if pull_request is None:  # NOT_FOUND (gone or hidden), or withheld from the token
                withheld = answer.denials_of(job)
                owner = job.pr.repository.split("/", 1)[0]
                why = f"{FILES_UNREAD}: {explain(withheld[0], owner)}" if withheld else None
                self.fail(job.pr, why)
                continue
            connection = pull_request.get("files")
            if connection is None:  # GitHub's "diff too large": null files, no error
                await self.store(job, files_null=True)
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

    async def store(self, job: _Job, *, files_null: bool = False) -> None:
        files = tuple(job.files)
        why = truncation(job.pr, len(files), files_null=files_null)
        if self.cache is not None and job.pr.state != "open":
            value = {"files": [[f.path, f.additions, f.deletions] for f in files], "why": why}
            await self.cache.set(PR_FILES, _cache_key(job.pr), value, PR_FILES_TTL)
        self.finish(job.pr, files, why)


def _from_cache(value: Any) -> tuple[tuple[FileChange, ...], str | None] | None:
    """A cached file list and its truncation note. Entries older than the note are bare
    lists: their truncation is judged again against the PR by the caller."""
    if isinstance(value, dict) and isinstance(value.get("files"), list):
        files = tuple(FileChange(p, a, d) for p, a, d in value["files"])
        why = value.get("why")
        return files, why if isinstance(why, str) else None
    if isinstance(value, list):
        return tuple(FileChange(p, a, d) for p, a, d in value), None
    return None


async def fetch_files(
    client: GitHubClient,
    pull_requests: list[PullRequestRecord],
    *,
    cache: ImmutableCache | None,
    progress: ProgressCallback,
) -> FilesResult:
    """Files of every PR in ``pull_requests``. ``failed`` lists PRs whose files could not be
    read after retries, ``truncated`` those GitHub listed only in part (their lines still
    count; only their languages are incomplete)."""
    reader = _FileReader(client, cache, progress, len(pull_requests))
    cached: dict[str, Any] = {}
    if cache is not None:
        closed = [_cache_key(pr) for pr in pull_requests if pr.state != "open" and pr.changed_files]
        cached = await cache.get_many(PR_FILES, closed)
    pending: list[_Job] = []
    for pr in pull_requests:
        if pr.changed_files == 0:  # nothing to list, or GitHub's "diff too large" signature
            reader.finish(pr, (), truncation(pr, 0))
            continue
        entry = _from_cache(cached.get(_cache_key(pr))) if pr.state != "open" else None
        if entry is not None:
            files, why = entry
            reader.finish(pr, files, why or truncation(pr, len(files)))
            continue
        pending.append(_Job.of(pr))
    while pending:
        pending = await reader.round(pending)
    return reader.result


class FileFeed:
    """Files read while the search is still finding pull requests: every ``FILES_BATCH``
    pull requests :meth:`add`-ed start a read in ``group`` (a document's worth, as its
    pages come in), and :meth:`finish` reads the rest and merges every read into one
    :class:`FilesResult`. Progress is ``("files", done, found so far)``."""

    def __init__(
        self,
        client: GitHubClient,
        cache: ImmutableCache | None,
        group: asyncio.TaskGroup,
        progress: ProgressCallback,
    ) -> None:
        self.client = client
        self.cache = cache
        self.group = group
        self.progress = progress
        self.queued: list[PullRequestRecord] = []
        self.seen: set[PRKey] = set()
        self.tasks: list[asyncio.Task[FilesResult]] = []
        self.done: dict[int, int] = {}

    def add(self, pull_requests: list[PullRequestRecord]) -> None:
        fresh = [pr for pr in pull_requests if pr_key(pr) not in self.seen]
        self.seen.update(pr_key(pr) for pr in fresh)
        self.queued += fresh
        while len(self.queued) >= FILES_BATCH:
            self._start(self.queued[:FILES_BATCH])
            self.queued = self.queued[FILES_BATCH:]

    def _start(self, pull_requests: list[PullRequestRecord]) -> None:
        index = len(self.tasks)

        def report(phase: str, done: int, total: int) -> None:
            self.done[index] = done
            self.progress("files", sum(self.done.values()), len(self.seen))

        read = fetch_files(self.client, pull_requests, cache=self.cache, progress=report)
        self.tasks.append(self.group.create_task(read))

    async def finish(self, pull_requests: list[PullRequestRecord]) -> FilesResult:
        """The files of ``pull_requests`` (any the feed was not given are read now too)."""
        self.add(pull_requests)
        self.progress("files", sum(self.done.values()), len(self.seen))
        if self.queued:
            self._start(self.queued)
            self.queued = []
        merged = FilesResult()
        for task in self.tasks:
            part = await task
            merged.files |= part.files
            merged.truncated |= part.truncated
            merged.failed += part.failed
            merged.unread |= part.unread
        self.progress("files", len(self.seen), len(self.seen))
        return merged

"""Finding every pull request a user authored in a date range, past search's 1000 cap.

GitHub search returns at most 1000 results per query. A window whose ``issueCount`` is over
the cap is split in halves by time, recursively, until every window fits; then each window
is paged with cursors. Bounds are inclusive ISO datetimes (``created:A..B``), so adjacent
windows meet at ``B + 1 s``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from gitbrag.github.client import GitHubClient
from gitbrag.github.queries import SEARCH_PULL_REQUESTS
from gitbrag.github.tasks import gather_all
from gitbrag.models import PRState, PullRequestRecord
from gitbrag.periods import DateRange

SEARCH_CAP: Final = 1000
PAGE_SIZE: Final = 100
ONE_SECOND: Final = timedelta(seconds=1)
_STATES: Final[dict[str, PRState]] = {"MERGED": "merged", "OPEN": "open", "CLOSED": "closed"}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Window:
    """Pull requests created from ``start`` to ``end``, both inclusive, whole seconds."""

    start: datetime
    end: datetime

    @classmethod
    def for_range(cls, date_range: DateRange) -> Window:
        return cls(date_range.start, date_range.end - ONE_SECOND)

    def query(self, login: str) -> str:
        return (
            f"is:pr author:{login} is:public created:{_iso(self.start)}..{_iso(self.end)} "
            "sort:created-asc"
        )

    def can_split(self) -> bool:
        return self.end > self.start

    def halves(self) -> tuple[Window, Window]:
        middle = self.start + timedelta(seconds=(self.end - self.start).total_seconds() // 2)
        return Window(self.start, middle), Window(middle + ONE_SECOND, self.end)


@dataclass(slots=True)
class SearchResult:
    """The PRs found (files not yet read), each repository's URL, and what could not be had."""

    pull_requests: list[PullRequestRecord] = field(default_factory=list)
    repository_urls: dict[str, str] = field(default_factory=dict)
    incomplete_reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Page:
    window: Window
    issue_count: int
    nodes: list[dict[str, Any]]
    cursor: str | None
    has_next: bool


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class _Searcher:
    def __init__(self, client: GitHubClient, login: str, progress: Progress) -> None:
        self.client = client
        self.login = login
        self.progress = progress
        self.done = 0
        self.total = 0
        self.result = SearchResult()

    async def page(self, window: Window, after: str | None) -> _Page:
        data = await self.client.graphql(
            SEARCH_PULL_REQUESTS,
            {"query": window.query(self.login), "first": PAGE_SIZE, "after": after},
        )
        search = data["search"]
        return _Page(
            window,
            int(search["issueCount"]),
            [node for node in search["nodes"] if node],
            search["pageInfo"]["endCursor"],
            bool(search["pageInfo"]["hasNextPage"]),
        )

    async def first_pages(self, window: Window) -> list[_Page]:
        """The first page of every window that fits under the cap, splitting as needed."""
        first = await self.page(window, None)
        if first.issue_count <= SEARCH_CAP:
            return [first]
        if not window.can_split():
            self.result.incomplete_reasons.append(
                f"more than {SEARCH_CAP} pull requests created at {_iso(window.start)}"
            )
            return [first]
        left, right = await gather_all(self.first_pages(half) for half in window.halves())
        return left + right

    async def rest_of_window(self, page: _Page) -> list[dict[str, Any]]:
        nodes = list(page.nodes)
        while page.has_next:
            page = await self.page(page.window, page.cursor)
            nodes.extend(page.nodes)
            self.advance(len(page.nodes))
        return nodes

    def advance(self, count: int) -> None:
        self.done += count
        self.progress("search", self.done, self.total)

    async def run(self, date_range: DateRange) -> list[dict[str, Any]]:
        firsts = await self.first_pages(Window.for_range(date_range))
        self.total = sum(page.issue_count for page in firsts)
        self.advance(sum(len(page.nodes) for page in firsts))
        windows = await gather_all(self.rest_of_window(page) for page in firsts)
        return [node for nodes in windows for node in nodes]


def _record(node: dict[str, Any]) -> PullRequestRecord:
    created_at = parse_time(node["createdAt"])
    assert created_at is not None
    return PullRequestRecord(
        repository=node["repository"]["nameWithOwner"],
        number=int(node["number"]),
        title=node["title"],
        url=node["url"],
        state=_STATES[node["state"]],
        created_at=created_at,
        merged_at=parse_time(node.get("mergedAt")),
        closed_at=parse_time(node.get("closedAt")),
        additions=int(node["additions"]),
        deletions=int(node["deletions"]),
        changed_files=int(node["changedFiles"]),
        author_association=node["authorAssociation"],
    )


async def search_pull_requests(
    client: GitHubClient,
    login: str,
    date_range: DateRange,
    *,
    include_closed: bool,
    progress: Progress,
) -> SearchResult:
    """Every PR ``login`` authored, created in ``date_range``, in public repositories.

    Nodes from private repositories are dropped even though the query says ``is:public``
    (a token that sees private work must never leak it); closed-unmerged PRs are dropped
    unless ``include_closed``. PRs come back oldest first, each once.
    """
    searcher = _Searcher(client, login, progress)
    nodes = await searcher.run(date_range)
    result = searcher.result
    seen: set[tuple[str, int]] = set()
    for node in nodes:
        if node.get("__typename") != "PullRequest" or node["repository"]["isPrivate"]:
            continue
        record = _record(node)
        identity = (record.repository, record.number)
        if identity in seen or not date_range.contains(record.created_at):
            continue
        if record.state == "closed" and not include_closed:
            continue
        seen.add(identity)
        result.pull_requests.append(record)
        result.repository_urls[record.repository] = node["repository"]["url"]
    result.pull_requests.sort(key=lambda pr: (pr.created_at, pr.repository, pr.number))
    return result

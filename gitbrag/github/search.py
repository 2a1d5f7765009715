"""Finding every pull request (or issue) a user authored in a date range, past search's cap.

GitHub search returns at most 1000 results per query. A window whose ``issueCount`` is over
the cap is split in halves by time, recursively, until every window fits; then each window
is paged with cursors. Bounds are inclusive ISO datetimes (``created:A..B``), so adjacent
windows meet at ``B + 1 s``.

Before any of that, the first page's ``issueCount`` says what the report would cost: above
``max_pull_requests`` the report is refused (``ReportTooLarge``) rather than collected for
hours. GitHub documents that searches can time out and return what was found so far, and
paging is not always stable: a window whose pages brought fewer distinct pull requests than
``min(issueCount, 1000)`` is read again once, and if it is still short it is named in the
incomplete reasons instead of silently making the report smaller.

The windows and their paging are the same for issues (``kind="issue"``,
:mod:`gitbrag.github.issues`); only the document and the records differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from gitbrag.errors import ReportTooLarge
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
Kind = Literal["pr", "issue"]
_NOUNS: Final[dict[Kind, str]] = {"pr": "pull requests", "issue": "issues"}


@dataclass(frozen=True, slots=True)
class Window:
    """Pull requests created from ``start`` to ``end``, both inclusive, whole seconds."""

    start: datetime
    end: datetime

    @classmethod
    def for_range(cls, date_range: DateRange) -> Window:
        return cls(date_range.start, date_range.end - ONE_SECOND)

    def query(self, login: str, kind: Kind = "pr") -> str:
        return (
            f"is:{kind} author:{login} is:public created:{_iso(self.start)}..{_iso(self.end)} "
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


def _identity(node: dict[str, Any]) -> tuple[str, int] | None:
    repository = node.get("repository")
    if not isinstance(repository, dict) or "number" not in node:
        return None
    return (str(repository.get("nameWithOwner")), int(node["number"]))


class WindowedSearch:
    """Every node of one kind (``pr`` or ``issue``) ``login`` authored in a range: windows
    split under the cap, each paged to its end (``run``). ``document`` is a search query
    taking ``query``, ``first`` and ``after``; ``phase`` names its progress reports."""

    def __init__(
        self,
        client: GitHubClient,
        login: str,
        progress: Progress,
        max_items: int,
        *,
        kind: Kind = "pr",
        document: str = SEARCH_PULL_REQUESTS,
        phase: str = "search",
    ) -> None:
        self.client = client
        self.login = login
        self.progress = progress
        self.max_items = max_items
        self.kind: Kind = kind
        self.noun = _NOUNS[kind]
        self.document = document
        self.phase = phase
        self.done = 0
        self.total = 0
        self.incomplete_reasons: list[str] = []

    def query_for(self, window: Window) -> str:
        """The search text of ``window``."""
        return window.query(self.login, self.kind)

    async def page(self, window: Window, after: str | None) -> _Page:
        data = await self.client.graphql(
            self.document,
            {"query": self.query_for(window), "first": PAGE_SIZE, "after": after},
        )
        search = data["search"]
        return _Page(
            window,
            int(search["issueCount"]),
            [node for node in search["nodes"] if node],
            search["pageInfo"]["endCursor"],
            bool(search["pageInfo"]["hasNextPage"]),
        )

    async def first_pages(self, window: Window, first: _Page | None = None) -> list[_Page]:
        """The first page of every window that fits under the cap, splitting as needed."""
        first = first or await self.page(window, None)
        if first.issue_count <= SEARCH_CAP:
            return [first]
        if not window.can_split():
            self.incomplete_reasons.append(
                f"more than {SEARCH_CAP} {self.noun} created at {_iso(window.start)}"
            )
            return [first]
        left, right = await gather_all(self.first_pages(half) for half in window.halves())
        return left + right

    async def rest_of_window(self, page: _Page, *, counted: bool = True) -> list[dict[str, Any]]:
        nodes = list(page.nodes)
        while page.has_next:
            page = await self.page(page.window, page.cursor)
            nodes.extend(page.nodes)
            if counted:
                self.advance(len(page.nodes))
        return nodes

    async def whole_window(self, first: _Page) -> list[dict[str, Any]]:
        """Every node of ``first``'s window; read again once if it came back short."""
        expected = min(first.issue_count, SEARCH_CAP)
        nodes = await self.rest_of_window(first)
        if _distinct(nodes) >= expected:
            return nodes
        again = await self.page(first.window, None)
        nodes += await self.rest_of_window(again, counted=False)
        found = _distinct(nodes)
        if found < expected:
            self.incomplete_reasons.append(
                f"search for {self.noun} created {_iso(first.window.start)} to "
                f"{_iso(first.window.end)} returned {found} of {expected}"
            )
        return nodes

    def advance(self, count: int) -> None:
        self.done += count
        self.progress(self.phase, self.done, self.total)

    async def run(self, date_range: DateRange) -> list[dict[str, Any]]:
        """Every node found (duplicates possible across re-read windows). Raises
        ``ReportTooLarge`` when the range holds more than ``max_items``."""
        whole = Window.for_range(date_range)
        first = await self.page(whole, None)
        if first.issue_count > self.max_items:
            raise ReportTooLarge(self.login, first.issue_count, self.max_items, self.noun)
        firsts = await self.first_pages(whole, first)
        self.total = sum(page.issue_count for page in firsts)
        self.advance(sum(len(page.nodes) for page in firsts))
        windows = await gather_all(self.whole_window(page) for page in firsts)
        return [node for nodes in windows for node in nodes]


def _distinct(nodes: list[dict[str, Any]]) -> int:
    return len({identity for node in nodes if (identity := _identity(node)) is not None})


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
    max_pull_requests: int = 20_000,
) -> SearchResult:
    """Every PR ``login`` authored, created in ``date_range``, in public repositories.

    Nodes from private repositories are dropped even though the query says ``is:public``
    (a token that sees private work must never leak it); closed-unmerged PRs are dropped
    unless ``include_closed``. PRs come back oldest first, each once.
    """
    searcher = WindowedSearch(client, login, progress, max_pull_requests)
    nodes = await searcher.run(date_range)
    result = SearchResult(incomplete_reasons=searcher.incomplete_reasons)
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

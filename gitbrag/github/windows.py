"""Windowed search: every node of one kind a user authored in a date range, past search's cap.

GitHub search returns at most 1000 results per query. A range whose ``issueCount`` is over
the cap is cut by counting: the range is sliced in ``COUNT_SLICES`` equal spans of time, each
counted (one document of aliased searches asking no nodes, ``first: 0``), the slices still too
big sliced and counted again, and adjacent slices are joined into windows of at most
``WINDOW_RESULTS`` results (:meth:`WindowedSearch.plan`). Windows that small page side by side
(a window's pages follow each other's cursors), and no page is read only to learn that its
window is too big. Bounds are inclusive ISO datetimes (``created:A..B``), so adjacent windows
meet at ``B + 1 s``.

Before any of that, the first page's ``issueCount`` says what the report would cost: above
the caller's maximum the search is refused (``ReportTooLarge``) rather than read for hours.
GitHub documents that searches can time out and return what was found so far, and paging is
not always stable: in a window whose pages brought fewer distinct nodes than
``min(issueCount, 1000)``, the pages that came back short (fewer results than asked while
more followed) are read again; if that is not enough the window is read again once, and if
it is still short it is named in the incomplete reasons instead of silently making the
report smaller.

Nodes GitHub withholds from the token for good come back ``null`` with an error each (an
organisation enforcing SAML single sign-on the token has no session for), while
``issueCount`` still counts them: reading the window again would not bring them. With a
fallback client (the server's token) the window is read again with it; what is still
missing is named per organisation (:mod:`gitbrag.github.withheld`: how many, which
organisation, GitHub's link to authorise the token) rather than as a short search.

Pull requests (:mod:`gitbrag.github.search`) and issues (:mod:`gitbrag.github.issues`) are
searched alike; only the document and the records differ (:func:`public_records` turns the
nodes of either into records). The searched login is spliced into the query text as
``author:LOGIN`` only once it is a valid GitHub login (letters, digits, ``-`` and ``_``:
nothing that could end the qualifier or start another).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol, TypeVar

from gitbrag.errors import GitHubError, NotAccessible, ReportTooLarge
from gitbrag.github.client import GitHubClient
from gitbrag.github.progress import ProgressCallback
from gitbrag.github.queries import SEARCH_PULL_REQUESTS, search_counts_query
from gitbrag.github.responses import Denial
from gitbrag.github.schema_gaps import Document, send
from gitbrag.github.tasks import gather_all
from gitbrag.github.withheld import Withheld
from gitbrag.report.logins import validate_username
from gitbrag.report.periods import DateRange

log = logging.getLogger(__name__)

SEARCH_CAP: Final = 1000
PAGE_SIZE: Final = 100
ONE_SECOND: Final = timedelta(seconds=1)
COUNT_SLICES: Final = 16  # slices a window too big is counted in, one document
COUNTS_BATCH: Final = 50  # counted searches per document
WINDOW_RESULTS: Final = 500  # results per planned window: five pages, read side by side

Kind = Literal["pr", "issue"]
_NOUNS: Final[dict[Kind, str]] = {"pr": "pull requests", "issue": "issues"}


@dataclass(frozen=True, slots=True)
class Window:
    """Nodes created from ``start`` to ``end``, both inclusive, whole seconds."""

    start: datetime
    end: datetime

    @classmethod
    def for_range(cls, date_range: DateRange) -> Window:
        return cls(date_range.start, date_range.end - ONE_SECOND)

    def query(self, login: str, kind: Kind = "pr") -> str:
        return (
            f"is:{kind} {author_qualifier(login)} is:public "
            f"created:{format_time(self.start)}..{format_time(self.end)} sort:created-asc"
        )

    def can_split(self) -> bool:
        return self.end > self.start

    def slices(self, count: int) -> list[Window]:
        """At most ``count`` windows of (nearly) equal length tiling this one, to the second."""
        seconds = int((self.end - self.start).total_seconds()) + 1
        count = max(1, min(count, seconds))
        bounds = [self.start + timedelta(seconds=seconds * i // count) for i in range(count + 1)]
        return [Window(bounds[i], bounds[i + 1] - ONE_SECOND) for i in range(count)]


def author_qualifier(login: str) -> str:
    """``author:LOGIN`` for search text; ``InvalidInput`` for anything not a GitHub login."""
    return f"author:{validate_username(login)}"


@dataclass(slots=True)
class _Page:
    window: Window
    issue_count: int
    nodes: list[dict[str, Any]]
    cursor: str | None
    has_next: bool
    withheld: list[Denial] = field(default_factory=list)  # one per node GitHub nulled for good
    after: str | None = None  # the cursor it was read after

    def short(self) -> bool:
        """Fewer results than asked while more follow: GitHub's search ran out of time
        and paging goes on after what it found (read this page again)."""
        return self.has_next and len(self.nodes) + len(self.withheld) < PAGE_SIZE


def _withheld_nodes(denied: Iterable[Denial]) -> list[Denial]:
    """One denial per search node GitHub nulled (``["search", "nodes", i, ...]``)."""
    by_node: dict[int, Denial] = {}
    for denial in denied:
        path = denial.path
        if path[:2] == ("search", "nodes") and len(path) > 2 and isinstance(path[2], int):
            by_node.setdefault(path[2], denial)
    return list(by_node.values())


def format_time(moment: datetime) -> str:
    """``moment`` as GitHub writes times (``2026-03-01T12:00:00Z``; :func:`parse_time` reads it)."""
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
    taking ``query``, ``first`` and ``after``; ``phase`` names its progress reports.

    After ``run``: ``counted`` is GitHub's ``issueCount`` for the whole range, and
    ``incomplete_reasons`` names what could not be read.

    ``on_counted`` is called once the first page showed the range is not too large, and
    ``on_nodes`` with the nodes of every page from then on as it arrives (the first page's
    too; re-read windows bring some again): a caller can start work on what was found while
    the rest is still being searched."""

    def __init__(
        self,
        client: GitHubClient,
        login: str,
        progress: ProgressCallback,
        max_items: int,
        *,
        kind: Kind = "pr",
        document: Document | str = SEARCH_PULL_REQUESTS,
        phase: str = "search",
    ) -> None:
        self.client = client
        self.login = login
        self.progress = progress
        self.max_items = max_items
        self.kind: Kind = kind
        self.noun = _NOUNS[kind]
        self.document = document if isinstance(document, Document) else Document(document)
        self.phase = phase
        self.done = 0
        self.total = 0
        self.counted = 0
        self.incomplete_reasons: list[str] = []
        self.withheld = Withheld()
        self.on_counted: Callable[[], None] | None = None
        self.on_nodes: Callable[[list[dict[str, Any]]], None] | None = None
        self._offering = False  # from the count check on, pages are offered to on_nodes

    def query_for(self, window: Window) -> str:
        """The search text of ``window``."""
        return window.query(self.login, self.kind)

    async def page(
        self, window: Window, after: str | None, client: GitHubClient | None = None
    ) -> _Page:
        answer = await send(
            client or self.client,
            self.document,
            {"query": self.query_for(window), "first": PAGE_SIZE, "after": after},
        )
        search = answer.data["search"]
        if search is None:  # the token may not search at all: no report without it
            refused = next((d.message for d in answer.denied if d.path == ("search",)), None)
            raise NotAccessible(refused or "GitHub answered search: null")
        page = _Page(
            window,
            int(search["issueCount"]),
            [node for node in search["nodes"] if node],
            search["pageInfo"]["endCursor"],
            bool(search["pageInfo"]["hasNextPage"]),
            _withheld_nodes(answer.denied),
            after,
        )
        if self._offering and self.on_nodes is not None:
            self.on_nodes(page.nodes)
        return page

    async def counts(self, windows: list[Window]) -> list[int]:
        """GitHub's ``issueCount`` of each window: aliased searches asking no nodes, up to
        ``COUNTS_BATCH`` a document, the documents side by side."""

        async def batch(chunk: list[Window]) -> list[int]:
            variables = {f"q{i}": self.query_for(window) for i, window in enumerate(chunk)}
            answer = await self.client.graphql_answer(search_counts_query(len(chunk)), variables)
            found = [answer.data.get(f"c{i}") for i in range(len(chunk))]
            if any(counted is None for counted in found):
                # The whole range's first page was answered: a count withheld now is GitHub
                # failing, not the token's rights; the job retries as it does other failures.
                raise GitHubError("GitHub answered a search count with null")
            return [int(counted["issueCount"]) for counted in found if counted is not None]

        chunks = [windows[at : at + COUNTS_BATCH] for at in range(0, len(windows), COUNTS_BATCH)]
        return [count for counts in await gather_all(map(batch, chunks)) for count in counts]

    async def plan(self, whole: Window) -> list[Window]:
        """Windows tiling ``whole`` (over the cap), each of at most ``WINDOW_RESULTS``
        results, or of one second that cannot be cut: counted in ``COUNT_SLICES`` slices,
        those still over ``WINDOW_RESULTS`` sliced and counted again, then adjacent slices
        joined while they fit (empty slices join a neighbour, so the windows tile ``whole``
        exactly). A second holding more than the cap is named in ``incomplete_reasons``:
        search cannot list all of it."""
        pending: list[Window] = [whole]
        counted: list[tuple[Window, int]] = []
        while pending:
            slices = [piece for window in pending for piece in window.slices(COUNT_SLICES)]
            pending = []
            for piece, found in zip(slices, await self.counts(slices), strict=True):
                if found > WINDOW_RESULTS and piece.can_split():
                    pending.append(piece)
                else:
                    counted.append((piece, found))
        counted.sort(key=lambda pair: pair[0].start)
        windows: list[tuple[Window, int]] = []
        for piece, found in counted:
            if found > SEARCH_CAP:
                self.incomplete_reasons.append(
                    f"more than {SEARCH_CAP} {self.noun} created at {format_time(piece.start)}"
                )
            held = windows[-1][1] if windows else None
            if held is not None and (0 in (held, found) or held + found <= WINDOW_RESULTS):
                last = windows[-1][0]
                windows[-1] = (Window(last.start, piece.end), held + found)
            else:
                windows.append((piece, found))
        return [window for window, _ in windows]

    async def rest_of_window(
        self,
        page: _Page,
        *,
        counted: bool = True,
        client: GitHubClient | None = None,
        short: list[str | None] | None = None,
    ) -> tuple[list[dict[str, Any]], list[Denial]]:
        """The nodes of ``page``'s window from ``page`` on, and the nodes GitHub withheld;
        the cursors of pages that came back short are added to ``short``."""
        nodes, withheld = list(page.nodes), list(page.withheld)
        while True:
            if short is not None and page.short():
                short.append(page.after)
            if not page.has_next:
                return nodes, withheld
            page = await self.page(page.window, page.cursor, client)
            nodes.extend(page.nodes)
            withheld.extend(page.withheld)
            if counted:
                self.advance(len(page.nodes))

    async def with_fallback(self, window: Window) -> tuple[list[dict[str, Any]], bool] | None:
        """``window`` read by the fallback client: its nodes, and whether it was refused some
        too. ``None`` if it could not be read (the fallback's own trouble never fails the
        report: what it was to bring stays named as withheld)."""
        fallback = self.client.fallback
        if fallback is None:
            return None
        try:
            first = await self.page(window, None, fallback)
            nodes, withheld = await self.rest_of_window(first, counted=False, client=fallback)
        except GitHubError as exc:
            log.warning("the fallback token could not read a search window: %s", exc)
            return None
        return nodes, bool(withheld)

    async def whole_window(self, first: _Page) -> list[dict[str, Any]]:
        """Every node of ``first``'s window: what GitHub withholds read with the fallback
        client; a window still short beyond that has the pages that came back short read
        again, and if that is not enough, the whole window once."""
        expected = min(first.issue_count, SEARCH_CAP)
        short: list[str | None] = []
        nodes, withheld = await self.rest_of_window(first, short=short)
        if withheld and (again := await self.with_fallback(first.window)) is not None:
            more, refused_too = again
            nodes += more
            withheld = withheld if refused_too else []
        if short and _distinct(nodes) + len(withheld) < expected:
            pages = await gather_all(self.page(first.window, after) for after in short)
            nodes += [node for page in pages for node in page.nodes]
        if _distinct(nodes) + len(withheld) < expected:
            page = await self.page(first.window, None)
            more, _ = await self.rest_of_window(page, counted=False)
            nodes += more
        missing = expected - _distinct(nodes)
        named = self.withheld.add(self.noun, withheld, missing)
        if missing > named:
            self.incomplete_reasons.append(
                f"search for {self.noun} created {format_time(first.window.start)} to "
                f"{format_time(first.window.end)} returned {expected - missing + named} "
                f"of {expected}"
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
        self.counted = first.issue_count
        if first.issue_count > self.max_items:
            raise ReportTooLarge(self.login, first.issue_count, self.max_items, self.noun)
        self._offering = True
        if self.on_counted is not None:
            self.on_counted()
        if self.on_nodes is not None:
            self.on_nodes(first.nodes)
        firsts = [first]
        if first.issue_count > SEARCH_CAP:
            planned = await self.plan(whole)
            firsts = await gather_all(self.page(window, None) for window in planned)
        self.total = sum(page.issue_count for page in firsts)
        self.advance(sum(len(page.nodes) for page in firsts))
        windows = await gather_all(self.whole_window(page) for page in firsts)
        self.incomplete_reasons += self.withheld.reasons()
        return [node for nodes in windows for node in nodes]


def _distinct(nodes: list[dict[str, Any]]) -> int:
    return len({identity for node in nodes if (identity := _identity(node)) is not None})


class _Found(Protocol):
    @property
    def repository(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...


Found = TypeVar("Found", bound=_Found)


def public_records(
    nodes: Iterable[dict[str, Any]],
    typename: str,
    record: Callable[[dict[str, Any]], Found],
    date_range: DateRange,
    keep: Callable[[Found], bool] = lambda _: True,
) -> Iterator[tuple[Found, dict[str, Any]]]:
    """Each ``typename`` node of a public repository as a record (with its node), once per
    repository and number, created in ``date_range`` and ``keep``-ed, in the nodes' order.

    Nodes from private repositories are dropped even though the query says ``is:public``: a
    token that sees private work must never leak it.
    """
    seen: set[tuple[str, int]] = set()
    for node in nodes:
        repository = node.get("repository")
        if node.get("__typename") != typename or not isinstance(repository, dict):
            continue  # another kind, or a repository GitHub withheld
        if repository["isPrivate"]:
            continue
        found = record(node)
        identity = (found.repository, found.number)
        if identity in seen or not date_range.contains(found.created_at) or not keep(found):
            continue
        seen.add(identity)
        yield found, node

"""Every pull request a user authored in a date range, in public repositories: the windowed
search of :mod:`gitbrag.github.windows` over ``is:pr`` (refused with ``ReportTooLarge`` above
``max_pull_requests``), its nodes made records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from gitbrag.github.client import GitHubClient
from gitbrag.github.progress import ProgressCallback
from gitbrag.github.windows import WindowedSearch, parse_time, public_records
from gitbrag.report.periods import DateRange
from gitbrag.report.records import PRState, PullRequestRecord

_STATES: Final[dict[str, PRState]] = {"MERGED": "merged", "OPEN": "open", "CLOSED": "closed"}


@dataclass(slots=True)
class SearchResult:
    """The PRs found (files not yet read), each repository's URL, what could not be had, and
    how many pull requests GitHub counted in the range (``issueCount``, before any filter);
    ``left_out``: the PRs found that the report leaves out (closed without merge, unless it
    includes them), which a later refresh counts."""

    pull_requests: list[PullRequestRecord] = field(default_factory=list)
    left_out: list[PullRequestRecord] = field(default_factory=list)
    repository_urls: dict[str, str] = field(default_factory=dict)
    incomplete_reasons: list[str] = field(default_factory=list)
    counted: int = 0


def pull_request_record(node: dict[str, Any]) -> PullRequestRecord:
    """A search (or direct) pull request node as a record (its files not yet read)."""
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
        head_oid=node.get("headRefOid"),
    )


async def search_pull_requests(
    client: GitHubClient,
    login: str,
    date_range: DateRange,
    *,
    include_closed: bool,
    progress: ProgressCallback,
    max_pull_requests: int = 20_000,
    on_counted: Callable[[], None] | None = None,
    on_found: Callable[[list[PullRequestRecord]], None] | None = None,
) -> SearchResult:
    """Every PR ``login`` authored, created in ``date_range``, in public repositories
    (:func:`public_records`); closed-unmerged PRs are dropped unless ``include_closed``. PRs
    come back oldest first, each once.

    ``on_counted`` is called once the range is known not to be too large; ``on_found`` with
    each PR the search brings, as soon as its page arrives (each once): the collector reads
    their files while the search goes on.
    """
    searcher = WindowedSearch(client, login, progress, max_pull_requests)

    def wanted(pr: PullRequestRecord) -> bool:
        return include_closed or pr.state != "closed"

    searcher.on_counted = on_counted
    if on_found is not None:
        offered: set[tuple[str, int]] = set()

        def offer(nodes: list[dict[str, Any]]) -> None:
            found = [
                record
                for record, _ in public_records(
                    nodes, "PullRequest", pull_request_record, date_range, wanted
                )
                if (record.repository, record.number) not in offered
            ]
            offered.update((record.repository, record.number) for record in found)
            if found:
                on_found(found)

        searcher.on_nodes = offer
    nodes = await searcher.run(date_range)
    result = SearchResult(incomplete_reasons=searcher.incomplete_reasons, counted=searcher.counted)

    for record, node in public_records(nodes, "PullRequest", pull_request_record, date_range):
        if not wanted(record):
            result.left_out.append(record)
            continue
        result.pull_requests.append(record)
        result.repository_urls[record.repository] = node["repository"]["url"]
    result.pull_requests.sort(key=_oldest_first)
    result.left_out.sort(key=_oldest_first)
    return result


def _oldest_first(pr: PullRequestRecord) -> tuple[Any, ...]:
    return (pr.created_at, pr.repository, pr.number)

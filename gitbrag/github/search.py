"""Every pull request a user authored in a date range, in public repositories: the windowed
search of :mod:`gitbrag.github.windows` over ``is:pr`` (refused with ``ReportTooLarge`` above
``max_pull_requests``), its nodes made records.
"""

from __future__ import annotations

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
    how many pull requests GitHub counted in the range (``issueCount``, before any filter)."""

    pull_requests: list[PullRequestRecord] = field(default_factory=list)
    repository_urls: dict[str, str] = field(default_factory=dict)
    incomplete_reasons: list[str] = field(default_factory=list)
    counted: int = 0


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
    progress: ProgressCallback,
    max_pull_requests: int = 20_000,
) -> SearchResult:
    """Every PR ``login`` authored, created in ``date_range``, in public repositories
    (:func:`public_records`); closed-unmerged PRs are dropped unless ``include_closed``. PRs
    come back oldest first, each once.
    """
    searcher = WindowedSearch(client, login, progress, max_pull_requests)
    nodes = await searcher.run(date_range)
    result = SearchResult(incomplete_reasons=searcher.incomplete_reasons, counted=searcher.counted)

    def wanted(pr: PullRequestRecord) -> bool:
        return include_closed or pr.state != "closed"

    for record, node in public_records(nodes, "PullRequest", _record, date_range, wanted):
        result.pull_requests.append(record)
        result.repository_urls[record.repository] = node["repository"]["url"]
    result.pull_requests.sort(key=lambda pr: (pr.created_at, pr.repository, pr.number))
    return result

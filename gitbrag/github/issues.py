"""Issues a user opened in a date range: search ``is:issue author:LOGIN is:public``, split into
windows under the 1000-result cap and paged exactly like pull requests
(:class:`~gitbrag.github.windows.WindowedSearch`).

Search rather than ``contributionsCollection.issueContributions``: GitHub leaves issues opened
in forks out of contributions, and search needs no one-year spans (one request per 100 issues
whatever the range). Private repositories are dropped even though the query says
``is:public``. More issues than a report reads (the pull-request cap), or a search GitHub
keeps failing, leaves the issues out and says so, rather than failing the whole report.

An older GitHub Enterprise Server has no ``Issue.stateReason``: the search is then sent
without it (:mod:`gitbrag.github.schema_gaps`) and its closed issues have an unknown reason
(``state_reason_known`` false: the report counts them closed and shows the split as
unknown), as opposed to ``stateReason: null`` from a server that has the field (an issue
closed before GitHub kept reasons: completed, as GitHub shows it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from gitbrag.errors import GitHubUnavailable, ReportTooLarge
from gitbrag.github.client import GitHubClient
from gitbrag.github.progress import silent
from gitbrag.github.queries import SEARCH_ISSUES, SEARCH_ISSUES_WITHOUT_REASON
from gitbrag.github.schema_gaps import Document
from gitbrag.github.windows import WindowedSearch, parse_time, public_records
from gitbrag.report.periods import DateRange
from gitbrag.report.records import IssueRecord, IssueState, IssueStateReason

_STATES: Final[dict[str, IssueState]] = {"OPEN": "open", "CLOSED": "closed"}
_REASONS: Final[dict[str, IssueStateReason]] = {
    "COMPLETED": "completed",
    "NOT_PLANNED": "not_planned",
    "DUPLICATE": "not_planned",  # only with enableDuplicate, which the query does not ask
    "REOPENED": "reopened",
}
ISSUES_DOCUMENT: Final = Document(
    SEARCH_ISSUES,
    needs=(("Issue", "stateReason"),),
    instead=Document(SEARCH_ISSUES_WITHOUT_REASON),
)


@dataclass(slots=True)
class IssuesResult:
    """The issues found (``None``: too many to read), what could not be had, and how many
    issues GitHub counted in the range (``issueCount``; ``None``: the search failed)."""

    issues: list[IssueRecord] | None = field(default_factory=list)
    incomplete_reasons: list[str] = field(default_factory=list)
    counted: int | None = 0


def issue_record(node: dict[str, Any]) -> IssueRecord:
    """A search issue node as a record."""
    created_at = parse_time(node["createdAt"])
    assert created_at is not None
    reason = node.get("stateReason")
    return IssueRecord(
        repository=node["repository"]["nameWithOwner"],
        repository_url=node["repository"]["url"],
        repository_private=bool(node["repository"]["isPrivate"]),
        number=int(node["number"]),
        title=node["title"],
        url=node["url"],
        state=_STATES[node["state"]],
        state_reason=_REASONS.get(reason) if isinstance(reason, str) else None,
        created_at=created_at,
        closed_at=parse_time(node.get("closedAt")),
        state_reason_known="stateReason" in node,  # asked without it: an older server
    )


async def search_issues(
    client: GitHubClient, login: str, date_range: DateRange, *, max_issues: int
) -> IssuesResult:
    """Every issue ``login`` opened in ``date_range`` in a public repository, oldest first."""
    searcher = WindowedSearch(
        client,
        login,
        silent,
        max_issues,  # the activity phase reports
        kind="issue",
        document=ISSUES_DOCUMENT,
    )
    try:
        nodes = await searcher.run(date_range)
    except ReportTooLarge as too_many:
        return IssuesResult(None, [f"issues opened: {too_many}"], searcher.counted)
    except GitHubUnavailable:  # the pull requests still make a report
        return IssuesResult(None, ["issues opened"], None)
    issues = [issue for issue, _ in public_records(nodes, "Issue", issue_record, date_range)]
    issues.sort(key=lambda issue: (issue.created_at, issue.repository, issue.number))
    return IssuesResult(issues, searcher.incomplete_reasons, searcher.counted)

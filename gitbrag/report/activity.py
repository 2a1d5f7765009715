"""The report's "invisible work" sections: reviews given and issues opened. Pure, like
:mod:`gitbrag.report.builder` (records + report key in, report models out).

Reviews given (docs/spec.md section 3): reviews submitted (``submitted_at``) in the range, on
pull requests someone else opened, in public repositories; each review counts once, wherever
and however often it was collected; a pull request opened before the range but reviewed in it
counts.
Issues opened: issues created in the range in public repositories, each once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from gitbrag.report import counts
from gitbrag.report.models import (
    IssueOut,
    IssueRepositoryOut,
    IssuesOut,
    ReviewedRepositoryOut,
    ReviewsOut,
    ReviewStates,
)
from gitbrag.report.periods import DateRange
from gitbrag.report.records import IssueRecord, ReviewRecord
from gitbrag.report.text import clean


def select_reviews(
    records: Iterable[ReviewRecord], login: str, date_range: DateRange
) -> list[ReviewRecord]:
    """The reviews a report counts, each once, oldest first."""
    wanted = login.lower()
    chosen: dict[str, ReviewRecord] = {}
    for review in records:
        if review.repository_private or not date_range.contains(review.submitted_at):
            continue
        author = review.pull_request_author
        if author is not None and author.lower() == wanted:
            continue  # a note on one's own pull request is not a review given
        chosen.setdefault(review.id, review)
    return sorted(chosen.values(), key=lambda r: (r.submitted_at, r.repository, r.id))


def reviews_section(reviews: list[ReviewRecord]) -> ReviewsOut:
    """Totals, states and per-repository counts of already selected ``reviews``; repositories
    by their newest review, newest first (then by name)."""
    per_repo: dict[str, list[ReviewRecord]] = {}
    for review in reviews:
        per_repo.setdefault(review.repository, []).append(review)
    repositories = [
        ReviewedRepositoryOut(
            name_with_owner=name,
            url=held[0].repository_url,
            reviews=len(held),
            pull_requests=len({review.pull_request for review in held}),
            last_reviewed_at=max(review.submitted_at for review in held),
            states=ReviewStates.model_validate(dict(Counter(review.state for review in held))),
            months=dict(
                sorted(Counter(counts.month_of(review.submitted_at) for review in held).items())
            ),
        )
        for name, held in per_repo.items()
    ]
    repositories.sort(key=lambda repo: repo.name_with_owner.lower())
    repositories.sort(key=lambda repo: repo.last_reviewed_at, reverse=True)
    return counts.reviews(repositories)


def select_issues(records: Iterable[IssueRecord], date_range: DateRange) -> list[IssueRecord]:
    """The issues a report counts: opened in the range, public repositories, each once."""
    chosen: dict[tuple[str, int], IssueRecord] = {}
    for issue in records:
        if issue.repository_private or not date_range.contains(issue.created_at):
            continue
        chosen.setdefault((issue.repository.lower(), issue.number), issue)
    return list(chosen.values())


def _newest_first(issues: Iterable[IssueRecord]) -> list[IssueRecord]:
    return sorted(issues, key=lambda issue: (issue.created_at, issue.number), reverse=True)


def issues_section(issues: list[IssueRecord]) -> IssuesOut:
    """Counts by state and reason, and the issues per repository (repositories by their
    newest issue, issues newest first)."""
    per_repo: dict[str, list[IssueRecord]] = {}
    for issue in _newest_first(issues):
        per_repo.setdefault(issue.repository, []).append(issue)
    repositories = [
        IssueRepositoryOut(
            name_with_owner=name,
            url=held[0].repository_url,
            issues=[_issue_out(issue) for issue in held],
        )
        for name, held in per_repo.items()
    ]
    repositories.sort(key=lambda repo: repo.name_with_owner.lower())
    repositories.sort(key=lambda repo: repo.issues[0].created_at, reverse=True)
    return counts.issues(repositories)


def _issue_out(issue: IssueRecord) -> IssueOut:
    return IssueOut(
        number=issue.number,
        title=clean(issue.title),
        url=issue.url,
        state=issue.state,
        state_reason=issue.state_reason,
        created_at=issue.created_at,
        closed_at=issue.closed_at,
        state_reason_known=issue.state_reason_known,
    )

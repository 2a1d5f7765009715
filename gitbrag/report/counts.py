"""Every figure of a report, counted from its rows: the repositories with their pull requests,
the reviewed repositories, the repositories with issues. Pure, like :mod:`gitbrag.report.builder`.

A report's summary (:func:`gitbrag.report.summary.summarise`, for the builder and the author's
curation alike) and its sections of reviews given and issues opened
(:mod:`gitbrag.report.activity`, recounted by the curation after leaving rows out) all count
through these functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from gitbrag.report.models import (
    SIZE_BUCKETS,
    IssueRepositoryOut,
    IssuesOut,
    LanguageShare,
    PullRequestOut,
    RepositoryOut,
    ReviewedRepositoryOut,
    ReviewsOut,
    ReviewStates,
    Sizes,
    Totals,
)


def month_of(moment: datetime) -> str:
    """The calendar month of ``moment`` as the report names it (``"2026-03"``)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def _pull_requests(repositories: Iterable[RepositoryOut]) -> list[PullRequestOut]:
    return [pr for repo in repositories for pr in repo.pull_requests]


def totals(repositories: Sequence[RepositoryOut]) -> Totals:
    """Pull requests by state, lines, files and stars of ``repositories`` (stars gained sum the
    repositories, never the pull requests)."""
    prs = _pull_requests(repositories)
    states = Counter(pr.state for pr in prs)
    return Totals(
        pull_requests=len(prs),
        merged=states["merged"],
        open=states["open"],
        closed=states["closed"],
        repositories=len(repositories),
        additions=sum(pr.additions for pr in prs),
        deletions=sum(pr.deletions for pr in prs),
        changed_files=sum(pr.changed_files for pr in prs),
        stars_gained=sum(repo.stars_gained for repo in repositories),
    )


def sizes(repositories: Iterable[RepositoryOut]) -> Sizes:
    """Pull requests per size bucket, all six buckets present."""
    counted = Counter(pr.size for pr in _pull_requests(repositories))
    return Sizes(**{bucket: counted[bucket] for bucket in SIZE_BUCKETS})


def roles(repositories: Iterable[RepositoryOut]) -> dict[str, int]:
    """Repositories per role, by role name."""
    return dict(sorted(Counter(repo.role for repo in repositories).items()))


def language_lines(prs: Iterable[PullRequestOut]) -> Counter[str]:
    """Lines changed per language in ``prs`` (pull requests made before their languages were
    kept count none)."""
    lines: Counter[str] = Counter()
    for pr in prs:
        lines.update(pr.languages or {})
    return lines


def language_shares(lines: Counter[str], colors: Mapping[str, str | None]) -> list[LanguageShare]:
    """``lines`` per language as shares, largest first, percentages to one decimal."""
    total = sum(lines.values())
    ordered = sorted(((n, c) for n, c in lines.items() if c > 0), key=lambda i: (-i[1], i[0]))
    return [
        LanguageShare(
            name=name, lines=count, percent=round(100 * count / total, 1), color=colors.get(name)
        )
        for name, count in ordered
    ]


def pull_requests_by_month(repositories: Iterable[RepositoryOut]) -> Counter[str]:
    """Pull requests opened per month (``month_of``), months without any left out."""
    return Counter(month_of(pr.created_at) for pr in _pull_requests(repositories))


def reviews_by_month(rows: Iterable[ReviewedRepositoryOut]) -> Counter[str]:
    """Reviews given per month, from each reviewed repository's months."""
    counted: Counter[str] = Counter()
    for row in rows:
        counted.update(row.months or {})
    return counted


def reviews(rows: list[ReviewedRepositoryOut], states: ReviewStates | None = None) -> ReviewsOut:
    """Reviews given, totalled from their repositories' rows; ``states`` summed from the rows
    unless given (a report made before the rows kept their states)."""
    if states is None:
        counted: Counter[str] = Counter()
        for row in rows:
            assert row.states is not None
            counted.update(row.states.model_dump())
        states = ReviewStates.model_validate(dict(counted))
    return ReviewsOut(
        total=sum(row.reviews for row in rows),
        pull_requests=sum(row.pull_requests for row in rows),  # (repository, number) pairs
        repositories=len(rows),
        states=states,
        by_repository=rows,
    )


def issues(rows: list[IssueRepositoryOut]) -> IssuesOut:
    """Issues opened, counted by state and reason from their repositories' rows."""
    every = [issue for row in rows for issue in row.issues]
    closed = [issue for issue in every if issue.state == "closed"]
    unknown = sum(1 for issue in closed if not issue.state_reason_known)
    not_planned = sum(1 for issue in closed if issue.state_reason == "not_planned")
    return IssuesOut(
        total=len(every),
        open=len(every) - len(closed),
        closed=len(closed),
        completed=len(closed) - not_planned - unknown,
        not_planned=not_planned,
        repositories=len(rows),
        by_repository=rows,
        closed_reason_unknown=unknown,
    )

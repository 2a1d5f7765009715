"""What the report page shows of reviews given and issues opened, as plain data: the state
bar, the reviews-per-month line over the months chart, each repository's review count, the
reviewed repositories and every issue newest first (``templates/_reviews.html`` and
``_issues.html`` render them).

Pure like :mod:`web.presenters.formatting`. Lists stay bounded however busy the user: the page
shows the
``REPOSITORIES_SHOWN`` repositories reviewed most recently (the exports list them all) and the
most recent issues, with the rest on paged pages like a repository's pull requests
(``web.bundle`` cuts :func:`issue_rows` into them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from gitbrag.report.models import IssueOut, MonthCount, Report, ReviewedRepositoryOut
from gitbrag.report.records import REVIEW_STATES
from web.presenters.formatting import (
    BarChart,
    Segment,
    count,
    month_label,
    nice_ceiling,
    stacked_segments,
)

REPOSITORIES_SHOWN: Final = 10
REVIEW_STATE_LABELS: Final = {
    "APPROVED": "Approved",
    "CHANGES_REQUESTED": "Changes requested",
    "COMMENTED": "Commented",
    "DISMISSED": "Dismissed",
}
# Drawn with the theme's colours (app.css): these fills are for the SVG's fallback only.
REVIEW_STATE_COLORS: Final = {
    "APPROVED": "#1a7f37",
    "CHANGES_REQUESTED": "#cf222e",
    "COMMENTED": "#0969da",
    "DISMISSED": "#8b949e",
}


@dataclass(frozen=True, slots=True)
class LinePoint:
    x: float
    y: float
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    """A series drawn over a bar chart on its own scale (right-hand axis)."""

    points: tuple[LinePoint, ...]
    path: str  # "x,y x,y ..." for an SVG polyline
    max_value: int
    gridlines: tuple[tuple[float, int], ...]  # (y, value) on the right axis


def line_over(chart: BarChart, months: list[MonthCount], *, top: float = 12) -> Line | None:
    """Reviews per month as a line through the centres of ``chart``'s month bars, scaled to
    its own "nice" maximum (reviews can outnumber pull requests a hundredfold)."""
    if not chart.bars or len(chart.bars) != len(months) or not any(m.reviews for m in months):
        return None
    maximum = nice_ceiling(max(m.reviews for m in months))
    plot = chart.baseline - top
    points = tuple(
        LinePoint(
            round(bar.x + bar.width / 2, 2),
            round(chart.baseline - plot * month.reviews / maximum, 2),
            month.reviews,
            f"{month_label(month.month)}: {count(month.reviews, 'review')} given",
        )
        for bar, month in zip(chart.bars, months, strict=True)
    )
    gridlines = tuple(
        (round(chart.baseline - plot * fraction, 2), round(maximum * fraction))
        for fraction in (0.5, 1.0)
        if maximum * fraction == int(maximum * fraction)
    )
    return Line(points, " ".join(f"{p.x},{p.y}" for p in points), maximum, gridlines)


def review_states(report: Report) -> tuple[Segment, ...]:
    if report.reviews is None:
        return ()
    counts = report.reviews.states.model_dump()
    parts = [(REVIEW_STATE_LABELS[s], counts[s], REVIEW_STATE_COLORS[s]) for s in REVIEW_STATES]
    order = {label: i for i, (label, _, _) in enumerate(parts)}
    segments = stacked_segments([p for p in parts if p[1]], limit=len(parts))
    return tuple(sorted(segments, key=lambda segment: order[segment.name]))


@dataclass(frozen=True, slots=True)
class IssueRow:
    repository: str
    issue: IssueOut


def issue_rows(report: Report) -> list[IssueRow]:
    """Every issue of the report, newest first (then by number, highest first)."""
    if report.issues is None:
        return []
    rows = [
        IssueRow(repo.name_with_owner, issue)
        for repo in report.issues.by_repository
        for issue in repo.issues
    ]
    rows.sort(key=lambda row: (row.issue.created_at, row.issue.number), reverse=True)
    return rows


def activity_view(report: Report, months: BarChart) -> dict[str, Any]:
    """The template's data for the reviews and issues parts of the page (the issues
    themselves come paged, see :func:`issue_rows`)."""
    reviews = report.reviews
    by_repo: dict[str, ReviewedRepositoryOut] = {}
    if reviews is not None:
        by_repo = {repo.name_with_owner: repo for repo in reviews.by_repository}
    issues = report.issues
    return {
        "has_activity": bool((reviews and reviews.total) or (issues and issues.total)),
        "review_states": review_states(report),
        "review_state_keys": {label: key.lower() for key, label in REVIEW_STATE_LABELS.items()},
        "reviews_line": line_over(months, report.months) if reviews is not None else None,
        "reviews_by_repo": by_repo,
        "reviewed_repositories": reviews.by_repository[:REPOSITORIES_SHOWN] if reviews else [],
        "reviewed_repositories_hidden": max(0, len(by_repo) - REPOSITORIES_SHOWN),
    }

"""What the report page shows besides the report itself: chart geometry and derived numbers
(``report_view``) and the period tabs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitbrag.report.keys import ReportKey
from gitbrag.report.models import SIZE_BUCKETS, Report
from gitbrag.report.periods import PERIOD_LABELS, PERIODS
from gitbrag.report.wording import date_span
from web.presenters.activity import activity_view
from web.presenters.formatting import months_chart, stacked_segments
from web.presenters.paths import report_path


@dataclass(frozen=True, slots=True)
class Tab:
    label: str
    href: str
    active: bool


def period_tabs(key: ReportKey) -> list[Tab]:
    return [
        Tab(PERIOD_LABELS[period], report_path(key, period=period), key.range.period == period)
        for period in PERIODS
    ]


def report_view(report: Report) -> dict[str, Any]:
    """Chart geometry and derived numbers for the report template."""
    totals = report.totals
    sizes = report.sizes.model_dump()
    size_max = max(sizes.values(), default=0) or 1
    size_rows = [
        {
            "bucket": bucket,
            "count": sizes[bucket],
            "width": round(100 * sizes[bucket] / size_max, 1),
        }
        for bucket in SIZE_BUCKETS
    ]
    languages = stacked_segments(
        [(share.name, share.lines, share.color) for share in report.languages]
    )
    merge_rate = round(100 * totals.merged / totals.pull_requests) if totals.pull_requests else 0
    external = sum(
        count for role, count in report.roles.items() if role.upper() not in {"OWNER", "MEMBER"}
    )
    months = months_chart([(month.month, month.pull_requests) for month in report.months])
    return {
        **activity_view(report, months),
        "months": months,
        "sizes": size_rows,
        "language_segments": languages,
        "merge_rate": merge_rate,
        "lines_changed": totals.additions + totals.deletions,
        "external_repositories": external,
        "range_text": date_span(report.since, report.until),
        "busiest_month": max(report.months, key=lambda m: m.pull_requests, default=None),
    }

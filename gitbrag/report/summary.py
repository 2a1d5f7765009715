"""A report's summary: its totals, sizes, roles, languages and months, counted from its rows,
and the highlights those figures give.

The rows are the repositories with their pull requests and the reviewed repositories. The
builder (:mod:`gitbrag.report.builder`) summarises the rows it has just built; the author's
curation (:mod:`gitbrag.report.curation`) summarises again the rows it keeps. Both call
:func:`summarise` and :func:`highlighted`, so a curated report's figures can never disagree
with the builder's way of counting. What differs between the two is the :class:`Frame`: which
months the chart shows (every month of a range, or the months a built report already shows),
the languages' colours, and, for a report stored before its rows said enough, the figures to
keep as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from gitbrag.report import counts
from gitbrag.report.highlights import highlights
from gitbrag.report.models import (
    LanguageShare,
    MonthCount,
    Report,
    RepositoryOut,
    ReviewedRepositoryOut,
    Sizes,
    Totals,
)
from gitbrag.report.periods import DateRange

MAX_MONTHS_FROM_RANGE_START = 60


class Rows(NamedTuple):
    """What a report lists, from which its figures are counted."""

    repositories: Sequence[RepositoryOut]
    reviewed: Sequence[ReviewedRepositoryOut] = ()


@dataclass(frozen=True, slots=True)
class Frame:
    """What a summary takes besides the rows.

    ``months``: a range (every calendar month of it, zeros included; past 60 months from the
    month of the first pull request or review, docs/architecture.md) or the months to show.
    ``colors``: each language's colour. ``languages`` and ``reviews_by_month``: kept as given
    instead of counted, for a report made before its pull requests kept their languages or its
    reviewed repositories their months.
    """

    months: DateRange | Sequence[str]
    colors: Mapping[str, str | None]
    languages: list[LanguageShare] | None = None
    reviews_by_month: Mapping[str, int] | None = None


class Summary(NamedTuple):
    """Every figure of a report that is counted from its rows (named as ``Report``'s fields)."""

    totals: Totals
    sizes: Sizes
    roles: dict[str, int]
    languages: list[LanguageShare]
    months: list[MonthCount]


def summarise(rows: Rows, frame: Frame) -> Summary:
    """The figures of ``rows``, laid out by ``frame``."""
    prs = (pr for repo in rows.repositories for pr in repo.pull_requests)
    languages = frame.languages
    if languages is None:
        languages = counts.language_shares(counts.language_lines(prs), frame.colors)
    pull_requests = counts.pull_requests_by_month(rows.repositories)
    reviews = frame.reviews_by_month
    if reviews is None:
        reviews = counts.reviews_by_month(rows.reviewed)
    shown = frame.months
    if isinstance(shown, DateRange):
        shown = range_months(shown, [*pull_requests, *reviews])
    return Summary(
        totals=counts.totals(rows.repositories),
        sizes=counts.sizes(rows.repositories),
        roles=counts.roles(rows.repositories),
        languages=languages,
        months=[
            MonthCount(
                month=month, pull_requests=pull_requests[month], reviews=reviews.get(month, 0)
            )
            for month in shown
        ],
    )


def highlighted(report: Report) -> Report:
    """``report`` with the highlights of its figures (they read the whole report: its range,
    its rows, its figures and the pull requests its author pinned)."""
    return report.model_copy(update={"highlights": highlights(report)})


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def range_months(date_range: DateRange, active: Iterable[str]) -> list[str]:
    """Every calendar month of ``date_range`` (``"2026-03"``); past 60 months from the first of
    the ``active`` months (none: no months)."""
    first = _month_index(date_range.since)
    last = _month_index(date_range.until)
    if last - first + 1 > MAX_MONTHS_FROM_RANGE_START:
        earliest = min(active, default=None)
        if earliest is None:
            return []
        first = _month_index(date.fromisoformat(earliest + "-01"))
    return [f"{index // 12:04d}-{index % 12 + 1:02d}" for index in range(first, last + 1)]

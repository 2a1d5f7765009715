"""A period beside the one before it, of the same length. Pure: two reports in, a
:class:`Comparison` out.

The earlier period is a report like any other (``previous_range`` names it: it ends the day
before the period starts and has as many days), generated and cached by the same rules, so a
comparison never costs a GitHub call of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report, RepositoryOut
from gitbrag.report.periods import ALL_TIME_START, DateRange

# The summary figures compared, in the order the page shows them.
FIGURES: Final = (
    "pull_requests",
    "merged",
    "repositories",
    "lines_changed",
    "additions",
    "deletions",
    "changed_files",
    "stars_gained",
)


def previous_range(date_range: DateRange) -> DateRange:
    """The range of as many days that ends the day before ``date_range`` starts."""
    if date_range.period == "all_time":
        raise InvalidInput("all time has no period before it: compare a shorter period")
    days = (date_range.until - date_range.since).days + 1
    until = date_range.since - timedelta(days=1)
    since = until - timedelta(days=days - 1)
    if since < ALL_TIME_START:
        raise InvalidInput(
            f"the {days} days before {date_range.since.isoformat()} start before "
            f"{ALL_TIME_START.isoformat()}, where gitbrag's history begins: compare a later "
            "or shorter range"
        )
    return DateRange(since, until)


def previous_key(key: ReportKey) -> ReportKey:
    return ReportKey(key.username, previous_range(key.range), key.include_closed)


@dataclass(frozen=True, slots=True)
class Delta:
    name: str
    current: int
    previous: int

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """The change as a percentage of the earlier figure (None when that was 0)."""
        if self.previous == 0:
            return None
        return round(100 * self.change / self.previous, 1)

    def as_json(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "previous": self.previous,
            "change": self.change,
            "percent": self.percent,
        }


@dataclass(frozen=True, slots=True)
class MonthPair:
    month: str  # "2026-03"
    previous: int  # pull requests of the earlier report that month
    current: int


@dataclass(frozen=True, slots=True)
class Comparison:
    current: Report
    previous: Report
    deltas: tuple[Delta, ...]
    languages_gained: tuple[str, ...]  # in the current period only, largest first
    languages_lost: tuple[str, ...]  # in the earlier period only, largest first
    new_repositories: tuple[RepositoryOut, ...]  # contributed to now, not in the earlier period
    months: tuple[MonthPair, ...]  # both periods on one axis

    def delta(self, name: str) -> Delta:
        return next(delta for delta in self.deltas if delta.name == name)


def _figures(report: Report) -> dict[str, int]:
    totals = report.totals
    figures = totals.model_dump()
    figures["lines_changed"] = totals.additions + totals.deletions
    return {name: int(figures[name]) for name in FIGURES}


def compare(current: Report, previous: Report) -> Comparison:
    now, before = _figures(current), _figures(previous)
    current_languages = [share.name for share in current.languages]
    previous_languages = [share.name for share in previous.languages]
    earlier_repositories = {repo.name_with_owner.lower() for repo in previous.repositories}
    months: dict[str, list[int]] = {}
    for month in previous.months:
        months.setdefault(month.month, [0, 0])[0] += month.pull_requests
    for month in current.months:
        months.setdefault(month.month, [0, 0])[1] += month.pull_requests
    return Comparison(
        current=current,
        previous=previous,
        deltas=tuple(Delta(name, now[name], before[name]) for name in FIGURES),
        languages_gained=tuple(n for n in current_languages if n not in previous_languages),
        languages_lost=tuple(n for n in previous_languages if n not in current_languages),
        new_repositories=tuple(
            repo
            for repo in current.repositories
            if repo.name_with_owner.lower() not in earlier_repositories
        ),
        months=tuple(MonthPair(m, counts[0], counts[1]) for m, counts in sorted(months.items())),
    )


def _side(report: Report) -> dict[str, Any]:
    return {
        "period": report.period,
        "since": report.since,
        "until": report.until,
        "generated_at": report.generated_at.isoformat().replace("+00:00", "Z"),
        "complete": report.complete,
        "totals": report.totals.model_dump(),
        "languages": [share.model_dump() for share in report.languages],
        "curation": report.curation.model_dump() if report.curation else None,
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """The comparison as the API sends it."""
    return {
        "current": _side(comparison.current),
        "previous": _side(comparison.previous),
        "deltas": {delta.name: delta.as_json() for delta in comparison.deltas},
        "languages_gained": list(comparison.languages_gained),
        "languages_lost": list(comparison.languages_lost),
        "new_repositories": [
            {
                "name_with_owner": repo.name_with_owner,
                "url": repo.url,
                "pull_requests": len(repo.pull_requests),
            }
            for repo in comparison.new_repositories
        ],
        "months": [
            {"month": pair.month, "previous": pair.previous, "current": pair.current}
            for pair in comparison.months
        ],
    }

"""A shields-style badge: "merged PRs · 1 year | 36" (laid out for ``templates/badge.svg``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gitbrag.report.models import Report
from gitbrag.report.wording import number
from web.embeds.fonts import text_width

SHORT_PERIODS: Final = {
    "1_year": "1 year",
    "2_years": "2 years",
    "5_years": "5 years",
    "all_time": "all time",
}
GOOD: Final = "#2ea44f"
NEUTRAL: Final = "#9f9f9f"
BAD: Final = "#e05d44"


@dataclass(frozen=True, slots=True)
class Badge:
    label: str
    value: str
    color: str
    label_width: float
    value_width: float

    @property
    def width(self) -> float:
        return self.label_width + self.value_width


def _side(text: str) -> float:
    return round(text_width(text, 11) + 12, 1)


def badge(label: str, value: str, color: str) -> Badge:
    return Badge(label, value, color, _side(label), _side(value))


def span_label(period: str | None, since: str, until: str) -> str:
    return SHORT_PERIODS.get(period or "", f"{since}\u2013{until}")


def report_badge(report: Report) -> Badge:
    label = f"merged PRs \u00b7 {span_label(report.period, report.since, report.until)}"
    return badge(label, number(report.totals.merged), GOOD)

"""A comparison (``gitbrag.report.comparison``) as plain data for ``templates/compare.html``: the
summary figures with their change, and the months of both periods on one chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from gitbrag.report.comparison import Comparison, Delta
from gitbrag.report.wording import MINUS, compact, date_span, number
from web.presenters.formatting import bar_chart, count, month_label, month_tick

CARDS: Final = ("pull_requests", "merged", "repositories", "lines_changed", "stars_gained")
LABELS: Final = {
    "pull_requests": "Pull requests",
    "merged": "Merged",
    "repositories": "Repositories",
    "lines_changed": "Lines changed",
    "stars_gained": "Stars gained",
}
COMPACT: Final = frozenset({"lines_changed", "stars_gained"})  # big numbers: 12.3k


@dataclass(frozen=True, slots=True)
class DeltaView:
    name: str
    label: str
    value: str
    previous: str
    change: str  # "+12", "\u22123" (a real minus sign), "no change"
    percent: str  # "+35.0%", "new", ""
    direction: Literal["up", "down", "same"]


def _figure(name: str, value: int) -> str:
    return compact(value) if name in COMPACT else number(value)


def delta_view(delta: Delta) -> DeltaView:
    change = delta.change
    shown = _figure(delta.name, abs(change))
    if change > 0:
        text, direction = f"+{shown}", "up"
    elif change < 0:
        text, direction = f"{MINUS}{shown}", "down"
    else:
        text, direction = "no change", "same"
    if delta.percent is not None and change:
        sign = "+" if change > 0 else MINUS
        shown_percent = abs(delta.percent)
        digits = f"{shown_percent:,.0f}" if shown_percent >= 100 else f"{shown_percent:.1f}"
        percent = f"{sign}{digits}%"
    elif delta.previous == 0 and change > 0:
        percent = "new"
    else:
        percent = ""
    return DeltaView(
        delta.name,
        LABELS[delta.name],
        _figure(delta.name, delta.current),
        _figure(delta.name, delta.previous),
        text,
        percent,
        direction,  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class StackedBar:
    x: float
    width: float
    previous_y: float
    previous_height: float
    current_y: float
    current_height: float
    label: str
    tick: str
    empty: bool


@dataclass(frozen=True, slots=True)
class StackedChart:
    width: float
    height: float
    baseline: float
    bars: tuple[StackedBar, ...]
    gridlines: tuple[tuple[float, int], ...]


def months_chart(comparison: Comparison) -> StackedChart:
    """Both periods' pull requests per month on one axis: the earlier period's part of each
    bar below, the current one's above (a month on the boundary has both)."""
    pairs = comparison.months
    values = []
    for index, pair in enumerate(pairs):
        tick = month_tick(pair.month, index)
        label = (
            f"{month_label(pair.month)}: {count(pair.previous + pair.current, 'pull request')}"
            f" ({number(pair.previous)} in the earlier period, {number(pair.current)} in this one)"
        )
        values.append((label, pair.previous + pair.current, tick))
    chart = bar_chart(values, width=960, max_ticks=16)
    bars = []
    for bar, pair in zip(chart.bars, pairs, strict=True):
        total = pair.previous + pair.current
        before = bar.height * pair.previous / total if total else 0.0
        bars.append(
            StackedBar(
                x=bar.x,
                width=bar.width,
                previous_y=round(chart.baseline - before, 2),
                previous_height=round(before, 2),
                current_y=bar.y,
                current_height=round(bar.height - before, 2),
                label=bar.label,
                tick=bar.tick,
                empty=total == 0,
            )
        )
    return StackedChart(chart.width, chart.height, chart.baseline, tuple(bars), chart.gridlines)


def compare_view(comparison: Comparison) -> dict[str, Any]:
    current, previous = comparison.current, comparison.previous
    return {
        "cards": [delta_view(comparison.delta(name)) for name in CARDS],
        "chart": months_chart(comparison),
        "current_range": date_span(current.since, current.until),
        "previous_range": date_span(previous.since, previous.until),
    }

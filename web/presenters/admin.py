"""How the operations console shows what :mod:`web.console` read: ages, durations, the
throughput charts as small inline SVG (presentation attributes only: the CSP allows no inline
style) and the phase labels of running jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from gitbrag.stores.throughput import ENDED, GITHUB, STARTED, VIEW_HIT, VIEW_MISS, Throughput

CHART_WIDTH: Final = 240
CHART_HEIGHT: Final = 48


def age(now: datetime, then: datetime | None) -> str:
    """``42 s``, ``5 min``, ``3 h``, ``2 d`` (empty for no time)."""
    if then is None:
        return ""
    seconds = max(0.0, (now - then).total_seconds())
    return duration(seconds)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def until(now: datetime, then: datetime | float | None) -> str:
    """``in 5 min`` (or ``now``) for a time still to come."""
    if then is None:
        return ""
    moment = then if isinstance(then, datetime) else datetime.fromtimestamp(then, now.tzinfo)
    seconds = (moment - now).total_seconds()
    return "now" if seconds <= 0 else "in " + duration(seconds)


@dataclass(frozen=True, slots=True)
class Chart:
    """One small line chart: an SVG polyline's points, the peak and the total."""

    title: str
    points: str
    peak: int
    total: int
    kind: str  # a CSS class: started, done, failed, github, ...


def _points(values: list[int]) -> tuple[str, int]:
    peak = max(values, default=0)
    if not values:
        return "", 0
    step = CHART_WIDTH / max(1, len(values) - 1)
    scale = (CHART_HEIGHT - 4) / peak if peak else 0
    return (
        " ".join(
            f"{i * step:.1f},{CHART_HEIGHT - 2 - value * scale:.1f}"
            for i, value in enumerate(values)
        ),
        peak,
    )


def charts(throughput: Throughput) -> list[Chart]:
    made = []
    for title, field, kind in (
        ("Jobs started / min", STARTED, "started"),
        ("Jobs done / min", ENDED + "done", "done"),
        ("Jobs failed / min", ENDED + "failed", "failed"),
        ("GitHub requests / min", GITHUB, "github"),
    ):
        series = throughput.series(field)
        points, peak = _points(series)
        made.append(Chart(title, points, peak, sum(series), kind))
    views = [
        throughput.series(VIEW_HIT)[i] + throughput.series(VIEW_MISS)[i]
        for i in range(len(throughput.minutes))
    ]
    points, peak = _points(views)
    made.append(Chart("Report views / min", points, peak, sum(views), "views"))
    return made


def percentile_label(value: float | None) -> str:
    if value is None:
        return "-"
    if value == float("inf"):
        return "> 900 s"
    return f"≤ {value:g} s"


def ratio_label(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"

"""Pure presentation helpers shared by the templates: durations, numbers and chart geometry.

Everything here is a pure function of its arguments (``now`` is passed in, never read), so the
web layer stays thin and each helper is covered by a table test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gitbrag.report.wording import MONTH_NAMES as _MONTH_NAMES
from gitbrag.report.wording import compact, count, human_date, percent

__all__ = ["compact", "count", "human_date", "percent"]  # shared with the sentences gitbrag writes

_UNITS: tuple[tuple[str, int], ...] = (
    ("year", 365 * 86_400),
    ("month", 30 * 86_400),
    ("week", 7 * 86_400),
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
)

ROLE_LABELS: dict[str, str] = {
    "OWNER": "Owner",
    "MEMBER": "Member",
    "COLLABORATOR": "Collaborator",
    "CONTRIBUTOR": "Contributor",
    "FIRST_TIME_CONTRIBUTOR": "First-time contributor",
    "FIRST_TIMER": "First-timer",
    "MANNEQUIN": "Mannequin",
    "NONE": "Contributor",
}


def duration_words(seconds: float) -> str:
    """``3725`` -> ``"1 hour"``: the largest whole unit, as a person would say it."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "less than a minute"
    for name, size in _UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {name}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable: minute is the smallest unit")


def timeago(moment: datetime, now: datetime) -> str:
    """``"3 hours ago"``, ``"just now"``; a future ``moment`` reads ``"in 5 minutes"``."""
    delta = (now - moment).total_seconds()
    if abs(delta) < 60:
        return "just now"
    if delta < 0:
        return f"in {duration_words(-delta)}"
    return f"{duration_words(delta)} ago"


def number(value: int | float) -> str:
    """Thousands separators: ``1234567`` -> ``"1,234,567"``."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def human_datetime(moment: datetime) -> str:
    """``"Mar 5, 2026, 14:03 UTC"``: an absolute time that reads the same for every viewer
    (pages cached for everyone show it; the browser turns it into "3 hours ago")."""
    moment = moment.astimezone(UTC)
    return f"{human_date(moment)}, {moment:%H:%M} UTC"


def month_label(month: str, *, with_year: bool = True) -> str:
    """``"2026-03"`` -> ``"Mar 2026"`` (or ``"Mar"``)."""
    year, number_ = month.split("-")
    name = _MONTH_NAMES[int(number_) - 1]
    return f"{name} {year}" if with_year else name


def month_tick(month: str, index: int, *, years: bool = True) -> str:
    """The axis text under the ``index``-th month's bar: ``"Mar"``, with the year on the first
    bar and every January (``"Jan 26'"``) when ``years``."""
    tick = month_label(month, with_year=False)
    if years and (index == 0 or month.endswith("-01")):
        return f"{tick} {month[2:4]}'"
    return tick


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role.upper(), role.replace("_", " ").title())


def external_url(value: str | None) -> str:
    """An ``http(s)`` URL safe for ``href``: bare hosts get ``https://``, any other scheme
    (``javascript:``, ``data:``) becomes ``""`` so templates can skip the link."""
    if not value:
        return ""
    value = value.strip()
    lowered = value.lower()
    if lowered.startswith(("https://", "http://")):
        return value
    if ":" in value.split("/")[0] or value.startswith("/"):
        return ""
    return "https://" + value


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (for ``<time datetime>`` and the API)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_color_for(background: str | None) -> str:
    """Black or white, whichever reads better on the hex ``background`` (Linguist colours)."""
    if not background or len(background.lstrip("#")) != 6:
        return "#ffffff"
    red, green, blue = (int(background.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    return "#111111" if luminance > 150 else "#ffffff"


# --------------------------------------------------------------------------- chart geometry


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a server-rendered SVG chart, in viewBox units."""

    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    tick: str  # axis text under the bar ("" when skipped to avoid crowding)


@dataclass(frozen=True, slots=True)
class BarChart:
    width: float
    height: float
    baseline: float
    bars: tuple[Bar, ...]
    max_value: int
    gridlines: tuple[tuple[float, int], ...]  # (y, value)


def nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 x 10^n that is >= ``value`` (axis maximum); at least 1."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def bar_chart(
    values: Sequence[tuple[str, int, str]],
    *,
    width: float = 720,
    height: float = 200,
    top: float = 12,
    bottom: float = 24,
    left: float = 32,
    gap_ratio: float = 0.25,
    max_ticks: int = 12,
) -> BarChart:
    """Lay out ``(label, value, tick)`` bars in a ``width`` x ``height`` box.

    Bars share the plot area evenly, heights scale to a "nice" maximum so gridlines land on
    round numbers, and ticks are thinned to at most ``max_ticks`` so long ranges stay legible.
    A zero value still gets a 1-unit sliver so empty months are visible as "nothing".
    """
    count = len(values)
    plot_height = height - top - bottom
    baseline = height - bottom
    maximum = nice_ceiling(max((value for _, value, _ in values), default=0))
    if count == 0:
        return BarChart(width, height, baseline, (), maximum, ())
    slot = (width - left) / count
    bar_width = max(1.0, slot * (1 - gap_ratio))
    every = max(1, -(-count // max_ticks))
    bars = []
    for index, (label, value, tick) in enumerate(values):
        bar_height = max(1.0, plot_height * value / maximum) if value else 1.0
        x = left + index * slot + (slot - bar_width) / 2
        shown_tick = tick if index % every == 0 else ""
        bars.append(
            Bar(
                round(x, 2),
                round(baseline - bar_height, 2),
                round(bar_width, 2),
                round(bar_height, 2),
                value,
                label,
                shown_tick,
            )
        )
    gridlines = tuple(
        (round(baseline - plot_height * fraction, 2), round(maximum * fraction))
        for fraction in (0.5, 1.0)
        if maximum * fraction == int(maximum * fraction)
    )
    return BarChart(width, height, baseline, tuple(bars), maximum, gridlines)


def months_chart(
    months: Sequence[tuple[str, int]], *, width: float = 720, height: float = 200
) -> BarChart:
    """The PRs-per-month chart: ticks show the month, with the year in January and first."""
    values = []
    for index, (month, pull_requests) in enumerate(months):
        tick = month_tick(month, index, years=len(months) > 12)
        label = f"{month_label(month)}: {count(pull_requests, 'pull request')}"
        values.append((label, pull_requests, tick))
    return bar_chart(values, width=width, height=height)


@dataclass(frozen=True, slots=True)
class Segment:
    """One slice of a horizontal stacked bar, as percentages of the total width."""

    name: str
    offset: float
    width: float
    color: str
    value: int


def stacked_segments(
    parts: Sequence[tuple[str, int, str | None]], *, other_color: str = "#8b949e", limit: int = 8
) -> tuple[Segment, ...]:
    """Language bar: the ``limit`` largest parts plus an "Other" slice, widths summing to 100."""
    total = sum(value for _, value, _ in parts)
    if total <= 0:
        return ()
    ordered = sorted(parts, key=lambda part: (-part[1], part[0]))
    head = ordered[:limit]
    rest = sum(value for _, value, _ in ordered[limit:])
    items = [(name, value, color or other_color) for name, value, color in head]
    if rest:
        items.append(("Other", rest, other_color))
    segments = []
    offset = 0.0
    for name, value, color in items:
        width = 100 * value / total
        segments.append(Segment(name, round(offset, 3), round(width, 3), color, value))
        offset += width
    return tuple(segments)


# --------------------------------------------------------------------------- job progress

# Share of the whole generation each collector phase stands for, in order (architecture.md).
PHASE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("profile", 5.0),
    ("search", 37.0),
    ("activity", 8.0),
    ("files", 30.0),
    ("stars", 18.0),
)


def progress_percent(phase: str | None, done: int, total: int) -> float:
    """Overall completion (0-100) from the current phase and its own done/total.

    Earlier phases count as finished, so the bar only moves forward as phases advance.
    ``build`` (after collecting) is the last 2%; any other phase (``queued``) is 0.
    """
    fraction = min(1.0, done / total) if total > 0 else 0.0
    start = 0.0
    for name, weight in PHASE_WEIGHTS:
        if name == phase:
            return round(start + weight * fraction, 1)
        start += weight
    if phase == "build":
        return round(98.0 + 2.0 * fraction, 1)
    return 0.0

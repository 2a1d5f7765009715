"""The README card: a report's headline numbers and languages laid out for ``templates/
card.svg`` (pure: a report in, positions and strings out; the template escapes the strings).

Sizes are in pixels of a ``width`` x ``height`` SVG; text is cut to fit, measured in DejaVu
Sans (``web.embeds.fonts``), which runs wider than the fonts most viewers have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gitbrag.errors import InvalidInput
from gitbrag.report.highlights import highlights, pinned_pull_requests
from gitbrag.report.models import Report
from gitbrag.report.periods import PERIOD_LABELS
from gitbrag.report.wording import compact, count, date_span, human_date, number, percent
from web.embeds.fonts import fit

DEFAULT_WIDTH: Final = 500
MIN_WIDTH: Final = 300
MAX_WIDTH: Final = 1000
WIDTH_STEP: Final = 50  # widths are rounded to this: a bounded number of renderings
PAD: Final = 20
OTHER_COLOR: Final = "#8b949e"


@dataclass(frozen=True, slots=True)
class Theme:
    background: str
    border: str
    text: str
    muted: str
    accent: str
    track: str


THEMES: Final = {
    "light": Theme("#ffffff", "#d0d7de", "#1f2328", "#59636e", "#0969da", "#eaeef2"),
    "dark": Theme("#0d1117", "#30363d", "#e6edf3", "#9198a1", "#4493f8", "#21262d"),
}


def parse_theme(value: str | None) -> str:
    theme = (value or "light").strip().lower()
    if theme not in THEMES:
        raise InvalidInput("theme must be light or dark")
    return theme


def parse_width(value: str | None) -> int:
    """A width hint in pixels, rounded to the nearest ``WIDTH_STEP`` within bounds."""
    if value is None or value == "":
        return DEFAULT_WIDTH
    if not (value.isascii() and value.isdigit()) or len(value) > 5:  # not "²": int() refuses it
        raise InvalidInput(f"width must be a number of pixels from {MIN_WIDTH} to {MAX_WIDTH}")
    width = min(MAX_WIDTH, max(MIN_WIDTH, int(value)))
    return int(round(width / WIDTH_STEP) * WIDTH_STEP)


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float
    text: str
    size: int
    fill: str
    bold: bool = False
    anchor: str = "start"


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    color: str


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    color: str


@dataclass(frozen=True, slots=True)
class Card:
    width: int
    height: int
    theme: Theme
    title: str  # for screen readers (<title>)
    description: str  # <desc>
    texts: tuple[Text, ...]
    bar_y: float | None  # the language bar, if any
    bar_width: float
    bars: tuple[Bar, ...]
    dots: tuple[Dot, ...]


def period_words(period: str | None, since: str, until: str) -> str:
    """ "Past year, Dec 1, 2025 to Dec 1, 2026" (an en dash between the dates; a custom range:
    its dates only)."""
    dates = date_span(since, until)
    label = PERIOD_LABELS.get(period) if period else None  # type: ignore[call-overload]
    return f"{label} \u00b7 {dates}" if label else dates


def report_period_words(report: Report) -> str:
    return period_words(report.period, report.since, report.until)


def _header(login: str, name: str | None, subtitle: str, theme: Theme, width: int) -> list[Text]:
    inner = width - 2 * PAD
    title = f"{name}\u2019s pull requests" if name else f"@{login}\u2019s pull requests"
    return [
        Text(PAD, 34, fit(title, 16, inner, bold=True), 16, theme.text, bold=True),
        Text(PAD, 54, fit(subtitle, 12, inner), 12, theme.muted),
    ]


@dataclass(frozen=True, slots=True)
class Section:
    """A laid-out part of the card: what it draws, and where the next part starts (``y``:
    the baseline below which it ends)."""

    y: float
    texts: tuple[Text, ...] = ()
    bars: tuple[Bar, ...] = ()
    dots: tuple[Dot, ...] = ()
    bar_y: float | None = None


def _stats(report: Report, theme: Theme, width: int, top: float) -> Section:
    """The headline numbers in one or two columns (label left, figure right-aligned)."""
    totals = report.totals
    stars_label = "Stars" if report.period == "all_time" else "Stars gained"
    capped = "+" if any(repo.stars_gained_capped for repo in report.repositories) else ""
    stats = [
        ("Pull requests", number(totals.pull_requests)),
        ("Merged", number(totals.merged)),
        ("Repositories", number(totals.repositories)),
        ("Lines changed", compact(totals.additions + totals.deletions)),
        (stars_label, compact(totals.stars_gained) + capped),
    ]
    columns = 2 if width >= 450 else 1
    column_width = (width - 2 * PAD - 24 * (columns - 1)) / columns
    texts: list[Text] = []
    for index, (label, value) in enumerate(stats):
        column, row = index % columns, index // columns
        x = PAD + column * (column_width + 24)
        row_y = top + row * 24
        texts.append(Text(x, row_y, label, 12, theme.muted))
        texts.append(Text(x + column_width, row_y, value, 14, theme.text, bold=True, anchor="end"))
    rows = (len(stats) + columns - 1) // columns
    return Section(top + rows * 24 - 6, tuple(texts))


def _notes(report: Report, theme: Theme, width: int, top: float) -> Section:
    """What the author curated: how many pull requests they hid, and their first pin."""
    inner = width - 2 * PAD
    y = top
    texts: list[Text] = []
    hidden = report.curation.hidden_pull_requests if report.curation else 0
    if hidden:
        y += 18
        note = f"{count(hidden, 'pull request')} hidden by the author"
        texts.append(Text(PAD, y, fit(note, 11, inner), 11, theme.muted))
    pins = pinned_pull_requests(report)
    if pins:
        y += 18
        repo, pr = pins[0]
        pinned = f"Pinned: {repo.name_with_owner}#{pr.number} \u201c{pr.title}\u201d"
        texts.append(Text(PAD, y, fit(pinned, 11, inner), 11, theme.text))
    return Section(y, tuple(texts))


def _languages(report: Report, theme: Theme, width: int, top: float) -> Section:
    """The languages as one bar (the first six, then the rest in grey) and a legend of up to
    two rows; or a line saying there were no code changes."""
    inner = width - 2 * PAD
    if not report.languages:
        y = top + 22
        return Section(
            y, (Text(PAD, y, "No code changes counted in this period", 11, theme.muted),)
        )
    bar_y = top + 16
    total = sum(share.lines for share in report.languages)
    rest = sum(share.lines for share in report.languages[6:])
    bars: list[Bar] = []
    x = float(PAD)
    for share in report.languages[:6]:
        part = inner * share.lines / total
        bars.append(Bar(round(x, 2), round(part, 2), share.color or OTHER_COLOR))
        x += part
    if rest:
        bars.append(Bar(round(x, 2), round(inner * rest / total, 2), OTHER_COLOR))
    per_row = 3 if width >= 600 else 2
    legend_width = inner / per_row
    legend_y = bar_y + 28
    texts: list[Text] = []
    dots: list[Dot] = []
    for index, share in enumerate(report.languages[: per_row * 2]):
        column, row = index % per_row, index // per_row
        lx = PAD + column * legend_width
        ly = legend_y + row * 18
        dots.append(Dot(lx + 4, ly - 4, share.color or OTHER_COLOR))
        label = fit(f"{share.name} {percent(share.percent)}", 11, legend_width - 16)
        texts.append(Text(lx + 12, ly, label, 11, theme.text))
    rows = (min(len(report.languages), per_row * 2) + per_row - 1) // per_row
    return Section(legend_y + (rows - 1) * 18, tuple(texts), tuple(bars), tuple(dots), bar_y)


def _footer(report: Report, theme: Theme, width: int, top: float) -> Section:
    y = top + 24
    footer = f"gitbrag \u00b7 updated {human_date(report.generated_at)}"
    if not report.complete:
        footer += " \u00b7 some data could not be collected"
    return Section(y, (Text(PAD, y, fit(footer, 10, width - 2 * PAD), 10, theme.muted),))


def card(report: Report, theme_name: str, width: int) -> Card:
    """The card of ``report``: the header, then each section below the one before."""
    theme = THEMES[theme_name]
    totals = report.totals
    login = report.user.login
    header = _header(
        login, report.user.name, f"@{login} \u00b7 {report_period_words(report)}", theme, width
    )
    sections: list[Section] = []
    y = 84.0
    for layout in (_stats, _notes, _languages, _footer):
        sections.append(layout(report, theme, width, y))
        y = sections[-1].y
    bar_y = next((section.bar_y for section in sections if section.bar_y is not None), None)
    return Card(
        width=width,
        height=int(y + 16),
        theme=theme,
        title=(
            f"@{login} on gitbrag: {count(totals.pull_requests, 'pull request')} "
            f"({number(totals.merged)} merged) in "
            f"{count(totals.repositories, 'repository', 'repositories')}, "
            f"{report_period_words(report)}"
        ),
        description=highlights(report).summary if totals.pull_requests else "",
        texts=(*header, *(text for section in sections for text in section.texts)),
        bar_y=bar_y,
        bar_width=width - 2 * PAD,
        bars=tuple(bar for section in sections for bar in section.bars),
        dots=tuple(dot for section in sections for dot in section.dots),
    )


def message_card(login: str, subtitle: str, message: str, theme_name: str, width: int) -> Card:
    """A card without a report: "not generated yet", "no such user"."""
    theme = THEMES[theme_name]
    inner = width - 2 * PAD
    texts = _header(login, None, f"@{login} \u00b7 {subtitle}", theme, width)
    texts.append(Text(PAD, 86, fit(message, 13, inner), 13, theme.text))
    texts.append(Text(PAD, 112, "gitbrag", 10, theme.muted))
    return Card(
        width=width,
        height=128,
        theme=theme,
        title=f"@{login} on gitbrag: {message}",
        description="",
        texts=tuple(texts),
        bar_y=None,
        bar_width=inner,
        bars=(),
        dots=(),
    )

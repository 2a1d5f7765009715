"""Numbers and dates as people write them, with the grammar right for one and for many.

Pure helpers shared by the sentences gitbrag writes (``gitbrag.report.highlights``, the card, the
social image) and the web's templates (``web.presenters.formatting`` re-exports them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MINUS = "\u2212"  # a real minus sign (U+2212), as in "+3.4k/\u22121.2k lines"


def number(value: int) -> str:
    """Thousands separators: ``1234567`` -> ``"1,234,567"``."""
    return f"{value:,}"


def compact(value: int) -> str:
    """Short form: ``950`` -> ``"950"``, ``9_999`` -> ``"9,999"``, ``12_345`` -> ``"12.3k"``,
    ``2_500_000`` -> ``"2.5M"`` (one decimal, rounded half to even, trailing ``.0`` dropped)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value < 10_000:
        return f"{sign}{value:,}"
    for suffix, size in (("k", 1_000), ("M", 1_000_000)):
        shown = round(value / size, 1)
        if shown < 1000:
            return f"{sign}{shown:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{sign}{value / 1_000_000_000:.1f}".rstrip("0").rstrip(".") + "B"


def count(value: int, singular: str, plural_form: str | None = None) -> str:
    """``count(1, "repository", "repositories")`` -> ``"1 repository"``; 2 -> plural."""
    word = singular if value == 1 else (plural_form or singular + "s")
    return f"{value:,} {word}"


def lines_changed(additions: int, deletions: int) -> str:
    """``"+3.4k/\u22121.2k lines"`` (compact, with a real minus sign; "lines" is the unit of
    the pair, whatever the numbers)."""
    return f"+{compact(additions)}/{MINUS}{compact(deletions)} lines"


def percent(value: float) -> str:
    """One decimal, never ``"0.0%"`` for a share above zero."""
    if 0 < value < 0.1:
        return "<0.1%"
    return f"{value:.1f}%"


def human_date(value: date | datetime | str) -> str:
    """``2026-03-05`` -> ``"Mar 5, 2026"`` (accepts ISO strings as stored in reports)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{MONTH_NAMES[value.month - 1]} {value.day}, {value.year}"


def date_span(since: date | datetime | str, until: date | datetime | str) -> str:
    """``"Mar 5, 2026 \u2013 Apr 1, 2026"``: a range's dates, an en dash between them."""
    return f"{human_date(since)} \u2013 {human_date(until)}"


def and_list(items: Sequence[str]) -> str:
    """``["a"]`` -> ``"a"``, ``["a", "b"]`` -> ``"a and b"``, three -> ``"a, b and c"``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]

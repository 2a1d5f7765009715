"""Query-string parsing shared by pages and API: everything invalid is ``InvalidInput`` (400)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from gitbrag.errors import InvalidInput
from gitbrag.periods import DateRange, ReportKey, validate_username

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

PeriodQuery = Annotated[
    str | None,
    Query(max_length=32, description="1_year (default), 2_years, 5_years or all_time"),
]
SinceQuery = Annotated[
    str | None, Query(max_length=32, description="first day (YYYY-MM-DD), with `until`")
]
UntilQuery = Annotated[
    str | None, Query(max_length=32, description="last day (YYYY-MM-DD), default today")
]
ClosedQuery = Annotated[
    str | None, Query(max_length=8, description="true to keep closed-but-unmerged PRs")
]


def parse_flag(value: str | None, name: str) -> bool:
    if value is None:
        return False
    normalized = value.strip().lower()
    if normalized in _TRUE:
        return True
    if normalized in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false, not {value!r}")


def report_key(
    username: str,
    period: str | None,
    since: str | None,
    until: str | None,
    include_closed: str | None,
) -> ReportKey:
    """The report a request names. Empty form fields count as absent."""
    validate_username(username)
    date_range = DateRange.resolve(period or None, since or None, until or None)
    return ReportKey(username, date_range, parse_flag(include_closed, "include_closed"))

"""Query-string parsing shared by pages and API: everything invalid is ``InvalidInput`` (400).

Routes take the report a request names as one dependency, ``RequestedKey`` (the ``{username}``
path parameter plus the four documented query parameters), or take the raw ``Options`` when
something must happen between reading the query and validating it (the pages' canonical
redirect, ``web.canonical``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.report.logins import validate_username
from gitbrag.report.periods import DateRange

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


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """The report options of a query string, as sent (not validated yet)."""

    period: str | None = None
    since: str | None = None
    until: str | None = None
    include_closed: str | None = None

    def key(self, username: str) -> ReportKey:
        """The report these options name for ``username``; raises ``InvalidInput``."""
        return report_key(username, self.period, self.since, self.until, self.include_closed)


async def report_options(
    period: PeriodQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    include_closed: ClosedQuery = None,
) -> ReportOptions:
    """Dependency: the four report query parameters (documented in the OpenAPI schema)."""
    return ReportOptions(period, since, until, include_closed)


Options = Annotated[ReportOptions, Depends(report_options)]


async def requested_key(username: str, options: Options) -> ReportKey:
    """Dependency: the report the ``{username}`` path parameter and the query name."""
    return options.key(username)


RequestedKey = Annotated[ReportKey, Depends(requested_key)]

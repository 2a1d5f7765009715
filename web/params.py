"""The report options a request may name, in one table: what each is called, how long it may
be, how it is documented and what a schema can say of it. Everything else is derived from the
table: the query and form parameters of FastAPI routes (``QueryOptions``, ``FormOptions``), the
length limits of the routes that parse their own query (``options_from``) and their OpenAPI
parameters (``REPORT_PARAMETERS``, ``PARAMETER_SCHEMAS``).

Every invalid value is ``InvalidInput`` (400); an empty value counts as absent (an empty form
field). What a report key must satisfy across options (a period or a date range, not both;
since <= until <= today) is ``gitbrag.report.periods.DateRange.resolve``'s.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl

from fastapi import Depends, Form, Query

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.report.logins import validate_username
from gitbrag.report.periods import DateRange

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_DATE: Final = {"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}


@dataclass(frozen=True, slots=True)
class ReportOption:
    name: str
    max_length: int
    description: str
    # As far as a schema can say (periods and flags are read case-insensitively, and the
    # rules across options are not a schema's).
    schema: Mapping[str, Any]


REPORT_OPTIONS: Final = (
    ReportOption(
        "period",
        32,
        "1_year (default), 2_years, 5_years or all_time",
        {"type": "string", "enum": ["", "1_year", "2_years", "5_years", "all_time"]},
    ),
    ReportOption("since", 32, "first day (YYYY-MM-DD), with `until`", _DATE),
    ReportOption("until", 32, "last day (YYYY-MM-DD), default today", _DATE),
    ReportOption(
        "include_closed",
        8,
        "true to keep closed-but-unmerged PRs",
        {
            "type": "string",
            "enum": ["", "true", "false", "1", "0", "yes", "no", "on", "off"],
        },
    ),
)

# ``gitbrag.report.logins.validate_username``: 1-39 letters, digits, hyphens and underscores,
# at least one letter or digit (``octo_acme``, ``-jerry-``, ``artur-``).
USERNAME_SCHEMA: Final = {"type": "string", "pattern": "^(?=[-_]*[A-Za-z0-9])[A-Za-z0-9_-]{1,39}$"}
# By parameter name, for every operation that takes one (``web.openapi``).
PARAMETER_SCHEMAS: Final = {"username": USERNAME_SCHEMA} | {
    option.name: dict(option.schema) for option in REPORT_OPTIONS
}


def query_parameter(name: str, description: str, *, max_length: int) -> dict[str, Any]:
    """An OpenAPI query parameter (for a ``ServedRoute``'s ``openapi_extra``)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "maxLength": max_length},
    }


# The path's login and the report options, for the routes that parse their own input.
REPORT_PARAMETERS: Final[list[dict[str, Any]]] = [
    {
        "name": "username",
        "in": "path",
        "required": True,
        "description": "GitHub login (1-39 letters, digits, hyphens and underscores)",
        "schema": {"type": "string"},
    },
    *(
        query_parameter(option.name, option.description, max_length=option.max_length)
        for option in REPORT_OPTIONS
    ),
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


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """The report options of a request, as sent (not validated yet)."""

    period: str | None = None
    since: str | None = None
    until: str | None = None
    include_closed: str | None = None

    def key(self, username: str, today: date | None = None) -> ReportKey:
        """The report these options name for ``username``: the one parser of a report key
        (raises ``InvalidInput``). Empty values count as absent."""
        validate_username(username)
        dates = DateRange.resolve(
            self.period or None, self.since or None, self.until or None, today
        )
        return ReportKey(username, dates, parse_flag(self.include_closed, "include_closed"))


def options_from(query: Mapping[str, str]) -> ReportOptions:
    """The report options of a parsed query string, within the table's length limits."""
    values: dict[str, str | None] = {}
    for option in REPORT_OPTIONS:
        value = query.get(option.name)
        if value is not None and len(value) > option.max_length:
            raise InvalidInput(f"{option.name} is longer than {option.max_length} characters")
        values[option.name] = value
    return ReportOptions(**values)


def query_of(query_string: bytes) -> dict[str, str]:
    """A raw query string as a dict (the last value of a repeated name wins, as with
    ``request.query_params``, without building its multi-dict)."""
    raw = query_string.decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True)) if raw else {}


@lru_cache(maxsize=4096)
def cached_key(username: str, query_string: bytes, today: date) -> ReportKey:
    """The key ``username`` and a raw query string name on ``today`` (presets move with the
    calendar): parsed once per distinct request a day, since views repeat."""
    return options_from(query_of(query_string)).key(username, today)


def _options_dependency(source: Callable[..., Any]) -> Callable[..., Awaitable[ReportOptions]]:
    """A FastAPI dependency taking the options from the query (``Query``) or a form
    (``Form``), each with the table's limit and description (so documented alike)."""

    async def report_options(**values: str | None) -> ReportOptions:
        return ReportOptions(**values)

    report_options.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None,
                    source(max_length=option.max_length, description=option.description),
                ],
            )
            for option in REPORT_OPTIONS
        ],
        return_annotation=ReportOptions,
    )
    return report_options


QueryOptions = Annotated[ReportOptions, Depends(_options_dependency(Query))]
FormOptions = Annotated[ReportOptions, Depends(_options_dependency(Form))]

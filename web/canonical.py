"""Canonical report URLs: a report page or export asked for with upper-case letters in the
login answers 301 with the lower-case URL (query kept).

The redirect comes after the query's length limits are checked and before its values are
(``/user/github/OctoCat?period=bogus`` redirects, then the lower-case URL answers 400), and an
invalid login is a 400, never a redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.report.logins import validate_username
from gitbrag.report.periods import today_utc
from web.params import Options, ReportOptions

# The report options' length limits (as documented by ``web.params``).
QUERY_LIMITS = {"period": 32, "since": 32, "until": 32, "include_closed": 8}

KeyDependency = Callable[[Request, str, ReportOptions], Awaitable[ReportKey]]


class NotCanonical(Exception):
    """Raised by a ``canonical_key`` dependency: the answer is a 301 to ``location``."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location

    def response(self) -> Response:
        return RedirectResponse(self.location, status_code=301)


def canonical_key(suffix: str = "") -> KeyDependency:
    """A dependency for ``/user/github/{username}{suffix}`` routes: the ``ReportKey`` the
    request names, or ``NotCanonical`` when the login is not in lower case."""

    async def requested_canonical_key(
        request: Request, username: str, options: Options
    ) -> ReportKey:
        validate_username(username)
        if username != username.lower():
            query = request.url.query
            target = f"/user/github/{username.lower()}{suffix}" + (f"?{query}" if query else "")
            raise NotCanonical(target)
        return options.key(username)

    return requested_canonical_key


def query_of(request: Request) -> dict[str, str]:
    """The query string as a dict (the last value of a repeated name wins, as with
    ``request.query_params``, without building its multi-dict)."""
    raw = request.scope["query_string"].decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True)) if raw else {}


def options_from(query: Mapping[str, str]) -> ReportOptions:
    """The report options of a query string (for routes that parse their own input)."""
    values: dict[str, str | None] = {}
    for name, limit in QUERY_LIMITS.items():
        value = query.get(name)
        if value is not None and len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters")
        values[name] = value
    return ReportOptions(**values)


def parsed_key(request: Request, username: str) -> ReportKey:
    """The ``ReportKey`` ``username`` and the query name; ``InvalidInput`` if anything is
    invalid. Parsed once per distinct request a day (a small cache: views repeat)."""
    return _parsed_key(username, request.scope["query_string"], today_utc())


@lru_cache(maxsize=4096)
def _parsed_key(username: str, query_string: bytes, today: date) -> ReportKey:
    # ``today`` keys the cache only: presets move with the calendar (``DateRange.resolve``).
    query = query_string.decode("latin-1")
    options = options_from(dict(parse_qsl(query, keep_blank_values=True)) if query else {})
    return options.key(username)


def request_key(request: Request, username: str, suffix: str = "") -> ReportKey:
    """``canonical_key`` for routes that parse their own input: the ``ReportKey`` the request
    names, ``NotCanonical`` for an upper-case login, ``InvalidInput`` for anything invalid."""
    if username != username.lower():
        validate_username(username)
        query = request.url.query
        target = f"/user/github/{username.lower()}{suffix}" + (f"?{query}" if query else "")
        raise NotCanonical(target)
    return parsed_key(request, username)

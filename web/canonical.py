"""Canonical report URLs: a report page or export asked for with upper-case letters in the
login answers 301 with the lower-case URL (query kept).

The redirect comes after the query's length limits are checked and before its values are
(``/user/github/OctoCat?period=bogus`` redirects, then the lower-case URL answers 400), and an
invalid login is a 400, never a redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from gitbrag.periods import ReportKey, validate_username
from web.params import Options, ReportOptions

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

"""Routes for the hottest read paths: documented by FastAPI like any route, dispatched without
its per-request machinery."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from web.context import AppContext

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class ServedRoute(APIRoute):
    """The endpoint is ``async (request) -> Response`` and parses its own input.

    FastAPI still builds the OpenAPI operation (declare parameters in ``openapi_extra``), but a
    request goes straight to the endpoint: no dependency solving, no validation models. Report
    views are answered in a fraction of a millisecond; that machinery alone would cost more.
    """

    def get_route_handler(self) -> Endpoint:
        return cast(Endpoint, self.endpoint)


def context_of(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def query_parameter(name: str, description: str, *, max_length: int) -> dict[str, Any]:
    """An OpenAPI query parameter (for ``openapi_extra``)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "maxLength": max_length},
    }


REPORT_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "username",
        "in": "path",
        "required": True,
        "description": "GitHub login (1-39 letters, digits, hyphens and underscores)",
        "schema": {"type": "string"},
    },
    query_parameter("period", "1_year (default), 2_years, 5_years or all_time", max_length=32),
    query_parameter("since", "first day (YYYY-MM-DD), with `until`", max_length=32),
    query_parameter("until", "last day (YYYY-MM-DD), default today", max_length=32),
    query_parameter("include_closed", "true to keep closed-but-unmerged PRs", max_length=8),
]

"""The cached views' short way through the app: their routes are ``ServedRoute``s, and
``ServedPaths`` (pure ASGI middleware) dispatches them.

``GET``/``HEAD`` requests for a served route (the report and its paged parts, exports, embeds,
comparisons) go from here straight to its endpoint: past FastAPI's router (whose matching of
included routers costs more than a whole cached view), its dependency solving, exception and
exit-stack layers and the gzip middleware (these bodies come compressed). Everything else goes
on to the app. The routes stay declared, and documented, in FastAPI; this only dispatches
them, in the app's matching order, with the app's own exception handlers, and sets
``scope["route"]`` so the request metrics name the route as the router would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, cast

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]
ExceptionHandlers = Mapping[Any, Any]


class ServedRoute(APIRoute):
    """A route whose endpoint is ``async (request) -> Response`` and parses its own input.

    FastAPI still builds the OpenAPI operation (declare parameters in ``openapi_extra``), but a
    request goes straight to the endpoint: no dependency solving, no validation models. Report
    views are answered in a fraction of a millisecond; that machinery alone would cost more.
    """

    def get_route_handler(self) -> Endpoint:
        return cast(Endpoint, self.endpoint)


def served_routes(routes: Iterable[BaseRoute]) -> list[ServedRoute]:
    """The served routes among an app's ``routes``, in its matching order."""
    return [route for route in routes if isinstance(route, ServedRoute)]


class ServedPaths:
    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Iterable[ServedRoute],
        exception_handlers: ExceptionHandlers,
    ) -> None:
        self.app = app
        self.routes = [(route, route.path_regex, route.param_convertors) for route in routes]
        # The app's handlers, but not the catch-all: unexpected errors go to the outermost
        # layer (ServerErrorMiddleware), which logs them and renders the 500 page.
        self.handlers = {
            key: handler
            for key, handler in exception_handlers.items()
            if key not in (500, Exception)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            for route, pattern, convertors in self.routes:
                found = pattern.match(path)
                if found is None:
                    continue
                scope["route"] = route
                scope["path_params"] = {
                    name: convertors[name].convert(value)
                    for name, value in found.groupdict().items()
                }
                await self._serve(route.endpoint, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _serve(self, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Any:
        if isinstance(exc, HTTPException) and exc.status_code in self.handlers:
            return self.handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None

"""The simulated GitHub as an ASGI app (Starlette): the API gate, API handlers, routing.

Every API request (REST at the root, ``POST /graphql``) passes one gate, in GitHub's order:
count it (and count it in flight for its token, keeping the peak), add latency, insist on a
``User-Agent`` (403, as GitHub does), authenticate (401), refuse more concurrent requests
than ``Behaviours.max_in_flight`` (403 secondary limit), maybe inject a fault, spend the
token's budget (403 REST / 200 GraphQL with a ``RATE_LIMITED`` or ``RATE_LIMIT`` error when
exhausted), answer, and attach the ``x-ratelimit-*`` headers. OAuth pages, avatars and the
``/_fakehub/`` control endpoints are not API requests: they are neither counted as such nor
rate limited.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gitbrag.fakehub import control, oauth, rest
from gitbrag.fakehub.budgets import Budget
from gitbrag.fakehub.graphql_api import execute_query
from gitbrag.fakehub.graphql_views import RequestContext
from gitbrag.fakehub.state import HubState


@dataclass
class Caller:
    login: str | None  # None: anonymous
    key: str  # budget key: the token, or "anon:<address>"
    budget: Budget
    base_url: str


Handler = Callable[[Request, Caller], Awaitable[Response]]


def _json(body: Any, status: int = 200, budget: Budget | None = None) -> Response:
    response = JSONResponse(body, status_code=status, media_type="application/json; charset=utf-8")
    response.headers["x-github-media-type"] = "github.v3; format=json"
    response.headers["x-github-request-id"] = "FAKE:0000:0000000"
    if budget is not None:
        response.headers.update(budget.headers())
    return response


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    return None


def _secondary(budget: Budget, *, status: int = 403, retry_after: bool = True) -> Response:
    response = _json(rest.SECONDARY_LIMIT, status, budget)
    if retry_after:
        response.headers["retry-after"] = "1"
    return response


def _fault_response(kind: str, api: str, budget: Budget) -> Response:
    if kind == "secondary":
        return _secondary(budget)
    if kind == "secondary_no_retry_after":
        return _secondary(budget, retry_after=False)
    if kind == "secondary_429":
        return _secondary(budget, status=429, retry_after=False)
    if kind == "secondary_graphql":
        if api != "graphql":
            return _secondary(budget)
        return _json({"errors": [{"message": rest.SECONDARY_LIMIT["message"]}]}, 200, budget)
    if kind == "abuse":
        return _json(rest.ABUSE_LIMIT, 403, budget)
    if kind == "timeout" and api == "graphql":
        return _json(rest.GRAPHQL_TIMEOUT, 200, budget)
    if kind == "502":
        return _json(rest.SERVER_ERROR, 502, budget)
    return _json(rest.REST_TIMEOUT, 504, budget)


def _rate_limited(
    state: HubState, api: str, login: str | None, address: str, budget: Budget
) -> Response:
    state.count("rate_limited")
    message = rest.rate_limited_message(state.user(login) if login else None, address)
    if api == "graphql":
        kind = state.behaviours.graphql_rate_limit_type
        if kind == "RATE_LIMIT":
            message = message.replace("exceeded", "already exceeded")
        error = {"type": kind, "code": "graphql_rate_limit", "message": message}
        return _json({"errors": [error]}, 200, budget)
    return _json({"message": message, "documentation_url": rest.DOCS}, 403, budget)


def api(
    api: str, route_key: str, handler: Handler, *, consumes: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` in the API gate (``api`` is ``"rest"`` or ``"graphql"``)."""
    resource = "graphql" if api == "graphql" else "core"
    needs_user = api == "graphql" or route_key == "GET /user"

    async def endpoint(request: Request) -> Response:
        state: HubState = request.app.state.hub
        state.count(api, route_key)
        token = _token(request)
        login = state.login_for(token) if token else None
        address = request.client.host if request.client else "unknown"
        key = token if token and login else f"anon:{address}"
        in_flight = state.enter(key)
        try:
            return await gate(request, state, token, login, address, key, in_flight)
        finally:
            state.leave(key)

    async def gate(
        request: Request,
        state: HubState,
        token: str | None,
        login: str | None,
        address: str,
        key: str,
        in_flight: int,
    ) -> Response:
        if state.faults.latency_ms:
            await asyncio.sleep(state.faults.latency_ms / 1000)
        if not request.headers.get("user-agent"):
            return PlainTextResponse(rest.USER_AGENT_REQUIRED, status_code=403)
        anonymous = state.budgets.peek(f"anon:{address}", "core")
        if token and login is None:
            state.count("unauthorized")
            return _json(rest.BAD_CREDENTIALS, 401, anonymous)
        if login is None and needs_user:
            state.count("unauthorized")
            body = rest.GRAPHQL_REQUIRES_AUTH if api == "graphql" else rest.REQUIRES_AUTH
            return _json(body, 401, anonymous)
        most = state.behaviours.max_in_flight
        if most and in_flight > most:
            state.count("secondary.concurrency")
            return _secondary(state.budgets.peek(key, resource))
        kind = state.faults.pick()
        if kind == "primary":
            state.count("fault.primary")
            state.budgets.set(key, 0, state.behaviours.primary_reset_seconds)
            return _rate_limited(state, api, login, address, state.budgets.peek(key, resource))
        if kind is not None:
            state.count(f"fault.{kind}")
            return _fault_response(kind, api, state.budgets.peek(key, resource))
        if consumes:
            allowed, budget = state.budgets.consume(key, resource)
        else:
            allowed, budget = True, state.budgets.peek(key, resource)
        if not allowed:
            return _rate_limited(state, api, login, address, budget)
        caller = Caller(login, key, budget, str(request.base_url).rstrip("/"))
        response = await handler(request, caller)
        response.headers.update(budget.headers())
        return response

    return endpoint


# --- API handlers -----------------------------------------------------------------------------


async def graphql_endpoint(request: Request, caller: Caller) -> Response:
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return _json({"message": "Problems parsing JSON", "documentation_url": rest.DOCS}, 400)
    query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        message = "A query attribute must be specified and must be a string."
        return _json({"errors": [{"message": message}]})
    variables = payload.get("variables") or None
    operation = payload.get("operationName") or None
    assert caller.login is not None
    state: HubState = request.app.state.hub
    ctx = RequestContext(state, caller.login, caller.base_url, caller.budget)
    body = await run_in_threadpool(execute_query, ctx, query, variables, operation)
    limit = state.behaviours.timeout_nodes
    if limit and ctx.requested_nodes > limit:
        state.count("timeout")  # GitHub's 10 s limit, for a query asking for too much
        return _json(rest.GRAPHQL_TIMEOUT)
    return _json(body)


def _public_repo_count(state: HubState, login: str) -> int:
    return sum(
        1
        for r in state.data.repos.values()
        if r.owner.lower() == login.lower() and not r.is_private
    )


async def get_viewer(request: Request, caller: Caller) -> Response:
    state: HubState = request.app.state.hub
    assert caller.login is not None
    user = state.user(caller.login)
    assert user is not None
    return _json(rest.full_user(user, caller.base_url, _public_repo_count(state, user.login)))


async def get_user(request: Request, caller: Caller) -> Response:
    state: HubState = request.app.state.hub
    user = state.user(request.path_params["login"])
    if user is None:
        return _json(rest.NOT_FOUND, 404)
    return _json(rest.full_user(user, caller.base_url, _public_repo_count(state, user.login)))


async def get_social_accounts(request: Request, caller: Caller) -> Response:
    state: HubState = request.app.state.hub
    user = state.user(request.path_params["login"])
    if user is None or state.behaviours.social_accounts_404:  # GHES < 3.9 has no endpoint
        return _json(rest.NOT_FOUND, 404)
    return _json(rest.social_accounts(user))


async def get_repository(request: Request, caller: Caller) -> Response:
    state: HubState = request.app.state.hub
    repo = state.repo(request.path_params["owner"], request.path_params["repo"])
    if repo is None or not state.can_see(repo, caller.login):
        return _json(rest.NOT_FOUND, 404)
    owner = state.user(repo.owner)
    assert owner is not None
    return _json(rest.repository(repo, owner, caller.base_url))


async def get_rate_limit(request: Request, caller: Caller) -> Response:
    budgets = request.app.state.hub.budgets
    core = budgets.peek(caller.key, "core")
    graphql = budgets.peek(caller.key, "graphql") if caller.login else core
    search = budgets.peek(caller.key, "search")
    return _json(rest.rate_limit(core, graphql, search))


def create_app(state: HubState) -> Starlette:
    routes = [
        Route("/graphql", api("graphql", "POST /graphql", graphql_endpoint), methods=["POST"]),
        Route("/user", api("rest", "GET /user", get_viewer)),
        Route("/users/{login}", api("rest", "GET /users/{login}", get_user)),
        Route(
            "/users/{login}/social_accounts",
            api("rest", "GET /users/{login}/social_accounts", get_social_accounts),
        ),
        Route("/repos/{owner}/{repo}", api("rest", "GET /repos/{owner}/{repo}", get_repository)),
        Route("/rate_limit", api("rest", "GET /rate_limit", get_rate_limit, consumes=False)),
        Route("/", control.root),
        Route("/avatars/{login}.svg", control.avatar),
        Route("/login/oauth/authorize", oauth.authorize_page, methods=["GET"]),
        Route("/login/oauth/authorize", oauth.authorize_approve, methods=["POST"]),
        Route("/login/oauth/authorize/deny", oauth.authorize_deny),
        Route("/login/oauth/access_token", oauth.access_token, methods=["POST"]),
        Route("/_fakehub/counters", control.control_counters),
        Route("/_fakehub/reset", control.control_reset, methods=["POST"]),
        Route("/_fakehub/faults", control.control_faults, methods=["POST"]),
        Route("/_fakehub/behaviours", control.control_behaviours, methods=["GET", "POST"]),
        Route("/_fakehub/in_flight", control.control_in_flight),
        Route("/_fakehub/budget", control.control_budget, methods=["POST"]),
        Route("/_fakehub/revoke", control.control_revoke, methods=["POST"]),
        Route("/_fakehub/users", control.control_users),
    ]
    app = Starlette(routes=routes)
    app.state.hub = state
    return app

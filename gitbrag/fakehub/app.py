"""The simulated GitHub as an ASGI app (Starlette): the API gate, API handlers, routing.

Every API request (REST at the root, ``POST /graphql``) passes one gate, in GitHub's order:
count it (and count it in flight for its token, keeping the peak), add latency, insist on a
``User-Agent`` (403, as GitHub does), authenticate (401), refuse more concurrent requests
than ``Behaviours.max_in_flight`` (403 secondary limit), maybe inject a fault, spend the
token's budget (403 REST / 200 GraphQL with a ``RATE_LIMITED`` or ``RATE_LIMIT`` error when
exhausted), answer, and attach the ``x-ratelimit-*`` headers (none at all, and no budget
spent, with ``Behaviours.rate_limiting_disabled``). The caller is an account (id, current
login) and a token kind. OAuth pages, avatars and the ``/_fakehub/`` control endpoints are
not API requests: they are neither counted as such nor rate limited.
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
from gitbrag.fakehub.enterprise import RATE_LIMITING_NOT_ENABLED
from gitbrag.fakehub.graphql_api import execute_query
from gitbrag.fakehub.graphql_views import RequestContext
from gitbrag.fakehub.rest_search import search_issues
from gitbrag.fakehub.state import HubState
from gitbrag.fakehub.tokens import TokenKind, integration_forbidden_body
from gitbrag.fakehub.visibility import saml_forbidden_body, sso_block, sso_required


@dataclass
class Caller:
    login: str | None  # None: anonymous
    key: str  # budget key: the token, or "anon:<address>"
    budget: Budget
    base_url: str
    account_id: int | None = None  # the account the token belongs to
    token_kind: TokenKind = "oauth"


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
    api: str,
    route_key: str,
    handler: Handler,
    *,
    consumes: bool = True,
    resource: str | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` in the API gate (``api`` is ``"rest"`` or ``"graphql"``; the budget
    spent is ``resource``'s, by default ``graphql`` or ``core``)."""
    resource = resource or ("graphql" if api == "graphql" else "core")
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
            response = await gate(request, state, token, login, address, key, in_flight)
        finally:
            state.leave(key)
        if state.behaviours.rate_limiting_disabled:  # GHES with rate limiting off: no headers
            for name in [h for h in response.headers if h.startswith("x-ratelimit-")]:
                del response.headers[name]
        return response

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
        unlimited = state.behaviours.rate_limiting_disabled
        if kind == "primary" and unlimited:
            kind = None  # no budget to spend: nothing is ever rate limited
        if kind == "primary":
            state.count("fault.primary")
            state.budgets.set(key, 0, state.behaviours.primary_reset_seconds)
            return _rate_limited(state, api, login, address, state.budgets.peek(key, resource))
        if kind is not None:
            state.count(f"fault.{kind}")
            return _fault_response(kind, api, state.budgets.peek(key, resource))
        if consumes and not unlimited:
            allowed, budget = state.budgets.consume(key, resource)
        else:
            allowed, budget = True, state.budgets.peek(key, resource)
        if not allowed:
            return _rate_limited(state, api, login, address, budget)
        base_url = str(request.base_url).rstrip("/")
        caller = Caller(login, key, budget, base_url)
        if token and login:
            caller.account_id = state.account_for(token)
            caller.token_kind = state.token_kind(token)
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
    ctx = RequestContext(
        state,
        caller.login,
        caller.base_url,
        caller.budget,
        account_id=caller.account_id,
        token_kind=caller.token_kind,
    )
    body = await run_in_threadpool(execute_query, ctx, query, variables, operation)
    limit = state.behaviours.timeout_nodes
    if limit and ctx.requested_nodes > limit:
        state.count("timeout")  # GitHub's 10 s limit, for a query asking for too much
        return _json(rest.GRAPHQL_TIMEOUT)
    response = _json(body)
    if ctx.sso_refused and caller.account_id is not None:
        response.headers["x-github-sso"] = sso_required(ctx.sso_refused[0], caller.account_id)
    return response


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
        if user is not None:
            state.count("social_accounts_404")
        return _json(rest.NOT_FOUND, 404)
    if caller.token_kind == "app" and state.behaviours.token_permissions:
        state.count("token_permissions.forbidden")
        return _json(integration_forbidden_body(rest.SOCIAL_ACCOUNTS_DOCS), 403)
    return _json(rest.social_accounts(user))


async def get_repository(request: Request, caller: Caller) -> Response:
    state: HubState = request.app.state.hub
    repo = state.repo(request.path_params["owner"], request.path_params["repo"])
    if repo is None or not state.can_see(repo, caller.login):
        return _json(rest.NOT_FOUND, 404)
    org = sso_block(state, caller.account_id, repo.name_with_owner)
    if org is not None and caller.account_id is not None:
        state.count("saml.forbidden")
        refused = _json(saml_forbidden_body(), 403)
        refused.headers["x-github-sso"] = sso_required(org, caller.account_id)
        return refused
    owner = state.user(repo.owner)
    assert owner is not None
    return _json(rest.repository(repo, owner, caller.base_url))


async def get_search_issues(request: Request, caller: Caller) -> Response:
    state: HubState = request.app.state.hub
    params = dict(request.query_params)
    answer = search_issues(state, params, caller.login, caller.account_id, caller.base_url)
    response = _json(answer.body, answer.status)
    response.headers.update(answer.headers)
    return response


async def get_rate_limit(request: Request, caller: Caller) -> Response:
    if request.app.state.hub.behaviours.rate_limiting_disabled:
        request.app.state.hub.count("rate_limiting_disabled.not_enabled")
        return _json(RATE_LIMITING_NOT_ENABLED, 404)
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
        Route(
            "/search/issues",
            api("rest", "GET /search/issues", get_search_issues, resource="search"),
        ),
        Route("/rate_limit", api("rest", "GET /rate_limit", get_rate_limit, consumes=False)),
        Route("/", control.root),
        Route("/avatars/{login}.svg", control.avatar),
        Route("/login/oauth/authorize", oauth.authorize_page, methods=["GET"]),
        Route("/login/oauth/authorize", oauth.authorize_approve, methods=["POST"]),
        Route("/login/oauth/authorize/deny", oauth.authorize_deny),
        Route("/login/oauth/access_token", oauth.access_token, methods=["POST"]),
        Route("/applications/{client_id}/token", oauth.check_app_token, methods=["POST"]),
        Route("/applications/{client_id}/token", oauth.delete_app_token, methods=["DELETE"]),
        Route("/_fakehub/counters", control.control_counters),
        Route("/_fakehub/reset", control.control_reset, methods=["POST"]),
        Route("/_fakehub/faults", control.control_faults, methods=["POST"]),
        Route("/_fakehub/behaviours", control.control_behaviours, methods=["GET", "POST"]),
        Route("/_fakehub/in_flight", control.control_in_flight),
        Route("/_fakehub/budget", control.control_budget, methods=["POST"]),
        Route("/_fakehub/revoke", control.control_revoke, methods=["POST"]),
        Route("/_fakehub/users", control.control_users),
        Route("/_fakehub/rename", control.control_rename, methods=["POST"]),
        Route("/_fakehub/register", control.control_register, methods=["POST"]),
        Route("/_fakehub/sso", control.control_sso, methods=["POST"]),
        Route("/_fakehub/tokens", control.control_tokens, methods=["POST"]),
        Route("/_fakehub/change", control.control_change, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.hub = state
    return app

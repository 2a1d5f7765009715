"""Routes that are not API requests: the API root, avatars and the ``/_fakehub/`` controls.

The controls let an out-of-process user (``gitbrag fakehub``) do what ``FakeHub`` offers in
process: read counters and the peak of requests in flight per login, reset, configure
faults and behaviours (``{"preset": "real_github"}`` too), force a budget, revoke a token,
list tokens, rename an account (``{"old", "new"}``), register one (``{"login", "name"...,
"kind"}`` -> its token), grant an SSO session (``{"login", "org"}``), issue a token of a
kind (``{"login", "kind"}``) and change the data between two collections (``{"change":
"merge_pull_request", "repo": "o/r", "number": 3, "at": "2026-01-01T00:00:00Z"}``, see
``changes``). Bad input answers 400 with ``{"error": ...}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gitbrag.fakehub.accounts import PROFILE_FIELDS, AccountError
from gitbrag.fakehub.avatars import identicon_svg
from gitbrag.fakehub.changes import ChangeError
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.state import HubState
from gitbrag.fakehub.tokens import TOKEN_KINDS


async def root(request: Request) -> Response:
    """Like ``GET https://api.github.com/``: where things are (also a cheap readiness probe)."""
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "current_user_url": f"{base}/user",
            "user_url": f"{base}/users/{{user}}",
            "repository_url": f"{base}/repos/{{owner}}/{{repo}}",
            "rate_limit_url": f"{base}/rate_limit",
            "graphql_url": f"{base}/graphql",
            "authorize_url": f"{base}/login/oauth/authorize",
        }
    )


async def avatar(request: Request) -> Response:
    svg = identicon_svg(request.path_params["login"])
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "max-age=86400"})


async def control_counters(request: Request) -> Response:
    state: HubState = request.app.state.hub
    counters = state.counters_snapshot()
    total = counters.get("rest", 0) + counters.get("graphql", 0)
    return JSONResponse({"counters": counters, "request_count": total})


async def control_reset(request: Request) -> Response:
    request.app.state.hub.reset()
    return JSONResponse({"ok": True})


async def _body(request: Request) -> dict[str, Any]:
    try:
        payload = await request.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


async def control_faults(request: Request) -> Response:
    faults = request.app.state.hub.faults
    payload = await _body(request)
    try:
        faults.configure(
            rate=payload.get("rate"),
            kinds=payload.get("kinds"),
            secondary_every=payload.get("secondary_every"),
            every=payload.get("every"),
            latency_ms=payload.get("latency_ms"),
            seed=payload.get("seed"),
        )
        faults.inject(*payload.get("inject", ()))
    except (TypeError, ValueError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(faults.settings())


async def control_behaviours(request: Request) -> Response:
    """GET: the behaviour switches; POST: change some (``gitbrag.fakehub.behaviours``)."""
    behaviours = request.app.state.hub.behaviours
    if request.method == "POST":
        try:
            behaviours.configure(**await _body(request))
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(behaviours.settings())


async def control_in_flight(request: Request) -> Response:
    """The most API requests each login (or anonymous address) had in flight at once."""
    return JSONResponse({"max_in_flight": request.app.state.hub.max_in_flight_by_login()})


async def control_budget(request: Request) -> Response:
    payload = await _body(request)
    try:
        request.app.state.hub.budgets.set(
            str(payload["token"]),
            int(payload["remaining"]),
            float(payload.get("reset_in", 3600)),
            payload.get("resource"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        return JSONResponse({"error": f"bad budget request: {exc}"}, status_code=400)
    return JSONResponse({"ok": True})


async def control_revoke(request: Request) -> Response:
    payload = await _body(request)
    if not isinstance(payload.get("token"), str):
        return JSONResponse({"error": "token is required"}, status_code=400)
    request.app.state.hub.revoke(payload["token"])
    return JSONResponse({"ok": True})


async def control_users(request: Request) -> Response:
    """The sample and round-two users, under their current logins, with their data set
    tokens (for demos and out-of-process tests)."""
    state: HubState = request.app.state.hub
    original = {u.id: u.login for u in state.original.users.values()}
    listed = [u for u in state.people() if u.id in original]
    return JSONResponse([{"login": u.login, "token": token_for(original[u.id])} for u in listed])


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise AccountError(f"{name} is required (a string)")
    return value


def _kind(payload: dict[str, Any]) -> Any:
    kind = payload.get("kind", "oauth")
    if kind not in TOKEN_KINDS:
        raise AccountError(f"kind must be one of {TOKEN_KINDS}")
    return kind


async def control_rename(request: Request) -> Response:
    """``{"old": login, "new": login}``: the account keeps its id, tokens and history."""
    payload = await _body(request)
    try:
        user = request.app.state.hub.rename(_text(payload, "old"), _text(payload, "new"))
    except AccountError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"login": user.login, "id": user.id})


async def control_register(request: Request) -> Response:
    """``{"login": ..., "name": ..., "kind": "oauth"}``: a new account and a token for it."""
    payload = await _body(request)
    try:
        profile = {k: v for k, v in payload.items() if k in PROFILE_FIELDS}
        unknown = set(payload) - set(PROFILE_FIELDS) - {"login", "kind"}
        if unknown:
            raise AccountError(f"unknown fields {sorted(unknown)}")
        user, token = request.app.state.hub.register(
            _text(payload, "login"), kind=_kind(payload), **profile
        )
    except (AccountError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"login": user.login, "id": user.id, "token": token})


async def control_sso(request: Request) -> Response:
    """``{"login": ..., "org": ...}``: the account's tokens may read the organisation."""
    payload = await _body(request)
    try:
        request.app.state.hub.grant_sso(_text(payload, "login"), _text(payload, "org"))
    except AccountError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True})


async def control_tokens(request: Request) -> Response:
    """``{"login": ..., "kind": "oauth" | "fine_grained" | "app"}``: a new token."""
    state: HubState = request.app.state.hub
    payload = await _body(request)
    try:
        user = state.user(_text(payload, "login"))
        if user is None:
            raise AccountError(f"no account is called {payload['login']!r}")
        kind = _kind(payload)
        token = state.issue_token(user.id, kind)
    except AccountError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"login": user.login, "id": user.id, "kind": kind, "token": token})


async def control_change(request: Request) -> Response:
    """``{"change": name, "at": ISO time (optional), ...its arguments}``: the served data
    changes as GitHub's would between two collections (``gitbrag.fakehub.changes``)."""
    payload = await _body(request)
    try:
        name = _text(payload, "change")
        at = payload.get("at")
        moment = datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else None
        if moment is not None and moment.tzinfo is None:
            raise ChangeError("at needs a time zone")
        arguments = {k: v for k, v in payload.items() if k not in ("change", "at")}
        request.app.state.hub.change(name, moment, **arguments)
    except (AccountError, ChangeError, ValueError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True, "change": name})

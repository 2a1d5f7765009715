"""Routes that are not API requests: the API root, avatars and the ``/_fakehub/`` controls.

The controls let an out-of-process user (``gitbrag fakehub``) do what ``FakeHub`` offers in
process: read counters and the peak of requests in flight per login, reset, configure
faults and behaviours, force a budget, revoke a token, list tokens.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gitbrag.fakehub.avatars import identicon_svg
from gitbrag.fakehub.data import SAMPLE_USERS, token_for
from gitbrag.fakehub.state import HubState


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
    """The sample users and their tokens (for demos and out-of-process tests)."""
    return JSONResponse([{"login": u, "token": token_for(u)} for u in SAMPLE_USERS])

"""Liveness, readiness, Prometheus metrics (for allowed clients only) and the API's Swagger UI."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gitbrag.errors import StoreUnavailable
from web.context import Ctx
from web.docs import docs_page
from web.metrics import CONTENT_TYPE_LATEST
from web.schemas import Health, Readiness, body
from web.token_probe import server_token_readiness

router = APIRouter(tags=["ops"])


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    """Swagger UI for ``/openapi.json`` (``web.docs``: pinned assets, no inline script)."""
    return HTMLResponse(docs_page("/openapi.json"))


@router.get("/healthz", responses={200: body(Health)})
async def healthz() -> JSONResponse:
    """The process answers (no dependencies checked)."""
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    responses={200: body(Readiness), 503: body(Readiness, "Redis is unreachable")},
)
async def readyz(ctx: Ctx) -> JSONResponse:
    """Ready to serve: Redis answers PING. With a server token, also what that token cannot
    read (``server_token``: probed once at startup; it never makes the server unready)."""
    try:
        ready = await run_in_threadpool(ctx.service.ping)
    except Exception:  # any failure to reach Redis means "not ready", never a 500
        ready = False
    ctx.metrics.redis_up.set(1 if ready else 0)
    if not ready:
        return JSONResponse({"status": "unavailable", "redis": False}, status_code=503)
    body: dict[str, object] = {"status": "ready", "redis": True}
    try:
        token = await run_in_threadpool(server_token_readiness, ctx.settings, ctx.service)
    except StoreUnavailable:
        token = None
    if token is not None:
        body["server_token"] = token
    return JSONResponse(body)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, ctx: Ctx) -> Response:
    """Web counters plus job/queue state read from Redis (in a thread: it does I/O), for
    allowed clients only (``may_read_metrics``)."""
    token = ctx.settings.metrics_token
    if not may_read_metrics(request, token):
        if token:
            return JSONResponse(
                {"detail": "send the metrics token: Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    body = await run_in_threadpool(ctx.metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def may_read_metrics(request: Request, token: str | None) -> bool:
    """With ``GITBRAG_METRICS_TOKEN``: whoever sends it as a bearer token. Without: direct
    connections from this machine only (a loopback address, and no forwarding header: a
    reverse proxy on the same machine relays the public, and says so)."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.client.host if request.client else "").is_loopback
    except ValueError:
        return False

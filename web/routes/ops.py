"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from web.deps import Ctx
from web.metrics import CONTENT_TYPE_LATEST

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process answers (no dependencies checked)."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", responses={503: {"description": "Redis is unreachable"}})
async def readyz(ctx: Ctx) -> JSONResponse:
    """Ready to serve: Redis answers PING."""
    try:
        ready = await run_in_threadpool(ctx.service.ping)
    except Exception:  # any failure to reach Redis means "not ready", never a 500
        ready = False
    ctx.metrics.redis_up.set(1 if ready else 0)
    if not ready:
        return JSONResponse({"status": "unavailable", "redis": False}, status_code=503)
    return JSONResponse({"status": "ready", "redis": True})


@router.get("/metrics", include_in_schema=False)
async def metrics(ctx: Ctx) -> Response:
    """Web counters plus job/queue state read from Redis (in a thread: it does I/O)."""
    body = await run_in_threadpool(ctx.metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

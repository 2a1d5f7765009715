"""Assemble the FastAPI app: context, routers, static files, error pages, middleware."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from gitbrag.errors import InvalidInput, QuotaExceeded, StoreUnavailable
from gitbrag.jobs.lifecycle import DRAMATIQ_NAMESPACE, REPORT_QUEUE
from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings
from gitbrag.stores.admin_pins import AdminRights
from gitbrag.stores.bearer_checks import BearerChecks
from gitbrag.stores.connection import connect
from gitbrag.stores.curation import CurationStore
from gitbrag.stores.job_stats import job_stats
from gitbrag.stores.serving import ServingStore
from gitbrag.stores.sessions import SessionStore
from gitbrag.stores.worker_metrics import WorkerMetricsStore
from web import openapi
from web.bundle import BundleRenderer
from web.canonical import NotCanonical
from web.context import AppContext
from web.embeds.render import EmbedRenderer
from web.job_events import job_feeds
from web.metrics import Metrics
from web.middleware import WebMiddleware
from web.rendering import render_page
from web.routes import api, auth, compare, curation, embeds, exports, ops, pages, reports
from web.serving.cache import DocumentCache
from web.serving.front import ServedPaths
from web.serving.holes import HoleRenderer
from web.serving.reader import Family, ReportReader
from web.serving.route import ServedRoute
from web.serving.view_counts import ViewCounter
from web.templating import STATIC_DIR, build_templates
from web.token_probe import probe_server_token

logger = logging.getLogger("gitbrag.web")

ERROR_TITLES = {
    400: "That request does not make sense",
    401: "Log in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    429: "Slow down",
    500: "Something broke",
    503: "gitbrag is catching its breath",
}

API_STATES = {401: "login_required", 404: "not_found", 429: "quota_exceeded"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.endswith(".json")


def _error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"state": API_STATES.get(status, "error"), "detail": message}
        return JSONResponse(body, status_code=status)
    context = {
        "error": {"status": status, "title": ERROR_TITLES.get(status, "Error"), "message": message}
    }
    return render_page(request, "error.html", context, status_code=status)


def _install_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = (
            exc.detail if isinstance(exc.detail, str) else ERROR_TITLES.get(exc.status_code, "")
        )
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        response = _error_response(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'request'}: "
            f"{error.get('msg', 'invalid')}"
            for error in exc.errors()[:5]
        )
        return _error_response(request, 400, f"Invalid request ({problems}).")

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput) -> Response:
        message = str(exc)
        return _error_response(request, 400, message[:1].upper() + message[1:] + ".")

    @app.exception_handler(QuotaExceeded)
    async def limit_reached(request: Request, exc: QuotaExceeded) -> Response:
        response = _error_response(request, 429, str(exc))
        if isinstance(response, JSONResponse):
            response = JSONResponse(
                {
                    "state": "limit_reached",
                    "limit": exc.kind,
                    "detail": str(exc),
                    "retry_after_seconds": exc.retry_after_seconds,
                },
                status_code=429,
            )
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response

    @app.exception_handler(NotCanonical)
    async def not_canonical(request: Request, exc: NotCanonical) -> Response:
        return exc.response()

    @app.exception_handler(StoreUnavailable)
    async def redis_down(request: Request, exc: StoreUnavailable) -> Response:
        metrics.redis_errors.inc()
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        logger.warning("Redis unavailable: %s", type(cause).__name__)
        response = _error_response(
            request,
            503,
            "Our storage is not answering right now. Your reports are safe; "
            "please try again in a minute.",
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s", request.url.path)
        return _error_response(request, 500, "An unexpected error happened; it has been logged.")


def create_app(settings: Settings, *, service: ReportService | None = None) -> FastAPI:
    """The web app for ``settings``. Connecting to Redis is lazy: the app starts (and its pages
    answer 503) while Redis is down, and recovers by itself once Redis is back."""
    client = connect(settings)
    service = service or ReportService(client, settings)
    server_token = settings.github_token
    metrics = Metrics(
        job_stats=lambda: job_stats(client, namespace=DRAMATIQ_NAMESPACE, queue=REPORT_QUEUE),
        worker_metrics=WorkerMetricsStore(client).snapshot,
        server_budget=(
            functools.partial(service.stores.token_budgets.snapshot, server_token)
            if server_token
            else None
        ),
    )
    assert settings.redis_url is not None  # connect() checked it
    serving = ServingStore(
        settings.redis_url,
        retention_seconds=settings.report_retention_days * 86_400,
        view_window_days=settings.prewarm_view_window_days,
        readable_keys=service.stores.credentials.readable_keys,
    )
    templates = build_templates()
    context = AppContext(
        settings=settings,
        service=service,
        sessions=SessionStore(
            client,
            session_ttl=settings.credential_ttl_seconds,
            bearer_ttl=settings.bearer_cache_seconds,
        ),
        bearer_checks=BearerChecks(
            client,
            rejected_ttl=settings.bearer_rejection_cache_seconds,
            per_minute=settings.bearer_validations_per_minute,
        ),
        templates=templates,
        metrics=metrics,
        feeds=job_feeds(settings, service),
        reader=ReportReader(
            serving,
            Family(BundleRenderer(templates.env, settings).render, whole=True, label="bundle"),
            DocumentCache(settings.render_cache_mb * 1024 * 1024),
            metrics,
        ),
        holes=HoleRenderer(templates.env),
        views=ViewCounter(serving.record_views, interval_seconds=settings.view_flush_seconds),
        embeds=EmbedRenderer(templates.env),
        curation=CurationStore(client),
        admins=AdminRights(client, settings.admins),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        probe = asyncio.create_task(probe_server_token(settings, service))
        yield
        probe.cancel()
        await context.views.aclose()  # the views counted since the last write
        await serving.aclose()

    app = FastAPI(
        title="gitbrag",
        summary="Shareable reports of a GitHub user's pull requests.",
        version="1",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
        # gitbrag exports its own Prometheus metrics (/metrics) and configures no OpenTelemetry
        # provider: skip FastAPI's per-request telemetry checks.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.context = context
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(ops.router)
    app.include_router(auth.router)
    app.include_router(exports.api)
    app.include_router(compare.api)
    app.include_router(api.router)
    app.include_router(curation.api)
    app.include_router(exports.router)
    app.include_router(embeds.router)
    app.include_router(compare.router)
    app.include_router(reports.router)
    app.include_router(curation.router)
    app.include_router(pages.router)
    _install_error_handlers(app, metrics)
    openapi.install(app)  # every answer's body documented (and 400, not 422)
    # Report views take the short way (and send bodies compressed once per version); the
    # other pages are compressed per response.
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    served = [
        route
        for router in (
            exports.api,
            compare.api,
            exports.router,
            embeds.router,
            compare.router,
            reports.router,
        )  # in matching order
        for route in router.routes
        if isinstance(route, ServedRoute)
    ]
    app.add_middleware(ServedPaths, routes=served, exception_handlers=app.exception_handlers)
    app.add_middleware(WebMiddleware, settings=settings, metrics=metrics)
    return app

"""Assemble the FastAPI app: context, routers, static files, error handlers, the OpenAPI
document, middleware (the cached views' short way among them)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Final

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from gitbrag.errors import ConfigError
from gitbrag.jobs.lifecycle import DRAMATIQ_NAMESPACE, REPORT_QUEUE
from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings
from gitbrag.stores.admin_pins import AdminRights
from gitbrag.stores.bearer_checks import BearerChecks
from gitbrag.stores.connection import connect
from gitbrag.stores.console import ConsoleStore
from gitbrag.stores.curation import CurationStore
from gitbrag.stores.curation_targets import CurationTargets
from gitbrag.stores.job_stats import job_stats
from gitbrag.stores.serving import ServingStore
from gitbrag.stores.sessions import SessionStore
from gitbrag.stores.throughput import ThroughputStore
from gitbrag.stores.worker_metrics import WorkerMetricsStore
from web import errors, openapi
from web.bundle import BundleRenderer
from web.console import Console
from web.context import AppContext
from web.embeds.render import EmbedRenderer
from web.hosts import HostCheck
from web.job_events import job_feeds
from web.metrics import Metrics
from web.middleware import WebMiddleware
from web.routes import (
    admin,
    auth,
    compare,
    curation,
    embeds,
    exports,
    jobs,
    ops,
    pages,
    refresh,
    reports,
)
from web.serving.cache import DocumentCache
from web.serving.front import ServedPaths, served_routes
from web.serving.holes import HoleRenderer
from web.serving.reader import Family, ReportReader
from web.serving.view_counts import MISSED, ViewCounter
from web.templating import STATIC_DIR, build_templates
from web.token_probe import probe_server_token

# In matching order: ``/user/github/{username}.json`` before ``/user/github/{username}``, which
# would match ``name.json`` too. The cached views' short way matches in the same order.
ROUTERS: Final = (
    ops.router,
    auth.router,
    exports.api,
    compare.api,
    refresh.api,
    jobs.api,
    curation.api,
    exports.router,
    embeds.router,
    compare.router,
    reports.router,
    curation.router,
    refresh.router,
    jobs.router,
    admin.router,
    pages.router,
)


async def _flush_views(
    serving: ServingStore, throughput: ThroughputStore, batch: Mapping[str, int]
) -> None:
    """Write a batch of views: each report's (popularity), and how many were served from a
    stored report or not (the console's cache hit ratio, per minute)."""
    views = {key: count for key, count in batch.items() if key != MISSED}
    if views:
        await serving.record_views(views)
    await run_in_threadpool(
        throughput.add_views, hits=sum(views.values()), misses=batch.get(MISSED, 0)
    )


def create_app(settings: Settings, *, service: ReportService | None = None) -> FastAPI:
    """The web app for ``settings``. Connecting to Redis is lazy: the app starts (and its pages
    answer 503) while Redis is down, and recovers by itself once Redis is back."""
    try:
        HostCheck(settings.public_url, settings.allowed_host_list)
    except ValueError as exc:
        raise ConfigError(f"GITBRAG_ALLOWED_HOSTS: {exc}") from None
    client = connect(settings)
    service = service or ReportService(client, settings)
    server_token = settings.github_token
    queues = ConsoleStore(client, namespace=DRAMATIQ_NAMESPACE, queue=REPORT_QUEUE)
    metrics = Metrics(
        job_stats=lambda: job_stats(client, namespace=DRAMATIQ_NAMESPACE, queue=REPORT_QUEUE),
        worker_metrics=WorkerMetricsStore(client).snapshot,
        queue_state=(
            REPORT_QUEUE,
            lambda: queues.queues(
                datetime.now(UTC), heartbeat_timeout_ms=settings.broker_heartbeat_timeout_ms
            ),
        ),
        server_budget=(
            functools.partial(service.stores.token_budgets.snapshot, server_token)
            if server_token
            else None
        ),
    )
    serving = ServingStore(
        settings,
        retention_seconds=settings.report_retention_days * 86_400,
        view_window_days=settings.prewarm_view_window_days,
        readable_keys=service.stores.credentials.readable_keys,
    )
    templates = build_templates()
    bundles = BundleRenderer(templates.env, settings)
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
            checks_per_minute=settings.bearer_checks_per_minute,
        ),
        templates=templates,
        metrics=metrics,
        feeds=job_feeds(settings, service),
        reader=ReportReader(
            serving,
            Family(bundles.render, whole=True, label="bundle"),
            DocumentCache(settings.render_cache_mb * 1024 * 1024),
            metrics.renders,
        ),
        bundles=bundles,
        holes=HoleRenderer(templates.env),
        views=ViewCounter(
            functools.partial(_flush_views, serving, ThroughputStore(client)),
            interval_seconds=settings.view_flush_seconds,
        ),
        embeds=EmbedRenderer(templates.env),
        curation=CurationStore(client),
        curation_targets=CurationTargets(client),
        admins=AdminRights(client, settings.admins),
        console=Console(service),
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
        docs_url=None,  # web.routes.ops serves /docs (web.docs: pinned assets, no inline script)
        redoc_url=None,
        lifespan=lifespan,
        # gitbrag exports its own Prometheus metrics (/metrics) and configures no OpenTelemetry
        # provider: skip FastAPI's per-request telemetry checks.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.context = context
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app, metrics)
    openapi.install(app)  # every answer's body documented (and 400, not 422)
    # Report views take the short way (and send bodies compressed once per version); the
    # other pages are compressed per response.
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(
        ServedPaths,
        routes=served_routes(route for router in ROUTERS for route in router.routes),
        exception_handlers=app.exception_handlers,
    )
    app.add_middleware(WebMiddleware, settings=settings, metrics=metrics)
    return app

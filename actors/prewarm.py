"""Scheduled pre-warming (periodiq): keep popular reports fresh, drop forgotten ones.

Periodic actors only pick work and ``.send()`` through the normal service path (so dedup
and the per-user limiter apply); they stay trivial because periodiq drops messages older
than ``skip_delay``, retries included. periodiq has no leader election, so each tick takes
a ``SET NX`` guard named after the actor and the tick's minute: a second scheduler never
doubles the work.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import dramatiq
from dramatiq.middleware import CurrentMessage
from periodiq import cron

import actors.broker  # noqa: F401  (the broker and its middleware come first)
from actors.jobs import worker_context
from gitbrag.periods import ReportKey
from gitbrag.service import ReportService
from gitbrag.settings import Settings, get_settings

log = logging.getLogger(__name__)
_settings = get_settings()


def claim_tick(service: ReportService, name: str, now: datetime, ttl_seconds: int) -> bool:
    """True for the first caller of this tick (actor name + minute), False for duplicates."""
    return service.stores.ticks.claim(name, now, ttl_seconds)


def prewarm_once(
    service: ReportService, settings: Settings, now: datetime | None = None
) -> list[str]:
    """Send regeneration jobs for popular reports that turn stale before the next tick.

    Only the top ``prewarm_top_k`` report keys with at least ``prewarm_min_views`` views in the
    window are candidates; each costs an estimated ``prewarm_estimated_requests_per_report``
    requests of the server token, and the tick stops at ``prewarm_budget_requests``.
    Returns the report keys sent.
    """
    now = now or datetime.now(UTC)
    credential = service.server_credential()
    if credential is None:
        log.info("pre-warming skipped: no GITBRAG_GITHUB_TOKEN")
        return []
    horizon = now + timedelta(minutes=settings.prewarm_interval_minutes)
    budget = settings.prewarm_budget_requests
    sent: list[str] = []
    popular = service.stores.views.popular(
        settings.prewarm_top_k, min_views=settings.prewarm_min_views, now=now
    )
    for candidate in popular:
        if budget < settings.prewarm_estimated_requests_per_report:
            break
        key = ReportKey.parse(candidate.report_key, today=now.date())
        stored = service.get_report(key)
        stale_at = (
            stored.generated_at + timedelta(seconds=settings.report_fresh_seconds)
            if stored
            else now
        )
        if stale_at > horizon or service.current_job(key) is not None:
            continue
        if service.is_unknown_user(key.username):
            continue
        service.request_report(key, credential)
        budget -= settings.prewarm_estimated_requests_per_report
        sent.append(candidate.report_key)
    return sent


def housekeep_once(
    service: ReportService, settings: Settings, now: datetime | None = None
) -> list[str]:
    """Drop cached reports nobody viewed for ``report_retention_days`` (bounded memory)."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=settings.report_retention_days)
    forgotten = service.stores.views.not_viewed_since(cutoff)
    for report_key in forgotten:
        service.stores.reports.delete(report_key)
    service.stores.views.forget(forgotten)
    return forgotten


def _tick_time() -> datetime:
    """The tick this message belongs to (periodiq's ``scheduled_at``), else now."""
    message = CurrentMessage.get_current_message()
    scheduled = message.options.get("scheduled_at") if message else None
    if scheduled:
        try:
            return datetime.fromisoformat(str(scheduled))
        except ValueError:
            pass
    return datetime.now(UTC)


def _service() -> ReportService:
    ctx = worker_context()
    return ReportService(ctx.stores.redis, ctx.settings)


@dramatiq.actor(periodic=cron(f"*/{_settings.prewarm_interval_minutes} * * * *"), max_retries=0)
def prewarm_popular_reports() -> None:
    service = _service()
    if claim_tick(service, "prewarm", _tick_time(), _settings.prewarm_interval_minutes * 60):
        sent = prewarm_once(service, _settings)
        log.info("pre-warming sent %d jobs", len(sent))


@dramatiq.actor(periodic=cron("17 * * * *"), max_retries=0)
def housekeeping() -> None:
    service = _service()
    if claim_tick(service, "housekeeping", _tick_time(), 3600):
        forgotten = housekeep_once(service, _settings)
        log.info("housekeeping dropped %d reports", len(forgotten))

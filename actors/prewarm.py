"""Scheduled pre-warming (periodiq): keep popular reports fresh, drop forgotten ones.

Periodic actors only pick work and ``.send()`` through the normal service path (so dedup
and the per-user limiter apply); they stay trivial because periodiq drops messages older
than ``skip_delay``, retries included. periodiq has no leader election, so each tick takes
a ``SET NX`` guard named after the actor and the tick's minute: a second scheduler never
doubles the work.

Which reports are kept fresh is what the server token can pay for (issue 21): the most
viewed reports, in order, as long as their regenerations a day fit pre-warming's share of
GitHub's hourly budgets (:func:`gitbrag.github.capacity.kept_fresh`, from each report's
measured refresh cost, kept with its last collection: :func:`top_k`), never a fixed number.

Pre-warming spends the server token, which viewers' jobs may share: a tick reads the
token's real remaining budget from the per-token state every worker keeps in Redis
(``gitbrag.stores.token_budget``) and spends at most ``prewarm_budget_share`` of it (and
never more than ``prewarm_budget_requests``), sending at most ``prewarm_top_k`` jobs. When
that share cannot pay for the next report, or the token is rate limited, the tick sends
nothing and logs why.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import dramatiq
from dramatiq.middleware import CurrentMessage
from periodiq import cron

import actors.broker  # noqa: F401  (the broker and its middleware come first)
from actors.worker import collections_of, worker_context
from gitbrag.errors import QuotaExceeded
from gitbrag.github.capacity import Allowance, Cost, kept_fresh
from gitbrag.jobs import quotas
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.settings import Settings, get_settings
from gitbrag.stores.prewarm_state import PrewarmRun, PrewarmState

log = logging.getLogger(__name__)
_settings = get_settings()

# The most viewed reports a tick weighs against the token's capacity (one Redis round trip
# for their costs): far more than a token keeps fresh at the default share.
CANDIDATES = 5_000


def claim_tick(service: ReportService, name: str, now: datetime, ttl_seconds: int) -> bool:
    """True for the first caller of this tick (actor name + minute), False for duplicates."""
    return service.stores.ticks.claim(name, now, ttl_seconds)


def estimated_requests(report: Report | None, settings: Settings) -> int:
    """What regenerating ``report`` should cost with the GitHub cache warm: the profile, the
    search pages, files of open PRs (closed ones are cached) and the repositories. Without a
    report to go by, ``prewarm_estimated_requests_per_report``."""
    if report is None:
        return settings.prewarm_estimated_requests_per_report
    totals = report.totals
    return (
        2
        + max(1, math.ceil(totals.pull_requests / 100))
        + math.ceil(totals.open / 20)
        + math.ceil(totals.repositories / 20)
    )


def unkept_cost(settings: Settings) -> Cost:
    """What regenerating a report with no collection kept is assumed to cost: the profile
    and social accounts (REST), and ``prewarm_estimated_requests_per_report`` more."""
    return Cost(rest=2, points=max(0, settings.prewarm_estimated_requests_per_report - 2))


def top_k(costs: list[Cost | None], settings: Settings) -> int:
    """How many of the most viewed reports (their measured refresh ``costs``, most viewed
    first; ``None``: nothing kept) the server token keeps fresh: as many as their
    regenerations a day fit pre-warming's share of GitHub's hourly budgets."""
    return kept_fresh(
        (cost or unkept_cost(settings) for cost in costs),
        Allowance.daily(settings.prewarm_budget_share),
        settings.report_fresh_seconds,
    )


def tick_budget(service: ReportService, settings: Settings, now: datetime) -> int:
    """Requests this tick may spend of the server token: a share of its remaining budget
    (the lower of REST and GraphQL) as the workers last saw it, capped by
    ``prewarm_budget_requests``; 0 while the token is rate limited."""
    assert settings.github_token is not None
    snapshot = service.stores.token_budgets.snapshot(settings.github_token, now.timestamp())
    blocked = snapshot.blocked_until(now.timestamp())
    if blocked is not None:
        until = datetime.fromtimestamp(blocked, UTC)
        log.info("pre-warming sends nothing: the server token is rate limited until %s", until)
        return 0
    known = [
        remaining
        for resource in ("graphql", "core")
        if (remaining := snapshot.remaining(resource, now.timestamp())) is not None
    ]
    if not known:  # no worker used the token this window: it is as fresh as GitHub gives
        return settings.prewarm_budget_requests
    return min(
        settings.prewarm_budget_requests, math.floor(min(known) * settings.prewarm_budget_share)
    )


def prewarm_once(
    service: ReportService, settings: Settings, now: datetime | None = None
) -> list[str]:
    """Send regeneration jobs for popular reports that turn stale before the next tick.

    The report keys with at least ``prewarm_min_views`` views in the window, most viewed
    first, up to :func:`top_k` of them (what the server token keeps fresh) are candidates;
    each costs its measured refresh cost (:func:`estimated_requests` without one) of the
    server token, and the tick stops when :func:`tick_budget` cannot pay for the next one,
    or after ``prewarm_top_k`` jobs. Returns the report keys sent; what it chose, skipped and
    why is kept for the operations console (``gitbrag.stores.prewarm_state``), which can also
    pause it.
    """
    now = now or datetime.now(UTC)
    state = PrewarmState(service.redis)
    run = PrewarmRun(at=now)
    try:
        return _prewarm(service, settings, now, state, run)
    finally:
        state.record(run)


def _prewarm(
    service: ReportService, settings: Settings, now: datetime, state: PrewarmState, run: PrewarmRun
) -> list[str]:
    if state.paused():
        log.info("pre-warming skipped: an admin paused it")
        run.skip("*", "paused")
        return []
    credential = service.server_credential()
    if credential is None or settings.github_token is None:
        log.info("pre-warming skipped: no GITBRAG_GITHUB_TOKEN")
        run.skip("*", "no_server_token")
        return []
    horizon = now + timedelta(minutes=settings.prewarm_interval_minutes)
    viewed = service.stores.views.popular(CANDIDATES, min_views=settings.prewarm_min_views, now=now)
    kept = collections_of(service.stores.redis, settings)
    costs = kept.refresh_costs([candidate.report_key for candidate in viewed])
    keep = top_k(costs, settings)
    if keep < len(viewed):
        log.info(
            "pre-warming keeps the %d most viewed of %d popular reports fresh: the server "
            "token's share pays for that many a day",
            keep,
            len(viewed),
        )
        for candidate in viewed[keep:]:
            run.skip(candidate.report_key, "capacity")
    budget: int | None = None  # read once there is something to pay for
    sent: list[str] = []
    for candidate, measured in zip(viewed[:keep], costs, strict=False):
        if len(sent) >= settings.prewarm_top_k:
            break
        key = ReportKey.parse(candidate.report_key, today=now.date())
        stored = service.get_report(key)
        stale_at = (
            stored.generated_at + timedelta(seconds=settings.report_fresh_seconds)
            if stored
            else now
        )
        if stale_at > horizon or service.current_job(key) is not None:
            run.skip(candidate.report_key, "fresh" if stale_at > horizon else "running")
            continue
        if service.is_unknown_user(key.username):
            run.skip(candidate.report_key, "unknown_user")
            continue
        if budget is None:
            budget = run.budget = tick_budget(service, settings, now)
        cost = (
            math.ceil(measured.rest + measured.points)
            if measured is not None
            else estimated_requests(stored.report if stored else None, settings)
        )
        if cost > budget:
            log.info(
                "pre-warming stops: %s needs about %d GitHub requests and this tick may spend "
                "%d more of the server token's budget (%d sent)",
                candidate.report_key,
                cost,
                budget,
                len(sent),
            )
            run.skip(candidate.report_key, "budget")
            break
        try:
            service.request_report(key, credential, quotas=quotas.for_scheduler(settings))
        except QuotaExceeded:
            log.info("pre-warming stops: the job queue is full (%d sent)", len(sent))
            run.skip(candidate.report_key, "queue_full")
            break
        budget -= cost
        sent.append(candidate.report_key)
        run.sent.append(candidate.report_key)
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
    collections_of(service.stores.redis, settings).delete(*forgotten)
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

"""The request-flow table (docs/spec.md section 5), shared by every cached view of a report.

| cache   | viewer       | outcome                                                         |
|---------|--------------|-----------------------------------------------------------------|
| fresh   | any          | ``fresh`` (plus "updating" if a job happens to be running)      |
| stale   | can generate | ``stale`` + one regeneration requested (deduplicated), updating |
| stale   | anonymous    | ``stale`` + "log in to refresh" (or "updating" if a job runs)   |
| missing | can generate | ``generating`` with the (deduplicated) job                      |
| missing | anonymous    | ``login_required`` (or ``generating`` if someone else's job runs)|
| stale or missing, a new job over a limit | ``stale`` without a job, or ``QuotaExceeded`` (429) |
| no such user, an organisation, a private profile | ``not_found`` (``not_found_reason``) |

A report made for an account that no longer holds the login (a login changed hands: see
``gitbrag.stores.accounts``) is missing here: the read does not serve it.

A job that waits on its token's rate limit is asked for again by a viewer who can generate:
if their token has budget, a new job takes it over (``gitbrag.jobs.lifecycle``).

A forced refresh (``force_refresh``) is the POST row: it checks the per-viewer quota unless
a job is already running for the key (then it simply returns that job).

``decide`` works on the state one Redis read returned (``gitbrag.stores.serving.ViewState``)
and counts the view; only a row that requests a job calls the (synchronous) service, in the
threadpool. That request carries the report version the read saw, so a job that finished
between the read and the request is never started again for a report that just arrived.
Everything else here is synchronous: call it through ``run_in_threadpool``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.concurrency import run_in_threadpool

from gitbrag.errors import QuotaExceeded
from gitbrag.jobs import quotas
from gitbrag.jobs.quotas import JobQuotas
from gitbrag.jobs.service import Job
from gitbrag.report.keys import ReportKey
from gitbrag.stores.serving import ReportMeta, ViewState
from gitbrag.stores.sessions import QuotaDecision
from web.auth import Viewer
from web.context import AppContext

OutcomeState = Literal["fresh", "stale", "generating", "login_required", "not_found"]
Notice = Literal["updating", "login_to_refresh"]


@dataclass(frozen=True, slots=True)
class Outcome:
    state: OutcomeState
    key: ReportKey
    meta: ReportMeta | None = None
    job: Job | None = None
    notice: Notice | None = None
    not_found_reason: str | None = None  # "no_user", "organization" or "private_profile"

    @property
    def http_status(self) -> int:
        return {
            "fresh": 200,
            "stale": 200,
            "generating": 202,
            "login_required": 401,
            "not_found": 404,
        }[self.state]


def job_quotas(ctx: AppContext, viewer: Viewer) -> JobQuotas:
    """A viewer counts as their GitHub account (by id); anonymous generation as the client
    address."""
    if viewer.login:
        return quotas.for_viewer(ctx.settings, viewer.login, viewer.account_id)
    return quotas.for_address(ctx.settings, viewer.address or "unknown")


def request_job(
    ctx: AppContext, key: ReportKey, viewer: Viewer, seen_version: str | None = None
) -> Job | None:
    """Ask the pipeline for a job (deduplicated there) and count new vs. joined. Raises
    ``QuotaExceeded`` when a new job would pass the viewer's limits or the queue cap. With
    ``seen_version`` (the stored version the caller decided on, ``""`` for none), ``None``
    when another version has been stored since: nothing was requested."""
    assert viewer.credential is not None
    before = ctx.service.current_job(key)
    quotas = job_quotas(ctx, viewer)
    try:
        if seen_version is None:
            job: Job | None = ctx.service.request_report(
                key, viewer.credential, viewer_id=viewer.viewer_id, quotas=quotas
            )
        else:
            job = ctx.service.request_report_seen(
                key, viewer.credential, seen_version, viewer_id=viewer.viewer_id, quotas=quotas
            )
    except QuotaExceeded as refused:
        ctx.metrics.jobs_requested.labels("refused_" + refused.kind).inc()
        raise
    if job is None:
        ctx.metrics.jobs_requested.labels("arrived").inc()
        return None
    joined = before is not None and before.id == job.id
    ctx.metrics.jobs_requested.labels("dedup" if joined else "new").inc()
    return job


async def decide(ctx: AppContext, key: ReportKey, viewer: Viewer, state: ViewState) -> Outcome:
    """Apply the table above to ``state``; may request one generation (never runs one)."""
    if state.unknown_reason is not None:
        return Outcome("not_found", key, not_found_reason=state.unknown_reason)
    active = state.job
    if state.meta is not None:
        ctx.views.record(str(key))
        if state.meta.age_seconds(ctx.now()) < ctx.settings.report_fresh_seconds:
            ctx.metrics.lookup["fresh"].inc()
            return Outcome("fresh", key, state.meta, active, "updating" if active else None)
        ctx.metrics.lookup["stale"].inc()
        if _may_request(viewer):
            seen = state.meta.report_version
            try:
                active = await run_in_threadpool(request_job, ctx, key, viewer, seen)
            except QuotaExceeded:  # the stale report is still worth showing
                return Outcome("stale", key, state.meta, None, None)
            if active is None:  # a newer version arrived since the read: the next view has it
                return Outcome("stale", key, state.meta, None, None)
        notice: Notice = "updating" if active is not None else "login_to_refresh"
        return Outcome("stale", key, state.meta, active, notice)
    ctx.metrics.lookup["missing"].inc()
    ctx.views.record_miss()
    if _may_request(viewer):
        # A former holder's report may still be stored (not served): that is what we saw.
        seen = state.hidden_version or ""
        job = await run_in_threadpool(request_job, ctx, key, viewer, seen)
        if job is None:  # the report arrived since the read: show how its job ended
            job = await run_in_threadpool(_arrived, ctx, key, viewer, active)
        return Outcome("generating", key, None, job)
    if active is not None:
        return Outcome("generating", key, None, active)
    return Outcome("login_required", key)


def _arrived(ctx: AppContext, key: ReportKey, viewer: Viewer, seen: Job | None) -> Job:
    """The report arrived between the read and the request: the job the read saw, finished
    now (the generating page and API clients then load the report). Without one, a whole
    job ran in between: ask again without the version check (at worst one regeneration)."""
    job = ctx.service.get_job(seen.id) if seen is not None else None
    if job is None:
        job = request_job(ctx, key, viewer)
    assert job is not None  # only a seen version makes the request come back empty
    return job


def _may_request(viewer: Viewer) -> bool:
    """A viewer who can generate always asks the pipeline, even when a job runs: joining is
    remembered (a logout then hands the job over rather than cancelling it), and a job that
    waits on its token's rate limit is taken over by a token with budget."""
    return viewer.can_generate


@dataclass(frozen=True, slots=True)
class RefreshResult:
    job: Job | None
    quota: QuotaDecision | None = None

    @property
    def refused(self) -> bool:
        return self.job is None


def force_refresh(ctx: AppContext, key: ReportKey, viewer: Viewer) -> RefreshResult:
    """Schedule a regeneration now, within the viewer's hourly quota."""
    running = ctx.service.current_job(key)
    if running is not None:
        ctx.metrics.jobs_requested.labels("dedup").inc()
        return RefreshResult(running)
    quota = ctx.sessions.take_refresh(viewer.quota_key, ctx.settings.refresh_quota_per_hour)
    if not quota.allowed:
        ctx.metrics.refresh_quota_denied.inc()
        return RefreshResult(None, quota)
    return RefreshResult(request_job(ctx, key, viewer), quota)

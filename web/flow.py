"""The request-flow table of SPEC section 5, shared by the report page and its JSON twin.

| cache   | viewer       | outcome                                                         |
|---------|--------------|-----------------------------------------------------------------|
| fresh   | any          | ``fresh`` (plus "updating" if a job happens to be running)      |
| stale   | can generate | ``stale`` + one regeneration requested (deduplicated), updating |
| stale   | anonymous    | ``stale`` + "log in to refresh" (or "updating" if a job runs)   |
| missing | can generate | ``generating`` with the (deduplicated) job                      |
| missing | anonymous    | ``login_required`` (or ``generating`` if someone else's job runs)|
| unknown user, or an organisation's login | ``not_found`` (``not_found_reason`` says which) |

A forced refresh (``force_refresh``) is the POST row: it checks the per-viewer quota unless
a job is already running for the key (then it simply returns that job).

``decide`` works on the state one Redis read returned (``gitbrag.stores.serving.ViewState``)
and counts the view; only a row that requests a job calls the (synchronous) service, in the
threadpool. Everything else here is synchronous: call it through ``run_in_threadpool``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.concurrency import run_in_threadpool

from gitbrag.periods import ReportKey
from gitbrag.service import CredentialRef, Job
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
    not_found_reason: str | None = None  # "no_user" or "organization"

    @property
    def http_status(self) -> int:
        return {
            "fresh": 200,
            "stale": 200,
            "generating": 202,
            "login_required": 401,
            "not_found": 404,
        }[self.state]


def request_job(ctx: AppContext, key: ReportKey, viewer: Viewer) -> Job:
    """Ask the pipeline for a job (deduplicated there) and count new vs. joined."""
    assert viewer.credential is not None
    before = ctx.service.current_job(key)
    job = ctx.service.request_report(key, viewer.credential, viewer_id=viewer.viewer_id)
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
        if active is None and viewer.can_generate:
            active = await run_in_threadpool(request_job, ctx, key, viewer)
        notice: Notice = "updating" if active is not None else "login_to_refresh"
        return Outcome("stale", key, state.meta, active, notice)
    ctx.metrics.lookup["missing"].inc()
    if active is not None:
        return Outcome("generating", key, None, active)
    if viewer.can_generate:
        job = await run_in_threadpool(request_job, ctx, key, viewer)
        return Outcome("generating", key, None, job)
    return Outcome("login_required", key)


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


def needs_login_again(ctx: AppContext, job: Job) -> bool:
    """The job failed because GitHub rejected its viewer's token (expired or revoked)."""
    if job.status != "failed":
        return False
    credential = ctx.service.stores.jobs.credential(job.id)
    return credential is not None and ctx.service.credential_is_invalid(CredentialRef(credential))

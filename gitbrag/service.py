"""What the web layer (and the CLI) call to get reports generated in the background.

Synchronous on purpose: web routes call it from threadpool endpoints. Every request for a
report key goes through one atomic claim (:class:`~gitbrag.stores.jobs.JobStore`), so under
any concurrency at most one job generates a report; callers that lose the race get the
winner's job. Messages for the report actor carry the report key and a credential *ref*,
never a token. Redis failures surface as ``redis.exceptions.ConnectionError``.
"""

from __future__ import annotations

import logging
from typing import Final

import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from dramatiq_abort import Abortable
from dramatiq_abort import backends as abort_backends
from dramatiq_abort.middleware import AbortMode

from gitbrag.periods import ReportKey
from gitbrag.redis_server import connect
from gitbrag.settings import Settings
from gitbrag.stores.credentials import CredentialRef, CredentialStore
from gitbrag.stores.jobs import Job, JobStatus, JobStore, Progress
from gitbrag.stores.reports import ReportStore, StoredReport
from gitbrag.stores.token_budget import TokenBudgets
from gitbrag.stores.views import ViewStore

__all__ = [
    "REPORT_ACTOR",
    "REPORT_QUEUE",
    "CredentialRef",
    "Job",
    "JobStatus",
    "Progress",
    "ReportService",
    "StoredReport",
    "stores_for",
]

REPORT_QUEUE: Final = "reports"
REPORT_ACTOR: Final = "generate_report"
DRAMATIQ_NAMESPACE: Final = "dramatiq"

log = logging.getLogger(__name__)

LOST_JOB = "This job was lost before it could finish; please try again."


class Stores:
    """The stores of one Redis, configured from settings (shared by service and actors)."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.redis = client
        self.reports = ReportStore(
            client,
            retention_seconds=settings.report_retention_days * 86_400,
            not_found_ttl=settings.not_found_ttl_seconds,
        )
        self.jobs = JobStore(
            client,
            claim_ttl_seconds=settings.job_time_limit_seconds + settings.job_queue_wait_seconds,
            record_ttl_seconds=settings.job_record_ttl_seconds,
        )
        self.credentials = CredentialStore(
            client, secret_key=settings.resolved_secret_key(), server_token=settings.github_token
        )
        self.views = ViewStore(client, window_days=settings.prewarm_view_window_days)
        self.token_budgets = TokenBudgets(
            client, secret_key=settings.resolved_secret_key(), limits=settings.github_limits()
        )


def stores_for(client: redis.Redis, settings: Settings) -> Stores:
    return Stores(client, settings)


class ReportService:
    def __init__(self, redis: redis.Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.stores = Stores(redis, settings)
        # Enqueue-only broker: no middleware runs at enqueue time, and no worker consumes here.
        self._broker = RedisBroker(  # type: ignore[no-untyped-call]
            client=redis, namespace=DRAMATIQ_NAMESPACE, middleware=[]
        )
        self._broker.declare_queue(REPORT_QUEUE)
        self._abortable = Abortable(backend=abort_backends.RedisBackend(client=redis))

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportService:
        return cls(connect(settings), settings)

    # ------------------------------------------------------------------ credentials

    def store_credential(
        self, token: str, *, viewer_id: str | None, ttl_seconds: int
    ) -> CredentialRef:
        """Encrypt ``token`` into Redis; the returned ref is what jobs and sessions carry."""
        return self.stores.credentials.store(token, viewer_id=viewer_id, ttl_seconds=ttl_seconds)

    def server_credential(self) -> CredentialRef | None:
        """The ref of the server token (``GITBRAG_GITHUB_TOKEN``), if one is configured."""
        return self.stores.credentials.server_ref()

    def credential_is_invalid(self, credential: CredentialRef) -> bool:
        """GitHub rejected this credential (401) during a job: the viewer must log in again."""
        return self.stores.credentials.is_invalid(credential)

    def delete_viewer_credentials(self, viewer_id: str) -> None:
        """Logout: delete the viewer's credentials and cancel their jobs that have not started."""
        self.stores.credentials.delete_viewer(viewer_id)
        for job_id in self.stores.jobs.jobs_of_viewer(viewer_id):
            job = self.stores.jobs.get(job_id)
            if job is not None and job.status in ("queued", "waiting_rate_limit"):
                self.cancel_job(job_id)

    # ------------------------------------------------------------------ jobs

    def request_report(
        self, key: ReportKey, credential: CredentialRef, *, viewer_id: str | None = None
    ) -> Job:
        """The active job for ``key``, or a new one (claimed atomically, then sent)."""
        message: Message[None] = Message(
            queue_name=REPORT_QUEUE,
            actor_name=REPORT_ACTOR,
            args=(),
            kwargs={"key": str(key), "credential": str(credential)},
            options={},
        )
        for _ in range(5):
            owner, created = self.stores.jobs.claim(
                str(key), message.message_id, credential=str(credential), viewer_id=viewer_id
            )
            if created:
                try:
                    self._broker.enqueue(message)
                except Exception:
                    self.stores.jobs.finish(owner, "failed", "Could not queue the job")
                    self.stores.jobs.release(str(key), owner)
                    raise
            job = self.stores.jobs.get(owner)
            if job is not None:
                return job
        raise RuntimeError(f"could not claim a job for {key}")  # records vanished 5 times

    def get_job(self, job_id: str) -> Job | None:
        """The job, as its record says; an active job that lost its claim is reported failed.

        An active job always owns its claim (created together, renewed every second while
        running, extended while waiting for a rate-limit reset), so a lost claim means the job
        can no longer finish (its message was lost with a wiped Redis, say): say so rather
        than letting a page poll "queued" forever.
        """
        jobs = self.stores.jobs
        job = jobs.get(job_id)
        if job is None or job.finished or jobs.owner(job.report_key) == job_id:
            return job
        jobs.finish(job_id, "failed", LOST_JOB)
        return jobs.get(job_id)

    def current_job(self, key: ReportKey) -> Job | None:
        """The queued/running/waiting job generating ``key``, if any."""
        owner = self.stores.jobs.owner(str(key))
        job = self.stores.jobs.get(owner) if owner else None
        return job if job is not None and not job.finished else None

    def cancel_job(self, job_id: str) -> Job | None:
        """Cancel a queued job (it never runs) or abort a running one (it stops, ``cancelled``).

        A running job reports ``cancelled`` itself once the abort reaches it (about a second).
        """
        jobs = self.stores.jobs
        job = jobs.get(job_id)
        if job is None or job.finished:
            return job
        jobs.request_cancel(job_id)
        self._abortable.abort(job_id, mode=AbortMode.ABORT)
        if jobs.finish(
            job_id, "cancelled", "Cancelled", allowed_from=("queued", "waiting_rate_limit")
        ):
            jobs.release(job.report_key, job_id)
        return jobs.get(job_id)

    # ------------------------------------------------------------------ reports

    def get_report(self, key: ReportKey) -> StoredReport | None:
        return self.stores.reports.get(key)

    def is_unknown_user(self, username: str) -> bool:
        """GitHub recently said this user does not exist (cached for ``not_found_ttl_seconds``)."""
        return self.stores.reports.is_unknown_user(username)

    def unknown_user_reason(self, username: str) -> str | None:
        """Why GitHub recently gave no report for ``username``: ``no_user`` (no such user) or
        ``organization`` (an organisation's login); ``None`` if not recently seen."""
        return self.stores.reports.unknown_user_reason(username)

    def record_view(self, key: ReportKey) -> None:
        """Count a view (pre-warming popularity) and keep the report from housekeeping."""
        self.stores.views.record(str(key))
        self.stores.reports.touch(key)

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except redis.exceptions.RedisError:
            return False

"""What the web layer (and the scheduler) call to get reports generated in the background.

Synchronous on purpose: web routes call it from threadpool endpoints. The job rules (one
atomic claim per report key, lost claims, cancelling) are :mod:`gitbrag.jobs.lifecycle`'s; this
service wires them to the stores and to an enqueue-only broker. Messages for the report actor
carry the report key and a credential *ref*, never a token. Redis failures surface as
:class:`~gitbrag.errors.StoreUnavailable`.
"""

from __future__ import annotations

import functools
import logging
import time

from dramatiq.brokers.redis import RedisBroker
from dramatiq_abort import Abortable
from dramatiq_abort import backends as abort_backends
from dramatiq_abort.middleware import AbortMode

from gitbrag.errors import StoreUnavailable
from gitbrag.jobs.lifecycle import (
    REPORT_QUEUE,
    Job,
    JobLifecycle,
    JobStatus,
    Progress,
)
from gitbrag.report.keys import ReportKey
from gitbrag.settings import Settings
from gitbrag.stores.accounts import AccountStore
from gitbrag.stores.claims import NO_QUOTAS, JobQuotas
from gitbrag.stores.connection import (
    StoreClient,
    abort_namespace,
    broker_namespace,
    connect,
    ping,
    replicated,
    verify_server,
)
from gitbrag.stores.credentials import CredentialRef, CredentialStore
from gitbrag.stores.jobs import JobStore
from gitbrag.stores.reports import ReportStore, StoredReport
from gitbrag.stores.ticks import TickGuard
from gitbrag.stores.token_budget import TokenBudgets
from gitbrag.stores.token_capabilities import TokenCapabilityStore
from gitbrag.stores.views import ViewStore

__all__ = [
    "CredentialRef",
    "Job",
    "JobStatus",
    "Progress",
    "ReportService",
    "StoredReport",
]

log = logging.getLogger(__name__)


class Stores:
    """The stores of one Redis, configured from settings (shared by service and actors)."""

    def __init__(self, client: StoreClient, settings: Settings) -> None:
        self.redis = client
        self.reports = ReportStore(
            client,
            retention_seconds=settings.report_retention_days * 86_400,
            not_found_ttl=settings.not_found_ttl_seconds,
        )
        # Who holds each login: kept as long as the reports it vouches for.
        self.accounts = AccountStore(client, ttl_seconds=settings.report_retention_days * 86_400)
        self.jobs = JobStore(
            client,
            claim_ttl_seconds=settings.job_time_limit_seconds + settings.job_queue_wait_seconds,
            record_ttl_seconds=settings.job_record_ttl_seconds,
        )
        current, *previous = settings.secret_keys()
        self.credentials = CredentialStore(
            client,
            secret_key=current,
            server_token=settings.github_token,
            previous_keys=tuple(previous),
        )
        self.views = ViewStore(client, window_days=settings.prewarm_view_window_days)
        self.ticks = TickGuard(client)
        self.token_budgets = TokenBudgets(
            client, secret_key=settings.resolved_secret_key(), allowance=settings.token_allowance()
        )
        self.token_capabilities = TokenCapabilityStore(client, self.token_budgets.fingerprint)


class ReportService:
    def __init__(self, redis: StoreClient, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.stores = Stores(redis, settings)
        # Enqueue-only broker: no middleware runs at enqueue time, and no worker consumes here;
        # finding dead workers (maintenance) is the workers' business (actors.broker).
        self._broker = RedisBroker(  # type: ignore[no-untyped-call]
            client=redis, namespace=broker_namespace(redis), middleware=[], maintenance_chance=0
        )
        self._broker.declare_queue(REPORT_QUEUE)
        self._abortable = Abortable(
            backend=abort_backends.RedisBackend(client=redis, namespace=abort_namespace(redis))
        )
        self.lifecycle = JobLifecycle(
            self.stores.jobs, enqueue=self._broker.enqueue, abort=self._abort
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportService:
        verify_server(settings)  # refuses a Redis Cluster reached without the cluster form
        return cls(connect(settings), settings)

    def _abort(self, job_id: str) -> None:
        self._abortable.abort(job_id, mode=AbortMode.ABORT)

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

    def job_needs_login_again(self, job: Job) -> bool:
        """The job failed because GitHub rejected its viewer's token (expired or revoked)."""
        if job.status != "failed":
            return False
        credential = self.stores.jobs.credential(job.id)
        return credential is not None and self.credential_is_invalid(CredentialRef(credential))

    def delete_viewer_credentials(
        self, viewer_id: str, *, successor: tuple[str, CredentialRef] | None = None
    ) -> None:
        """Logout (or a new login replacing this session): the viewer's jobs that have not
        started continue with ``successor`` (viewer id, credential: the same person logged in
        again) or with a viewer who joined them, else are cancelled; then the viewer's
        credentials are deleted."""
        usable = functools.partial(self._usable, leaving=viewer_id)
        self.lifecycle.leave(viewer_id, usable=usable, successor=successor)
        self.stores.credentials.delete_viewer(viewer_id)

    def _usable(self, credential: str, *, leaving: str) -> bool:
        owner = self.stores.credentials.viewer_of(credential)
        return owner != leaving and self.stores.credentials.token(credential) is not None

    # ------------------------------------------------------------------ jobs

    def request_report(
        self,
        key: ReportKey,
        credential: CredentialRef,
        *,
        viewer_id: str | None = None,
        quotas: JobQuotas = NO_QUOTAS,
    ) -> Job:
        """The unfinished job for ``key`` (taken over with ``credential`` if it waits on a
        spent token and ours has budget), or a new one within ``quotas`` (claimed
        atomically, then sent). Raises ``QuotaExceeded`` over a limit."""
        job = self.lifecycle.request(
            key,
            str(credential),
            viewer_id=viewer_id,
            quotas=quotas,
            can_take_over=self.can_take_over,
        )
        assert job is not None  # only a seen version can make it None
        # The job and its message are on the replicas before anyone is told the job exists
        # (GITBRAG_REDIS_MIN_REPLICAS): a failover now cannot make it vanish.
        replicated(self.redis)
        return job

    def request_report_seen(
        self,
        key: ReportKey,
        credential: CredentialRef,
        seen_version: str,
        *,
        viewer_id: str | None = None,
        quotas: JobQuotas = NO_QUOTAS,
    ) -> Job | None:
        """:meth:`request_report` for a caller that decided on the stored report version
        ``seen_version`` (``""``: none): ``None`` instead of a new job when another version
        has been stored since (a job finished between the caller's read and this request)."""
        job = self.lifecycle.request(
            key,
            str(credential),
            viewer_id=viewer_id,
            quotas=quotas,
            can_take_over=self.can_take_over,
            seen_version=seen_version,
        )
        replicated(self.redis)  # as in request_report
        return job

    def can_take_over(self, waiting: str, candidate: str) -> bool:
        """Whether ``candidate`` may take over a job waiting on ``waiting``'s rate limit: a
        different token (not the same one under another ref), that decrypts, that GitHub
        has not rejected, and whose shared budget is not known to be spent right now."""
        credentials = self.stores.credentials
        if credentials.is_invalid(candidate):
            return False
        token = credentials.token(candidate)
        if token is None or token == credentials.token(waiting):
            return False
        now = time.time()
        blocked = self.stores.token_budgets.blocked_until(token, now)
        return blocked is None or blocked <= now

    def get_job(self, job_id: str) -> Job | None:
        """The job, as its record says; an active job that lost its claim is reported failed."""
        return self.lifecycle.get(job_id)

    def current_job(self, key: ReportKey) -> Job | None:
        """The queued/running/waiting job generating ``key``, if any."""
        return self.lifecycle.current(key)

    def cancel_job(self, job_id: str) -> Job | None:
        """Cancel a queued job (it never runs) or abort a running one (it stops, ``cancelled``).

        A running job reports ``cancelled`` itself once the abort reaches it (about a second).
        """
        return self.lifecycle.cancel(job_id)

    # ------------------------------------------------------------------ reports

    def get_report(self, key: ReportKey) -> StoredReport | None:
        """The stored report of ``key`` (``None`` when missing, or made for an account that
        no longer holds the login)."""
        return self.stores.reports.get(key)

    def saw_account(self, login: str, account_id: int) -> int:
        """GitHub just said ``login`` is account ``account_id`` (a login, a token check):
        remembered as the login's holder (a change of hands drops the former holder's
        reports). Returns the holder afterwards."""
        return self.stores.accounts.saw(login, account_id)

    def login_holder(self, login: str) -> int | None:
        """The account id GitHub last said holds ``login`` (``None``: not known)."""
        return self.stores.accounts.holder(login)

    def is_unknown_user(self, username: str) -> bool:
        """GitHub recently said this user does not exist (cached for ``not_found_ttl_seconds``)."""
        return self.stores.reports.is_unknown_user(username)

    def ping(self) -> bool:
        """Whether Redis answers (``/readyz``)."""
        try:
            ping(self.redis)
        except StoreUnavailable:
            return False
        return True

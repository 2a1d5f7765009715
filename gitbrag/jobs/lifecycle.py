"""The life of a report-generation job, in one module: its names on the queue, its statuses
and every rule that moves it from one status to the next.

    request ──► queued ──► running ──► done | failed | not_found | cancelled
                  ▲          │  ▲
                  │          ▼  │
                  │   waiting_rate_limit      (retried at GitHub's reset, claim extended)
                  └── requeue                 (GitHub unavailable: retried with backoff)

* **request**: one atomic claim per report key (:meth:`JobStore.claim
  <gitbrag.stores.jobs.JobStore.claim>`), then the message is sent; a message that cannot be
  sent fails its job and frees the claim. Callers that lose the race get the winner's job
  (and are remembered as depending on it). A new job must fit the requester's limits (jobs
  per hour, jobs at once) and the queue cap, or :class:`~gitbrag.errors.QuotaExceeded`
  is raised; joining a job is always free.
* **take over**: a job waiting for its token's rate limit is not held hostage by that
  token: when a requester whose credential has budget asks for the same report, a new job
  with that credential replaces it at once (same claim script, so still one job per key);
  the old one finishes ``cancelled`` with ``superseded_by``, and :meth:`JobLifecycle.get`
  follows that link, so everyone watching the old job sees the new one.
* **hand over**: a viewer who logs out (or whose session is replaced) takes only their own
  jobs with them: a job another viewer joined continues with that viewer's credential.
* **finish**: a finished job never changes again (first writer wins), and every final status
  frees the claim (owner only), so the next request starts a new job.
* **get**: an active job always owns its claim (created together, renewed while running,
  extended while waiting), so an active job whose claim is gone can never finish (its message
  was lost with a wiped Redis, say): it is reported failed (``LOST_JOB``) rather than leaving a
  page to poll "queued" forever.
* **cancel**: a queued or waiting job is cancelled at once (it never runs); a running job is
  aborted (dramatiq-abort) and the worker finishes it as cancelled about a second later.
* **start** (worker): a late or duplicate delivery of a finished job does nothing; a job
  cancelled while queued, or superseded by another job for the same report, finishes as
  cancelled; otherwise it takes its claim back if it expired and runs.

The records and the claim's Lua scripts are :mod:`gitbrag.stores.jobs`; the worker's body is
:mod:`actors.jobs`; how a job looks to people (phase labels, the API's JSON) is
:mod:`web.presenters`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from dramatiq import Message

from gitbrag.errors import QuotaExceeded, StoreUnavailable
from gitbrag.report.keys import ReportKey
from gitbrag.stores.claims import NO_QUOTAS, JobQuotas
from gitbrag.stores.jobs import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    JOB_STATUSES,
    Job,
    JobStatus,
    JobStore,
    Progress,
)

__all__ = [
    "ACTIVE_STATUSES",
    "DRAMATIQ_NAMESPACE",
    "FINISHED_STATUSES",
    "JOB_STATUSES",
    "LOST_JOB",
    "REPORT_ACTOR",
    "REPORT_QUEUE",
    "Job",
    "JobLifecycle",
    "JobStatus",
    "Progress",
]

# Where report jobs travel: the Dramatiq namespace of the broker's Redis keys (under the key
# namespace: gitbrag.stores.connection.broker_namespace), the queue, and the actor that runs
# them (actors.report declares it with these names).
DRAMATIQ_NAMESPACE: Final = "dramatiq"
REPORT_QUEUE: Final = "reports"
REPORT_ACTOR: Final = "generate_report"

LOST_JOB: Final = "This job was lost before it could finish; please try again."
CANCELLED: Final = "Cancelled"
SUPERSEDED: Final = "Superseded by another job for the same report"
TAKEN_OVER: Final = "Continued by a new job with another viewer's GitHub token"
# How many take-overs a watcher's job id is followed through.
_MAX_FOLLOW: Final = 8
ENQUEUE_FAILED: Final = "Could not queue the job"

# Statuses a cancel can end at once: the job is not running anywhere.
_NOT_RUNNING: Final = ("queued", "waiting_rate_limit")


def report_message(key: ReportKey, credential: str) -> Message[None]:
    """The report actor's message for ``key``: JSON-simple, a credential *ref*, never a token.
    Its message id is the job id."""
    return Message(
        queue_name=REPORT_QUEUE,
        actor_name=REPORT_ACTOR,
        args=(),
        kwargs={"key": str(key), "credential": credential},
        options={},
    )


class JobLifecycle:
    """The rules above, over one :class:`~gitbrag.stores.jobs.JobStore`.

    The web side passes ``enqueue`` (send a message) and ``abort`` (abort a running job by
    id); the worker side passes ``on_finish`` (told each final status it wrote, for metrics).
    """

    def __init__(
        self,
        jobs: JobStore,
        *,
        enqueue: Callable[[Message[None]], object] | None = None,
        abort: Callable[[str], None] | None = None,
        on_finish: Callable[[JobStatus], None] | None = None,
    ) -> None:
        self.jobs = jobs
        self._enqueue = enqueue
        self._abort = abort
        self._on_finish = on_finish

    # ------------------------------------------------------------------ requesting side

    def request(
        self,
        key: ReportKey,
        credential: str,
        *,
        viewer_id: str | None = None,
        quotas: JobQuotas = NO_QUOTAS,
        can_take_over: Callable[[str, str], bool] | None = None,
        seen_version: str | None = None,
    ) -> Job | None:
        """The unfinished job for ``key``, or a new one (claimed atomically, then sent).

        ``can_take_over(waiting credential, ours)`` says whether ours is another token that
        can run a job now: then it takes over a job found waiting on its token's reset.
        Raises ``QuotaExceeded`` when a new job would pass ``quotas``. With
        ``seen_version`` (the stored report version the caller decided on, ``""`` for none)
        it returns ``None`` instead of a new job when another version has been stored since:
        the report the caller wanted arrived meanwhile."""
        assert self._enqueue is not None, "this lifecycle cannot send messages"
        take_over: str | None = None
        for _ in range(5):
            message = report_message(key, credential)
            claim = self.jobs.claim(
                str(key),
                message.message_id,
                credential=credential,
                viewer_id=viewer_id,
                quotas=quotas,
                take_over=take_over,
                superseded_message=TAKEN_OVER,
                seen_version=seen_version,
            )
            if claim.changed:
                return None
            if claim.refused:
                quota = {"per_hour": quotas.per_hour, "active": quotas.active}.get(
                    claim.status, quotas.queue
                )
                raise QuotaExceeded(claim.status, claim.retry_after_ms / 1000, quota)
            if claim.created:
                try:
                    self._enqueue(message)
                except Exception:
                    self.finish(claim.job_id, str(key), "failed", ENQUEUE_FAILED)
                    raise
            elif (
                claim.status == "waiting_rate_limit"
                and take_over is None
                and can_take_over is not None
                and claim.credential != credential
                and can_take_over(claim.credential, credential)
            ):
                take_over = claim.job_id  # claim again, replacing exactly that job
                continue
            job = self.jobs.get(claim.job_id)
            if job is not None:
                return job
        # The claimed records vanished five times in a row: Redis is being wiped under us.
        raise StoreUnavailable(f"job records for {key} vanished while claiming")

    def get(self, job_id: str) -> Job | None:
        """The job as its record says, following take-overs to the job that continued it; an
        active job that lost its claim is reported failed."""
        job = self.jobs.get(job_id)
        for _ in range(_MAX_FOLLOW):
            successor = self.jobs.get(job.superseded_by) if job and job.superseded_by else None
            if successor is None:
                break
            job = successor
        if job is None or job.finished or self.jobs.owner(job.report_key) == job.id:
            return job
        self.jobs.finish(job.id, "failed", LOST_JOB)
        return self.jobs.get(job.id)

    def current(self, key: ReportKey) -> Job | None:
        """The queued/running/waiting job generating ``key``, if any."""
        owner = self.jobs.owner(str(key))
        job = self.jobs.get(owner) if owner else None
        return job if job is not None and not job.finished else None

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or waiting job at once, or abort a running one (its worker then
        finishes it as ``cancelled``). A taken-over job id cancels the job that continued it."""
        assert self._abort is not None, "this lifecycle cannot abort jobs"
        job = self.get(job_id)
        if job is None or job.finished:
            return job
        self.jobs.request_cancel(job.id)
        self._abort(job.id)
        if self.jobs.finish(job.id, "cancelled", CANCELLED, allowed_from=_NOT_RUNNING):
            self.jobs.release(job.report_key, job.id)
        return self.jobs.get(job.id)

    def leave(
        self,
        viewer_id: str,
        *,
        usable: Callable[[str], bool],
        successor: tuple[str, str] | None = None,
    ) -> None:
        """``viewer_id``'s credential goes away (logout, or a new login replacing the session).

        Each of their jobs that has not started continues with ``successor`` (viewer id,
        credential: the same person, logged in again) when given, else with the credential
        of a viewer who joined it (one that is still ``usable``); only a job nobody else
        depends on is cancelled. A job handed over while waiting for its token's reset
        resumes then, with the new credential."""
        for job_id in self.jobs.jobs_of_viewer(viewer_id):
            job = self.jobs.get(job_id)
            if job is None or job.status not in _NOT_RUNNING:
                continue
            candidates = [successor] if successor else []
            joiners = self.jobs.claims.joiners(job_id)
            candidates += [(other, ref) for other, ref in joiners.items() if other != viewer_id]
            claims = self.jobs.claims
            if not any(
                usable(credential) and claims.hand_over(job_id, viewer_id, other, credential)
                for other, credential in candidates
            ):
                self.cancel(job_id)

    # ------------------------------------------------------------------ worker side

    def start(self, job_id: str, key_text: str) -> bool:
        """Whether this delivery of ``job_id`` should run now (see the module docstring); the
        job is then ``running``."""
        job = self.jobs.get(job_id)
        if job is None or job.finished:
            return False
        if self.jobs.cancel_requested(job_id):
            self.finish(job_id, key_text, "cancelled", CANCELLED)
            return False
        if not self.jobs.adopt(key_text, job_id):
            self.finish(job_id, key_text, "cancelled", SUPERSEDED)
            return False
        return self.jobs.mark_running(job_id)

    def heartbeat(self, job_id: str, key_text: str, progress: Progress | None) -> bool:
        """Keep a running job's claim and record alive and publish its progress; True when
        the job was cancelled meanwhile."""
        self.jobs.renew(key_text, job_id)
        if progress is not None:
            self.jobs.set_progress(job_id, progress)
        return self.jobs.cancel_requested(job_id)

    def progress(self, job_id: str, progress: Progress) -> None:
        self.jobs.set_progress(job_id, progress)

    def finish(
        self,
        job_id: str,
        key_text: str,
        status: JobStatus,
        error: str | None = None,
        *,
        reason: str | None = None,
    ) -> bool:
        """Move the job to a final status (unless it already has one) and free its claim.
        True when this call finished it. ``reason``: why a ``not_found`` job found no report
        (``NotFound.reason``)."""
        finished = self.jobs.finish(job_id, status, error, reason=reason)
        if finished and self._on_finish is not None:
            self._on_finish(status)
        self.jobs.release(key_text, job_id)
        # A final status lost in a failover would leave the job running forever (its message
        # acknowledged): on the replicas first, or StoreUnavailable and the caller writes it
        # again (GITBRAG_REDIS_MIN_REPLICAS; gitbrag.stores.connection.replicated).
        self.jobs.replicated()
        return finished

    def wait_for_reset(self, job_id: str, key_text: str, retry_at: datetime, delay: float) -> None:
        """GitHub's rate limit is exhausted: the job waits (keeping its claim past the reset)
        and is retried at ``retry_at``, ``delay`` seconds from now."""
        self.jobs.mark_waiting(
            job_id, retry_at, f"GitHub rate limit reached; resuming at {retry_at:%H:%M} UTC"
        )
        self.jobs.renew(key_text, job_id, claim_ttl_ms=self.jobs.claim_ttl_ms + int(delay * 1000))

    def requeue(self, job_id: str, error: str) -> None:
        """A transient failure: back to ``queued`` until the retry runs."""
        self.jobs.requeue(job_id, error)

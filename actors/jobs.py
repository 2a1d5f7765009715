"""Running one report job: the idempotent, at-least-once-safe body of the report actor.

:func:`run_report_job` is what the actor calls. It asks the job lifecycle
(:mod:`gitbrag.jobs.lifecycle`) whether this delivery should run (a late or duplicate delivery of
a finished or superseded job does nothing), runs the async generation on the worker's event
loop while a heartbeat renews the claim, publishes progress and watches for cancellation,
then stores the report and finishes the job. Every path ends with a final status and the
claim released, except rate limits (the job waits, ``waiting_rate_limit``, for the token's
budget to come back, keeping its claim) and GitHub outages (requeued, retried with backoff).

Waiting for GitHub's rate limit spends no Dramatiq retry (retries are for failures): the
message is put back on the queue with a delay to the reset time (``defer``), counting its
waits in a message option of its own, up to ``max_rate_limit_waits``. A job whose token is
known (from the shared per-token budget in Redis) to be spent waits before it sends a single
request; otherwise the GitHub client raises ``RateLimited`` when it finds out.

Whatever the path, the GitHub requests the attempt made are added to the worker metrics
(:mod:`gitbrag.stores.worker_metrics`) for ``/metrics``.

Redis going away (restarted, failed over) never strands a job. A missed heartbeat is skipped
(the claim outlives many of them); a finished generation waits for Redis to answer again to
store its report and final status (``STORE_WAIT_SECONDS``), rather than lose its work; and
anything else the outage interrupts waits the same way, then puts the message back for
another delivery (the broker lives in Redis too, so a retry sent while it is down would be
dropped and the message acknowledged: the job would stay ``running`` until its claim
expired).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol, TypeVar

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware.time_limit import TimeLimitExceeded
from dramatiq_abort import Abort

from gitbrag.errors import (
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    ReportTooLarge,
    StoreUnavailable,
    Unauthorized,
)
from gitbrag.github.cache import ImmutableCache
from gitbrag.jobs.lifecycle import CANCELLED, JobLifecycle, JobStatus, Progress
from gitbrag.jobs.service import Stores
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.settings import Settings, get_settings
from gitbrag.stores.cache import RedisImmutableCache
from gitbrag.stores.connection import connect, wait_until_answers
from gitbrag.stores.reports import PutOutcome
from gitbrag.stores.worker_metrics import WorkerMetricsStore

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
T = TypeVar("T")


class GitHubUsage(Protocol):
    """What a GitHub client reports about its use (``gitbrag.github.client.GitHubClient``)."""

    @property
    def requests_made(self) -> int: ...


class GitHubClients:
    """The GitHub clients one job attempt opened: ``generate`` hands each one to
    :meth:`track`, and the job records their usage when the attempt ends, however it ends
    (their counters are read then, so a failed or interrupted generation counts too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: list[GitHubUsage] = []

    def track(self, client: GitHubUsage) -> None:
        with self._lock:
            self._clients.append(client)

    def record(self, metrics: WorkerMetricsStore) -> None:
        """Add the requests made to ``metrics``."""
        with self._lock:
            clients = list(self._clients)
        metrics.incr_github_requests(sum(client.requests_made for client in clients))


Generate = Callable[
    [ReportKey, str, ProgressCallback, ImmutableCache, GitHubClients], Awaitable[Report]
]
#: Put this job's message back on the queue after ``delay`` ms, spending no retry.
Defer = Callable[[int], None]

HEARTBEAT_SECONDS = 1.0
# How long a job waits for Redis to answer again (a restart, a failover) before giving up.
STORE_WAIT_SECONDS = 300.0
LOGIN_EXPIRED = "Your GitHub login has expired. Log in again to generate this report."
TOKEN_REJECTED = "GitHub rejected the token (invalid, expired or revoked). Log in again."
TOO_LONG = "Generating this report took too long and was stopped."
INTERNAL = "Something went wrong while generating this report."
RATE_LIMIT_STAYED = "GitHub's rate limit stayed exhausted; try again later."
STORE_LOST = "Our storage kept going away while generating this report; please try again."
STORE_NOTES: dict[PutOutcome, str] = {
    PutOutcome.KEPT_COMPLETE: "GitHub returned partial data; the previous complete report was kept",
    PutOutcome.OTHER_HOLDER: (
        "This login passed to another GitHub account while the report was generated; "
        "it was not kept (open the report again for the new account's)"
    ),
}


class JobCancelled(Exception):
    """The job was cancelled while running (seen by the heartbeat)."""


@dataclass
class WorkerContext:
    """Per-process resources: settings, one Redis client, the stores (the per-token GitHub
    budgets among them), the GitHub cache, the worker metrics, and the job lifecycle (which
    counts finished jobs in the metrics)."""

    settings: Settings
    stores: Stores
    cache: RedisImmutableCache
    metrics: WorkerMetricsStore

    @property
    def lifecycle(self) -> JobLifecycle:
        return JobLifecycle(self.stores.jobs, on_finish=self.metrics.incr_jobs_finished)


@lru_cache(maxsize=1)
def worker_context() -> WorkerContext:
    settings = get_settings()
    client = connect(settings)
    return WorkerContext(
        settings, Stores(client, settings), RedisImmutableCache(client), WorkerMetricsStore(client)
    )


class _ProgressBox:
    """The newest progress, written by the collector (event loop), flushed by the heartbeat."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: Progress | None = None
        self._flushed: Progress | None = None

    def update(self, phase: str, done: int, total: int) -> None:
        with self._lock:
            self._latest = Progress(phase, done, total)

    def take(self) -> Progress | None:
        with self._lock:
            if self._latest == self._flushed:
                return None
            self._flushed = self._latest
            return self._latest


def run_report_job(
    ctx: WorkerContext,
    *,
    job_id: str,
    key_text: str,
    credential: str,
    retries: int,
    max_retries: int,
    generate: Generate,
    defer: Defer,
    rate_limit_waits: int = 0,
) -> None:
    """Run job ``job_id`` (report ``key_text``, token behind ``credential``) to a final status,
    or to ``waiting_rate_limit`` (then ``defer`` brings the message back at the reset).

    ``Abort`` and ``TimeLimitExceeded`` are thread interrupts that can land anywhere, so they
    are turned into ``cancelled``/``failed`` (and the claim released) here, then re-raised for
    Dramatiq (the actor lists them in ``throws``: never retried).
    """
    clients = GitHubClients()
    try:
        attempt = _Attempt(retries, max_retries, defer, rate_limit_waits)
        _run(ctx, job_id, key_text, credential, attempt, generate, clients)
    except (Abort, TimeLimitExceeded) as interrupt:
        aborted = isinstance(interrupt, Abort)
        status: JobStatus = "cancelled" if aborted else "failed"
        error = CANCELLED if aborted else TOO_LONG
        when_store_answers(ctx, lambda: ctx.lifecycle.finish(job_id, key_text, status, error))
        raise
    except StoreUnavailable:
        # Redis went away mid-job: once it answers again, this message comes back (a retry
        # sent now would be lost with the broker) and the job runs again.
        log.warning("job %s: Redis is unavailable; retrying once it answers", job_id)
        wait_for_store(ctx)
        if retries >= max_retries:  # a retry now would be dead-lettered, the job left active
            ctx.lifecycle.finish(job_id, key_text, "failed", STORE_LOST)
            return
        raise dramatiq.Retry(delay=random.randint(500, 2000)) from None
    finally:
        with contextlib.suppress(StoreUnavailable):
            clients.record(ctx.metrics)


def wait_for_store(ctx: WorkerContext, timeout: float = STORE_WAIT_SECONDS) -> None:
    """Return once Redis answers PING; ``StoreUnavailable`` after ``timeout`` seconds."""
    wait_until_answers(ctx.stores.redis, timeout)


def when_store_answers(ctx: WorkerContext, write: Callable[[], T]) -> T:
    """``write()``, again once Redis answers if it was away (bounded by ``wait_for_store``)."""
    try:
        return write()
    except StoreUnavailable:
        wait_for_store(ctx)
        return write()


@dataclass(frozen=True)
class _Attempt:
    """This delivery of the job: Dramatiq retries spent, and rate-limit waits so far."""

    retries: int
    max_retries: int
    defer: Defer
    rate_limit_waits: int


def _run(
    ctx: WorkerContext,
    job_id: str,
    key_text: str,
    credential: str,
    attempt: _Attempt,
    generate: Generate,
    clients: GitHubClients,
) -> None:
    stores, lifecycle = ctx.stores, ctx.lifecycle
    if not lifecycle.start(job_id, key_text):
        log.info("job %s is finished, cancelled or superseded; nothing to do", job_id)
        return
    key = ReportKey.parse(key_text)

    def finish(status: JobStatus, error: str | None = None) -> None:
        lifecycle.finish(job_id, key_text, status, error)

    # The record's credential is the current one: a job can change hands before it starts
    # (its viewer logged out and another who asked for it lends theirs).
    credential = stores.jobs.credential(job_id) or credential
    token = stores.credentials.token(credential)
    if token is None:
        finish("failed", LOGIN_EXPIRED)
        return

    def wait_for_github(until: datetime) -> None:
        """Back to the queue until ``until``, spending no retry (or fail: waited too often)."""
        if attempt.rate_limit_waits >= ctx.settings.max_rate_limit_waits:
            finish("failed", RATE_LIMIT_STAYED)
            return
        delay = max(0.0, (until - datetime.now(UTC)).total_seconds()) + random.uniform(0.5, 2.0)
        retry_at = datetime.now(UTC) + timedelta(seconds=delay)
        lifecycle.wait_for_reset(job_id, key_text, retry_at, delay)
        log.info("job %s waits %.0f s for GitHub's rate limit", job_id, delay)
        attempt.defer(int(delay * 1000))

    blocked = ctx.stores.token_budgets.blocked_until(token, datetime.now(UTC).timestamp())
    if blocked is not None and blocked - time.time() > ctx.settings.github_max_wait_seconds:
        wait_for_github(datetime.fromtimestamp(blocked, UTC))  # known spent: send nothing
        return

    progress = _ProgressBox()

    def beat() -> bool:
        """Renew the claim, publish progress; True when the job was cancelled meanwhile. A
        beat Redis misses is skipped: the claim outlives many, the generation goes on."""
        try:
            return lifecycle.heartbeat(job_id, key_text, progress.take())
        except StoreUnavailable:
            return False

    async def supervised() -> Report:
        work = asyncio.ensure_future(generate(key, token, progress.update, ctx.cache, clients))
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=HEARTBEAT_SECONDS)
                if done:
                    return work.result()
                if await asyncio.to_thread(beat):
                    raise JobCancelled
        finally:
            work.cancel()

    loop_thread = get_event_loop_thread()
    if loop_thread is None:
        raise RuntimeError("the AsyncIO middleware is not on the broker")
    # GitHub says whose login this is during the generation (the profile comes first): the
    # report records its account as the login's holder as of this moment, so a newer answer
    # (someone else logged in with the login meanwhile) is not overruled by it.
    seen_at = time.time()
    try:
        report = loop_thread.run_coroutine(supervised())
    except JobCancelled:
        finish("cancelled", CANCELLED)
        return
    except NotFound as exc:
        # No report for this login now (no such user, an organisation's, a private profile):
        # whatever was stored for it goes, so nothing reappears when the marker expires.
        stores.reports.mark_unknown_user(key.username, exc.reason)
        stores.reports.drop_login(key.username, key)
        lifecycle.finish(job_id, key_text, "not_found", str(exc), reason=exc.reason)
        return
    except ReportTooLarge as exc:
        finish("failed", str(exc))
        return
    except Unauthorized:
        stores.credentials.mark_invalid(credential)
        finish("failed", TOKEN_REJECTED)
        return
    except RateLimited as exc:
        wait_for_github(exc.reset_at)
        return
    except StoreUnavailable:
        raise  # the GitHub budget or cache lost Redis: wait for it and run again
    except GitHubUnavailable:
        retries = attempt.retries
        if retries >= attempt.max_retries:
            finish("failed", "GitHub is unavailable right now; try again later.")
            return
        lifecycle.requeue(job_id, "GitHub is having trouble; retrying shortly")
        raise dramatiq.Retry(delay=int(1000 * min(300, 5 * 2**retries))) from None
    except GitHubError as exc:  # permanent (a refusal, a schema the server lacks): say why
        finish("failed", str(exc))
        return
    except Exception:  # interrupts (Abort, TimeLimitExceeded) are BaseExceptions: not here
        log.exception("job %s for %s failed", job_id, key_text)
        finish("failed", INTERNAL)
        return

    # The report is made: if Redis is away now, wait for it rather than lose the work.
    when_store_answers(ctx, lambda: lifecycle.progress(job_id, Progress("build", 1, 1)))
    stored = when_store_answers(ctx, lambda: stores.reports.put(key, report, seen_at=seen_at))
    when_store_answers(ctx, lambda: finish("done", STORE_NOTES.get(stored)))

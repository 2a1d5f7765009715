"""Running one report job: the idempotent, at-least-once-safe body of the report actor.

:func:`run_report_job` is what the actor calls, in three steps:

1. **start**: the job lifecycle (:mod:`gitbrag.jobs.lifecycle`) says whether this delivery
   should run (a late or duplicate delivery of a finished or superseded job does nothing);
   the job runs with its record's credential (a job can change hands before it starts); a
   token known (from the shared per-token budget in Redis) to be spent waits before it sends
   a single request;
2. **generate**: the async generation runs on the worker's event loop while a heartbeat
   renews the claim, publishes progress and watches for cancellation;
3. **store**: the report is stored, and so is the collection it was built from (the next
   generation of the report refreshes from it: ``gitbrag.stores.collections``); the job's
   record says how it was collected (``refresh``, or ``cold`` and why) and the job is
   finished ``done``.

Every exception ends the attempt as the one table of :mod:`actors.outcomes` says: a final
status with the claim released, except rate limits (the job waits, ``waiting_rate_limit``,
for the token's budget to come back, keeping its claim) and GitHub outages (requeued,
retried with backoff). Waiting for GitHub's rate limit spends no Dramatiq retry (retries are
for failures): the message is put back on the queue with a delay to the reset time
(``defer``), counting its waits in a message option of its own, up to
``max_rate_limit_waits``.

Whatever the path, the GitHub requests the attempt made are added to the worker metrics
(:mod:`gitbrag.stores.worker_metrics`) for ``/metrics``.

Redis going away (restarted, failed over) never strands a job. A missed heartbeat is skipped
(the claim outlives many of them); a finished generation waits for Redis to answer again to
store its report and final status (:mod:`actors.worker`), rather than lose its work; and
anything else the outage interrupts waits the same way, then puts the message back for
another delivery (the broker lives in Redis too, so a retry sent while it is down would be
dropped and the message acknowledged: the job would stay ``running`` until its claim
expired).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from dramatiq.asyncio import get_event_loop_thread

from actors.attempt import Attempt, Defer
from actors.outcomes import ANYWHERE, LOGIN_EXPIRED, STORE_NOTES, JobCancelled, end
from actors.worker import GitHubClients, WorkerContext, when_store_answers
from gitbrag.errors import RateLimited, StoreUnavailable
from gitbrag.github.cache import ImmutableCache
from gitbrag.github.progress import ProgressCallback
from gitbrag.jobs.generation import Generation
from gitbrag.jobs.lifecycle import Progress
from gitbrag.report.keys import ReportKey
from gitbrag.stores.collections import encode

log = logging.getLogger(__name__)

Generate = Callable[
    [ReportKey, str, ProgressCallback, ImmutableCache, GitHubClients], Awaitable[Generation]
]

HEARTBEAT_SECONDS = 1.0


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
    attempt = Attempt(
        ctx, job_id, key_text, credential, retries, max_retries, defer, rate_limit_waits
    )
    clients = GitHubClients()
    try:
        token = _start(attempt)
        if token is None:
            return
        generated = _generate(attempt, token, generate, clients)
        if generated is not None:
            _store(attempt, *generated)
    except ANYWHERE as interrupt:
        end(attempt, interrupt)
    finally:
        with contextlib.suppress(StoreUnavailable):
            clients.record(ctx.metrics)


def _start(attempt: Attempt) -> str | None:
    """Mark the job running; the token to generate with, or ``None`` when this delivery has
    nothing more to do (finished elsewhere, no token any more, a spent budget to wait for)."""
    ctx = attempt.ctx
    if not ctx.lifecycle.start(attempt.job_id, attempt.key_text):
        log.info("job %s is finished, cancelled or superseded; nothing to do", attempt.job_id)
        return None
    attempt.key  # noqa: B018  (an unreadable key fails the delivery before any work)
    attempt.credential = ctx.stores.jobs.credential(attempt.job_id) or attempt.credential
    token = ctx.stores.credentials.token(attempt.credential)
    if token is None:
        attempt.finish("failed", LOGIN_EXPIRED)
        return None
    blocked = ctx.stores.token_budgets.blocked_until(token, datetime.now(UTC).timestamp())
    if blocked is not None and blocked - time.time() > ctx.settings.github_max_wait_seconds:
        end(attempt, RateLimited(datetime.fromtimestamp(blocked, UTC)))  # send nothing
        return None
    return token


def _generate(
    attempt: Attempt, token: str, generate: Generate, clients: GitHubClients
) -> tuple[Generation, float] | None:
    """The report, and when GitHub said whose login it is (the report records its account as
    the login's holder as of that moment, so a newer answer is not overruled by it); ``None``
    when the generation raised (the attempt then ended as :mod:`actors.outcomes` says)."""
    ctx, progress = attempt.ctx, _ProgressBox()

    def beat() -> bool:
        """Renew the claim, publish progress; True when the job was cancelled meanwhile. A
        beat Redis misses is skipped: the claim outlives many, the generation goes on."""
        try:
            return ctx.lifecycle.heartbeat(attempt.job_id, attempt.key_text, progress.take())
        except StoreUnavailable:
            return False

    async def supervised() -> Generation:
        work = asyncio.ensure_future(
            generate(attempt.key, token, progress.update, ctx.cache, clients)
        )
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
    seen_at = time.time()  # the profile, naming the login's account, comes first
    try:
        return loop_thread.run_coroutine(supervised()), seen_at
    except ANYWHERE:
        raise  # the attempt's, wherever they land
    except Exception as error:  # the interrupts are BaseExceptions: not here
        end(attempt, error)
        return None


def _store(attempt: Attempt, generation: Generation, seen_at: float) -> None:
    """Store the report and the collection it was built from, say in the job's record how it
    was collected, and finish the job ``done``; if Redis is away now, wait for it rather
    than lose the work. The collection is kept only with a report that was kept."""
    ctx, job_id, key = attempt.ctx, attempt.job_id, attempt.key
    report, snapshot = generation.report, generation.snapshot
    when_store_answers(ctx, lambda: ctx.lifecycle.progress(job_id, Progress("build", 1, 1)))
    how = "refresh" if generation.incremental else "cold"
    when_store_answers(
        ctx, lambda: ctx.stores.jobs.note_collection(job_id, how, generation.cold_reason)
    )
    # Encoded before the report is stored: once it is, the job is done a round trip later
    # (a viewer who sees the report sees the job finished).
    kept = (
        None
        if snapshot is None
        else encode(snapshot, generation.cost, incremental=generation.incremental)
    )
    stored = when_store_answers(ctx, lambda: ctx.stores.reports.put(key, report, seen_at=seen_at))
    if kept is not None and STORE_NOTES.get(stored) is None:
        when_store_answers(ctx, lambda: ctx.collections.put_encoded(key, kept))
    when_store_answers(ctx, lambda: attempt.finish("done", STORE_NOTES.get(stored)))


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

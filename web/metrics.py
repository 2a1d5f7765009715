"""Prometheus metrics of the web process (one registry per app, so tests stay isolated)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from gitbrag.errors import StoreUnavailable
from gitbrag.jobs.lifecycle import FINISHED_STATUSES
from gitbrag.stores.console import QueueState
from gitbrag.stores.job_stats import RUN_BUCKETS, JobStats
from gitbrag.stores.token_budget import BudgetSnapshot
from gitbrag.stores.worker_metrics import WorkerMetrics

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


class JobCollector:
    """Background work as the pipeline left it in Redis, read at scrape time (a few round
    trips, no keyspace scan: ``gitbrag.stores.job_stats``)."""

    def __init__(self, stats: Callable[[], JobStats]) -> None:
        self._stats = stats

    def describe(self) -> Iterator[Metric]:
        yield from self._families(None)

    def collect(self) -> Iterator[Metric]:
        try:
            stats = self._stats()
        except StoreUnavailable:
            return  # gitbrag_redis_up says why
        yield from self._families(stats)

    @staticmethod
    def _families(stats: JobStats | None) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "gitbrag_jobs",
            "Unfinished jobs by status (queued, running, waiting_rate_limit).",
            labels=["status"],
        )
        ended = CounterMetricFamily(
            "gitbrag_jobs_ended",
            "Jobs that reached a final status, by status (workers and web alike).",
            labels=["status"],
        )
        queue = GaugeMetricFamily(
            "gitbrag_queue_messages", "Messages waiting in the report queue.", labels=["kind"]
        )
        runs = HistogramMetricFamily(
            "gitbrag_job_run_seconds", "Run time of finished jobs (started to finished)."
        )
        if stats is not None:
            for status, count in sorted(stats.unfinished.items()):
                jobs.add_metric([status], count)
            counts = {status: 0 for status in FINISHED_STATUSES} | stats.ended
            for status, count in sorted(counts.items()):
                ended.add_metric([status], count)
            queue.add_metric(["ready"], stats.queued_messages)
            queue.add_metric(["delayed"], stats.delayed_messages)
            bounds = [*map(str, RUN_BUCKETS), "+Inf"]
            runs.add_metric([], list(zip(bounds, stats.run_buckets, strict=True)), stats.run_sum)
        yield jobs
        yield ended
        yield queue
        yield runs


class QueueCollector:
    """The gauges an autoscaler scales workers on (KEDA's Prometheus trigger, an HPA on
    external metrics; ``docs/operations.md``), per queue: messages ready, delayed (by kind),
    in flight on live workers, dead-lettered, the age of the oldest ready message, and the
    worker processes alive. A few round trips per scrape (``gitbrag.stores.console``)."""

    def __init__(self, queue: str, state: Callable[[], QueueState]) -> None:
        self._queue = queue
        self._state = state

    def describe(self) -> Iterator[Metric]:
        yield from self._families(None)

    def collect(self) -> Iterator[Metric]:
        try:
            state = self._state()
        except StoreUnavailable:
            return
        yield from self._families(state)

    def _families(self, state: QueueState | None) -> Iterator[Metric]:
        labels = ["queue"]
        ready = GaugeMetricFamily(
            "gitbrag_queue_ready", "Messages ready for a worker (not yet fetched).", labels=labels
        )
        delayed = GaugeMetricFamily(
            "gitbrag_queue_delayed",
            "Delayed messages by kind: limiter (the reported user's slot was taken), "
            "rate_limit (waiting for GitHub's reset), retry, other.",
            labels=[*labels, "kind"],
        )
        in_flight = GaugeMetricFamily(
            "gitbrag_queue_in_flight",
            "Messages fetched by live workers and not yet acknowledged.",
            labels=labels,
        )
        dead = GaugeMetricFamily(
            "gitbrag_queue_dead_letters",
            "Dead-lettered messages kept by the broker.",
            labels=labels,
        )
        oldest = GaugeMetricFamily(
            "gitbrag_queue_oldest_message_age_seconds",
            "Age of the oldest ready message (0 when none waits).",
            labels=labels,
        )
        workers = GaugeMetricFamily(
            "gitbrag_workers_alive", "Worker processes whose heartbeat is recent."
        )
        if state is not None:
            queue = [self._queue]
            ready.add_metric(queue, state.ready)
            for kind, count in sorted(state.delayed_kinds.items()):
                delayed.add_metric([*queue, kind], count)
            in_flight.add_metric(queue, state.in_flight)
            dead.add_metric(queue, state.dead)
            oldest.add_metric(queue, state.oldest_ready_age or 0.0)
            workers.add_metric([], sum(1 for worker in state.workers if worker.alive))
        yield from (ready, delayed, in_flight, dead, oldest, workers)


class ServerBudgetCollector:
    """The server token's GitHub budget (``GITBRAG_GITHUB_TOKEN``), as the workers and the
    scheduler last saw it. Only the server's own token: a viewer's budget is nobody's
    business here."""

    def __init__(self, snapshot: Callable[[float], BudgetSnapshot]) -> None:
        self._snapshot = snapshot

    def describe(self) -> Iterator[Metric]:
        yield from self._families(None, 0.0)

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        try:
            snapshot = self._snapshot(now)
        except StoreUnavailable:
            return
        yield from self._families(snapshot, now)

    @staticmethod
    def _families(snapshot: BudgetSnapshot | None, now: float) -> Iterator[Metric]:
        remaining = GaugeMetricFamily(
            "gitbrag_github_rate_limit_remaining",
            "The server token's GitHub budget left, by resource (graphql, core).",
            labels=["resource"],
        )
        reset = GaugeMetricFamily(
            "gitbrag_github_rate_limit_reset_timestamp_seconds",
            "When that budget resets (Unix time).",
            labels=["resource"],
        )
        if snapshot is not None:
            for resource, (left, reset_at) in sorted(snapshot.resources.items()):
                if reset_at > now:
                    remaining.add_metric([resource], left)
                    reset.add_metric([resource], reset_at)
        yield remaining
        yield reset


class WorkerCollector:
    """What the workers counted in Redis (GitHub requests and budget, limiter waits, finished
    jobs), read at scrape time: the workers serve no HTTP of their own."""

    def __init__(self, snapshot: Callable[[], WorkerMetrics]) -> None:
        self._snapshot = snapshot

    def describe(self) -> Iterator[Metric]:
        yield from self._families(None)

    def collect(self) -> Iterator[Metric]:
        try:
            snapshot = self._snapshot()
        except StoreUnavailable:
            return  # gitbrag_redis_up says why
        yield from self._families(snapshot)

    @staticmethod
    def _families(worker: WorkerMetrics | None) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "gitbrag_github_requests",
            "GitHub API requests made by report jobs (retries included).",
        )
        waits = CounterMetricFamily(
            "gitbrag_limiter_waits",
            "Report messages deferred because their user's concurrency slot was taken.",
        )
        finished = CounterMetricFamily(
            "gitbrag_jobs_finished",
            "Jobs a worker brought to a final status (queued jobs cancelled by the web excluded).",
            labels=["status"],
        )
        if worker is not None:
            requests.add_metric([], worker.github_requests)
            waits.add_metric([], worker.limiter_waits)
            counts = {status: 0 for status in FINISHED_STATUSES} | worker.jobs_finished
            for status, count in sorted(counts.items()):
                finished.add_metric([status], count)
        yield requests
        yield waits
        yield finished


class Metrics:
    def __init__(
        self,
        job_stats: Callable[[], JobStats] | None = None,
        worker_metrics: Callable[[], WorkerMetrics] | None = None,
        server_budget: Callable[[float], BudgetSnapshot] | None = None,
        queue_state: tuple[str, Callable[[], QueueState]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        if queue_state is not None:
            self.registry.register(QueueCollector(*queue_state))
        if job_stats is not None:
            self.registry.register(JobCollector(job_stats))
        if worker_metrics is not None:
            self.registry.register(WorkerCollector(worker_metrics))
        if server_budget is not None:
            self.registry.register(ServerBudgetCollector(server_budget))
        self.requests = Counter(
            "gitbrag_http_requests",
            "HTTP requests served, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "gitbrag_http_request_duration_seconds",
            "Time to produce a response (SSE streams count until their headers).",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.report_lookups = Counter(
            "gitbrag_report_lookups",
            "Report requests by what the cache held: fresh, stale or missing.",
            ["cache"],
            registry=self.registry,
        )
        # Resolved once: these are counted on every report view.
        self.lookup = {
            state: self.report_lookups.labels(state) for state in ("fresh", "stale", "missing")
        }
        self.jobs_requested = Counter(
            "gitbrag_jobs_requested",
            "Generation requests by outcome: new job, an already-running one (dedup hit), or "
            "refused by a limit (refused_per_hour, refused_active, refused_queue).",
            ["outcome"],
            registry=self.registry,
        )
        self.job_states_seen = Counter(
            "gitbrag_job_states_observed",
            "Job states reported to viewers (page, API, SSE).",
            ["status"],
            registry=self.registry,
        )
        self.renders = Counter(
            "gitbrag_renders",
            "Report versions rendered by this process: page bundles, compressed JSON.",
            ["kind"],
            registry=self.registry,
        )
        self.refresh_quota_denied = Counter(
            "gitbrag_refresh_quota_denied",
            "Forced refreshes refused by the per-viewer quota.",
            registry=self.registry,
        )
        self.logins = Counter(
            "gitbrag_logins",
            "OAuth logins by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.redis_up = Gauge(
            "gitbrag_redis_up",
            "1 if the last readiness check reached Redis.",
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "gitbrag_redis_unavailable_responses",
            "Requests answered 503 because Redis was unreachable.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

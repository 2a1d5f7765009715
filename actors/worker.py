"""What a worker process holds for its jobs: settings, one Redis client and the stores, the
GitHub cache, the worker metrics; and how a job waits for Redis to answer again.

Redis going away (restarted, failed over) never strands a job: what must be written (a
finished report, a final status) is written again until it goes through, for up to
``STORE_WAIT_SECONDS``, rather than lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

from gitbrag.errors import StoreUnavailable
from gitbrag.jobs.lifecycle import JobLifecycle
from gitbrag.jobs.service import Stores
from gitbrag.settings import Settings, get_settings
from gitbrag.stores.batch_sizes import BatchSizeStore
from gitbrag.stores.cache import RedisImmutableCache
from gitbrag.stores.collections import CollectionStore
from gitbrag.stores.connection import StoreClient, connect, wait_until_answers
from gitbrag.stores.worker_metrics import WorkerMetricsStore

T = TypeVar("T")

# How long a job waits for Redis to answer again (a restart, a failover) before giving up.
STORE_WAIT_SECONDS = 300.0


@dataclass
class WorkerContext:
    """Per-process resources: settings, one Redis client, the stores (the per-token GitHub
    budgets among them), the GitHub cache, the worker metrics, each report's last collection
    and what GitHub's host takes in a batch (both shared by every worker), and the job
    lifecycle (which counts finished jobs in the metrics)."""

    settings: Settings
    stores: Stores
    cache: RedisImmutableCache
    metrics: WorkerMetricsStore
    collections: CollectionStore
    batch_sizes: BatchSizeStore

    @property
    def lifecycle(self) -> JobLifecycle:
        return JobLifecycle(self.stores.jobs, on_finish=self.metrics.incr_jobs_finished)


@lru_cache(maxsize=1)
def worker_context() -> WorkerContext:
    settings = get_settings()
    client = connect(settings)
    return WorkerContext(
        settings,
        Stores(client, settings),
        RedisImmutableCache(client),
        WorkerMetricsStore(client),
        collections_of(client, settings),
        BatchSizeStore(client),
    )


def collections_of(client: StoreClient, settings: Settings) -> CollectionStore:
    """Each report's last collection, kept as long as reports are."""
    return CollectionStore(client, ttl_seconds=settings.report_retention_days * 86_400)


def wait_for_store(ctx: WorkerContext, timeout: float = STORE_WAIT_SECONDS) -> None:
    """Return once Redis answers PING; ``StoreUnavailable`` after ``timeout`` seconds."""
    wait_until_answers(ctx.stores.redis, timeout)


def when_store_answers(
    ctx: WorkerContext, write: Callable[[], T], timeout: float = STORE_WAIT_SECONDS
) -> T:
    """``write()``, again until it goes through (for up to ``timeout`` seconds, then
    ``StoreUnavailable``). Not once: in a failover Redis answers PING again well before a
    write can be proven safe (``GITBRAG_REDIS_MIN_REPLICAS``: the new primary has no replica
    until the Sentinels finish, about ten seconds), and a job that gave up then would be
    retried through a broker message sent in those same seconds, to a primary that may lose
    it."""
    deadline = time.monotonic() + timeout
    pause = 0.2
    while True:
        try:
            return write()
        except StoreUnavailable:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            wait_for_store(ctx, left)
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(2.0, pause * 2)


class GitHubUsage(Protocol):
    """What a GitHub client reports about its use (``gitbrag.github.client.GitHubClient``)."""

    @property
    def requests_made(self) -> int: ...


class GitHubClients:
    """The GitHub clients one job attempt opened: the generation hands each one to
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

"""What a worker process holds for its jobs: settings, one Redis client and the stores, the
GitHub cache, the worker metrics; and how a job waits for Redis to answer again.

Redis going away (restarted, failed over) never strands a job: what must be written (a
finished report, a final status) is written once Redis answers again, for up to
``STORE_WAIT_SECONDS``, rather than lost.
"""

from __future__ import annotations

import threading
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


def when_store_answers(ctx: WorkerContext, write: Callable[[], T]) -> T:
    """``write()``, again once Redis answers if it was away (bounded by ``wait_for_store``)."""
    try:
        return write()
    except StoreUnavailable:
        wait_for_store(ctx)
        return write()


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

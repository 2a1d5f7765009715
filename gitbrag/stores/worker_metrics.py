"""Counters the workers keep for the web's ``/metrics``: GitHub requests, limiter waits and
finished jobs by status.

Limiter waits and GitHub calls happen in the Dramatiq worker processes, which serve no HTTP,
so they add to one Redis hash, ``gitbrag:worker-metrics``, and every web process reads it at
scrape time. The counters are monotonic and never expire (Prometheus ``_total`` semantics:
they only go back to zero when Redis is wiped, which Prometheus treats as a reset).

No budget is kept here: whose would it be? ``/metrics`` shows the server token's budget from
the shared per-token budgets (:mod:`gitbrag.stores.token_budget`), never a viewer's.

Recording is best effort: a Redis error while recording is logged at debug level and
swallowed, so metrics never fail a job. :meth:`WorkerMetricsStore.snapshot` raises
``StoreUnavailable`` like any store read (the web's collector handles it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, cast

import redis

from gitbrag.errors import StoreUnavailable
from gitbrag.stores.connection import key_prefix
from gitbrag.stores.throughput import record_github_requests

log = logging.getLogger(__name__)

WORKER_METRICS: Final = "worker-metrics"
GITHUB_REQUESTS: Final = "github_requests"
LIMITER_WAITS: Final = "limiter_waits"
JOBS_FINISHED: Final = "jobs_finished:"  # + status


@dataclass(frozen=True, slots=True)
class WorkerMetrics:
    github_requests: int = 0
    limiter_waits: int = 0
    jobs_finished: dict[str, int] = field(default_factory=dict)  # final status -> count


class WorkerMetricsStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._key = key_prefix(client) + WORKER_METRICS

    def incr_github_requests(self, n: int) -> None:
        """Add ``n`` GitHub API requests (retries included); ``n <= 0`` records nothing."""
        if n > 0:
            self._record("GitHub requests", lambda: self._github_requests(n))

    def _github_requests(self, n: int) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.hincrby(self._key, GITHUB_REQUESTS, n)
        record_github_requests(pipe, key_prefix(self._redis), datetime.now(UTC), n)
        pipe.execute()

    def incr_limiter_waits(self) -> None:
        """One message deferred because its reported user's concurrency slot was taken."""
        self._record("a limiter wait", lambda: self._redis.hincrby(self._key, LIMITER_WAITS, 1))

    def incr_jobs_finished(self, status: str) -> None:
        """One job reached the final ``status`` (done, failed, cancelled, not_found)."""
        self._record(
            "a finished job",
            lambda: self._redis.hincrby(self._key, JOBS_FINISHED + status, 1),
        )

    def snapshot(self) -> WorkerMetrics:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._key))
        values = {name.decode(): value.decode() for name, value in raw.items()}
        return WorkerMetrics(
            github_requests=int(values.get(GITHUB_REQUESTS, 0)),
            limiter_waits=int(values.get(LIMITER_WAITS, 0)),
            jobs_finished={
                name.removeprefix(JOBS_FINISHED): int(count)
                for name, count in sorted(values.items())
                if name.startswith(JOBS_FINISHED)
            },
        )

    @staticmethod
    def _record(what: str, write: Callable[[], object]) -> None:
        try:
            write()
        except (StoreUnavailable, redis.exceptions.RedisError):
            log.debug("could not record %s in Redis", what, exc_info=True)

"""Throughput counters for the console's charts, in minute buckets with bounded memory.

One hash per minute, ``gitbrag:throughput:<YYYYmmddHHMM>``, with a few counters: jobs
started, jobs ended by final status, run-time histogram buckets (``job_stats.RUN_BUCKETS``, for
percentiles), GitHub requests, and report views served from the cache or not. Every write
sets the bucket's expiry to ``KEEP_MINUTES``, so at most ``KEEP_MINUTES`` buckets exist and
each holds at most ``len(FIELDS)`` fields: the memory is bounded however many events happen
(``tests/pipeline/test_throughput.py`` counts the keys and bytes after 100,000 events). The
history survives restarts of the web and the workers (it is in Redis).

Writers add to a pipeline they already send (one round trip); recording never fails a job.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix

PREFIX: Final = "throughput:"
KEEP_MINUTES: Final = 6 * 60
RUN_BOUNDS: Final = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0)
STARTED: Final = "started"
ENDED: Final = "ended:"
RUN: Final = "run_le:"
GITHUB: Final = "github_requests"
VIEW_HIT, VIEW_MISS = "view_hit", "view_miss"
FINAL: Final = ("done", "failed", "cancelled", "not_found")
FIELDS: Final = (
    STARTED,
    GITHUB,
    VIEW_HIT,
    VIEW_MISS,
    *(ENDED + status for status in FINAL),
    *(RUN + str(bound) for bound in (*RUN_BOUNDS, "+Inf")),
)


def bucket_key(prefix: str, at: datetime) -> str:
    return f"{prefix}{PREFIX}{at.astimezone(UTC):%Y%m%d%H%M}"


def _add(pipe: redis.client.Pipeline, prefix: str, at: datetime, field: str, n: int) -> None:
    key = bucket_key(prefix, at)
    pipe.hincrby(key, field, n)
    pipe.expire(key, KEEP_MINUTES * 60)


def record_started(pipe: redis.client.Pipeline, prefix: str, at: datetime) -> None:
    _add(pipe, prefix, at, STARTED, 1)


def record_ended(
    pipe: redis.client.Pipeline, prefix: str, at: datetime, status: str, run: float | None
) -> None:
    """A job reached final ``status`` at ``at``, after running ``run`` seconds (if it ran)."""
    if status not in FINAL:
        return
    _add(pipe, prefix, at, ENDED + status, 1)
    if run is not None:
        index = bisect.bisect_left(RUN_BOUNDS, run)
        bound = str(RUN_BOUNDS[index]) if index < len(RUN_BOUNDS) else "+Inf"
        _add(pipe, prefix, at, RUN + bound, 1)


def record_github_requests(pipe: redis.client.Pipeline, prefix: str, at: datetime, n: int) -> None:
    if n > 0:
        _add(pipe, prefix, at, GITHUB, n)


def record_views(
    pipe: redis.client.Pipeline, prefix: str, at: datetime, *, hits: int, misses: int
) -> None:
    """Report views answered from a stored report (``hits``) or not (``misses``)."""
    if hits:
        _add(pipe, prefix, at, VIEW_HIT, hits)
    if misses:
        _add(pipe, prefix, at, VIEW_MISS, misses)


@dataclass(frozen=True, slots=True)
class Minute:
    at: datetime
    counts: dict[str, int]

    def get(self, field: str) -> int:
        return self.counts.get(field, 0)


@dataclass(frozen=True, slots=True)
class Throughput:
    minutes: list[Minute]  # oldest first, one per minute, zeros included

    def series(self, field: str) -> list[int]:
        return [minute.get(field) for minute in self.minutes]

    def total(self, field: str) -> int:
        return sum(self.series(field))

    def run_percentile(self, q: float) -> float | None:
        """The ``q`` quantile (0-1) of run times over the window, as a bucket's upper bound
        (``None``: no job ran; ``inf``: beyond the last bound)."""
        counts = [self.total(RUN + str(bound)) for bound in (*RUN_BOUNDS, "+Inf")]
        total = sum(counts)
        if total == 0:
            return None
        rank, seen = q * total, 0
        for bound, count in zip((*RUN_BOUNDS, float("inf")), counts, strict=True):
            seen += count
            if seen >= rank:
                return bound
        return float("inf")

    def cache_hit_ratio(self) -> float | None:
        hits, misses = self.total(VIEW_HIT), self.total(VIEW_MISS)
        return hits / (hits + misses) if hits + misses else None

    def requests_per_report(self) -> float | None:
        reports = self.total(STARTED)
        return self.total(GITHUB) / reports if reports else None


class ThroughputStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._prefix = key_prefix(client)

    def read(self, now: datetime, minutes: int) -> Throughput:
        """The last ``minutes`` minutes (at most ``KEEP_MINUTES``), one pipelined round trip."""
        minutes = max(1, min(minutes, KEEP_MINUTES))
        start = now.astimezone(UTC).replace(second=0, microsecond=0) - timedelta(
            minutes=minutes - 1
        )
        times = [start + timedelta(minutes=i) for i in range(minutes)]
        pipe = self._redis.pipeline(transaction=False)
        for at in times:
            pipe.hgetall(bucket_key(self._prefix, at))
        rows = cast(list[dict[bytes, bytes]], pipe.execute())
        return Throughput(
            [
                Minute(at, {name.decode(): int(value) for name, value in row.items()})
                for at, row in zip(times, rows, strict=True)
            ]
        )

    def add_github_requests(self, n: int, at: datetime | None = None) -> None:
        pipe = self._redis.pipeline(transaction=False)
        record_github_requests(pipe, self._prefix, at or datetime.now(UTC), n)
        pipe.execute()

    def add_views(self, *, hits: int, misses: int, at: datetime | None = None) -> None:
        pipe = self._redis.pipeline(transaction=False)
        record_views(pipe, self._prefix, at or datetime.now(UTC), hits=hits, misses=misses)
        pipe.execute()

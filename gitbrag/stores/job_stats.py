"""A read-only summary of the background work, for ``/metrics``, without scanning the keyspace:

* unfinished jobs by status: the jobs the queue cap counts (``gitbrag.stores.claims``'s
  index, at most ``max_queued_jobs`` plus any finished since the last prune), one ``HGET``
  each in a pipeline;
* jobs ended by final status and how long they ran: counters every writer of a final status
  adds to (:func:`record_ended`, in ``gitbrag:job-stats``), monotonic like Prometheus
  counters;
* messages waiting in the report queue: ``HLEN`` of Dramatiq's message hashes (its Redis
  layout: ``<namespace>:<queue>.msgs`` and the delay queue's, named by ``dq_name``).

Every scrape costs the same few round trips however many jobs ever ran.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Final, cast

import redis
from dramatiq.common import dq_name

from gitbrag.stores.claims import JOB_RECORD_PREFIX, UNFINISHED
from gitbrag.stores.connection import key_prefix

JOB_STATS: Final = "job-stats"
ENDED: Final = "ended:"  # + final status
RUN_BUCKETS: Final = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0)
RUN_COUNT, RUN_SUM, RUN_BUCKET = "run_count", "run_sum", "run_le:"
ACTIVE: Final = ("queued", "running", "waiting_rate_limit")


@dataclass(frozen=True, slots=True)
class JobStats:
    unfinished: dict[str, int]
    ended: dict[str, int] = field(default_factory=dict)
    # Cumulative counts per bound of RUN_BUCKETS, then +Inf (Prometheus histogram buckets).
    run_buckets: list[int] = field(default_factory=list)
    run_sum: float = 0.0
    queued_messages: int = 0
    delayed_messages: int = 0


def record_ended(
    pipe: redis.client.Pipeline, prefix: str, status: str, run_seconds: float | None
) -> None:
    """Count a job that reached final ``status`` (after ``run_seconds``, if it ran), in the
    pipeline of a client whose :func:`~gitbrag.stores.connection.key_prefix` is ``prefix``."""
    stats = prefix + JOB_STATS
    pipe.hincrby(stats, ENDED + status, 1)
    if run_seconds is not None:
        index = bisect.bisect_left(RUN_BUCKETS, run_seconds)
        bound = str(RUN_BUCKETS[index]) if index < len(RUN_BUCKETS) else "+Inf"
        pipe.hincrby(stats, RUN_BUCKET + bound, 1)
        pipe.hincrby(stats, RUN_COUNT, 1)
        pipe.hincrbyfloat(stats, RUN_SUM, run_seconds)


def job_stats(client: redis.Redis, *, namespace: str, queue: str) -> JobStats:
    """The figures above; ``namespace`` is Dramatiq's *within* the client's key prefix
    (``gitbrag.jobs.lifecycle.DRAMATIQ_NAMESPACE``: the broker's keys are under
    :func:`~gitbrag.stores.connection.broker_namespace`)."""
    prefix = key_prefix(client)
    namespace = prefix + namespace
    first = client.pipeline(transaction=False)
    first.zrange(prefix + UNFINISHED, 0, -1)
    first.hgetall(prefix + JOB_STATS)
    first.hlen(f"{namespace}:{queue}.msgs")
    first.hlen(f"{namespace}:{dq_name(queue)}.msgs")
    ids, raw, queued, delayed = first.execute()
    statuses = client.pipeline(transaction=False)
    for job_id in cast(list[bytes], ids):
        statuses.hget(prefix.encode() + JOB_RECORD_PREFIX.encode() + job_id, "status")
    unfinished: Counter[str] = Counter({status: 0 for status in ACTIVE})
    for status in cast(list[bytes | None], statuses.execute() if ids else []):
        if status is not None and status.decode() in ACTIVE:
            unfinished[status.decode()] += 1
    values = {
        name.decode(): value.decode() for name, value in cast(dict[bytes, bytes], raw).items()
    }
    ended = {
        name.removeprefix(ENDED): int(count)
        for name, count in values.items()
        if name.startswith(ENDED)
    }
    buckets, running_total = [], 0
    for bound in [*map(str, RUN_BUCKETS), "+Inf"]:
        running_total += int(values.get(RUN_BUCKET + bound, 0))
        buckets.append(running_total)
    return JobStats(
        unfinished=dict(unfinished),
        ended=ended,
        run_buckets=buckets,
        run_sum=float(values.get(RUN_SUM, 0.0)),
        queued_messages=int(queued),
        delayed_messages=int(delayed),
    )

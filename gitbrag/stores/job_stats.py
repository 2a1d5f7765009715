"""A read-only summary of the background work, for ``/metrics``: job records by status, how
long finished jobs ran, and how many messages wait in the report queue.

Computed at scrape time from what the pipeline already keeps in Redis (job records live for
``job_record_ttl_seconds``), so every web process reports the same numbers without the
workers exporting anything. The scan is bounded (``limit`` records) to keep a scrape cheap.

The queue depth is read from Dramatiq's Redis layout (``<namespace>:<queue>.msgs`` and the
delay queue's ``.msgs``, named by ``dramatiq.common.dq_name``); the caller names the queue and
namespace, which the job lifecycle declares once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import redis
from dramatiq.common import dq_name

from gitbrag.stores.jobs import JOB_PREFIX, JOB_STATUSES


@dataclass(frozen=True, slots=True)
class JobStats:
    by_status: dict[str, int]
    run_seconds: list[float] = field(default_factory=list)  # finished jobs, started -> finished
    queued_messages: int = 0
    delayed_messages: int = 0
    truncated: bool = False


def _parse(value: bytes | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.decode())
    except ValueError:
        return None


def job_stats(client: redis.Redis, *, namespace: str, queue: str, limit: int = 5000) -> JobStats:
    counts: Counter[str] = Counter({status: 0 for status in JOB_STATUSES})
    durations: list[float] = []
    keys: list[bytes] = []
    truncated = False
    for key in client.scan_iter(match=JOB_PREFIX + "*", count=500):
        if len(keys) >= limit:
            truncated = True
            break
        keys.append(cast(bytes, key))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hmget(key, "status", "started_at", "finished_at")
    for status, started, finished in cast(list[list[bytes | None]], pipe.execute()):
        if status is None:
            continue  # expired between SCAN and HMGET
        counts[status.decode()] += 1
        begin, end = _parse(started), _parse(finished)
        if begin is not None and end is not None and end >= begin:
            durations.append((end - begin).total_seconds())
    depth = client.pipeline(transaction=False)
    depth.hlen(f"{namespace}:{queue}.msgs")
    depth.hlen(f"{namespace}:{dq_name(queue)}.msgs")
    queued, delayed = depth.execute()
    return JobStats(dict(counts), durations, int(queued), int(delayed), truncated)

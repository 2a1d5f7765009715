"""Indexes of finished jobs for the operations console, written where a job reaches its final
status (:meth:`gitbrag.stores.jobs.JobStore.finish`), so the console never scans the keyspace.

    gitbrag:jobs-recent                zset job id → finished ms (all final statuses)
    gitbrag:jobs-recent:<status>       zset job id → finished ms (one per final status)
    gitbrag:jobs-login:<login>         zset job id → finished ms (the reported login, lower case)

Each is capped at ``RECENT_CAP`` members (the oldest go first) and keeps only what finished
within the job record's TTL (older records are gone anyway); a login's index expires with it.
Reads are ``ZREVRANGEBYSCORE`` pages: O(log n + page) whatever the history.
"""

from __future__ import annotations

from typing import Final

import redis

RECENT: Final = "jobs-recent"
LOGIN_PREFIX: Final = "jobs-login:"
RECENT_CAP: Final = 10_000
LOGIN_CAP: Final = 200


def recent_key(prefix: str, status: str | None = None) -> str:
    return prefix + RECENT + (f":{status}" if status else "")


def login_key(prefix: str, login: str) -> str:
    return prefix + LOGIN_PREFIX + login.lower()


def index_finished(
    pipe: redis.client.Pipeline,
    prefix: str,
    job_id: str,
    *,
    status: str,
    login: str,
    finished_ms: int,
    ttl_seconds: int,
) -> None:
    """Add a finished job to the indexes, in ``pipe`` (trimmed in the same round trip)."""
    oldest = finished_ms - ttl_seconds * 1000
    for key, cap in (
        (recent_key(prefix), RECENT_CAP),
        (recent_key(prefix, status), RECENT_CAP),
        (login_key(prefix, login), LOGIN_CAP),
    ):
        pipe.zadd(key, {job_id: finished_ms})
        pipe.zremrangebyscore(key, "-inf", oldest)
        pipe.zremrangebyrank(key, 0, -cap - 1)
    pipe.expire(login_key(prefix, login), ttl_seconds)

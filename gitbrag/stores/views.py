"""Report views, bucketed per UTC day so popularity decays.

``gitbrag:views:<YYYY-MM-DD>`` is a sorted set (report key → views that day) expiring after
the window; ``gitbrag:last-viewed`` (report key → epoch seconds) drives housekeeping.
Popularity is the sum of the window's days weighted by ``decay ** age_in_days``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix

VIEWS_PREFIX: Final = "views:"
LAST_VIEWED: Final = "last-viewed"
SCRATCH_PREFIX: Final = "views-scratch:"


def bucket_key(prefix: str, day: date) -> str:
    """The sorted set counting the views of ``day`` (UTC); ``prefix``: the client's
    :func:`~gitbrag.stores.connection.key_prefix`."""
    return prefix + VIEWS_PREFIX + day.isoformat()


def bucket_ttl_seconds(window_days: int) -> int:
    """A day's bucket outlives the window by a day."""
    return (window_days + 1) * 86_400


@dataclass(frozen=True)
class Popular:
    report_key: str
    views: int  # raw views within the window
    score: float  # decayed popularity


class ViewStore:
    def __init__(self, client: redis.Redis, *, window_days: int = 7, decay: float = 0.7) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self.window_days = window_days
        self.decay = decay

    def _bucket(self, day: date) -> str:
        return bucket_key(self._ns, day)

    def _days(self, now: datetime) -> list[date]:
        today = now.astimezone(UTC).date()
        return [today - timedelta(days=age) for age in range(self.window_days)]

    def record(self, report_key: str, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        bucket = self._bucket(now.astimezone(UTC).date())
        pipe = self._redis.pipeline(transaction=False)
        pipe.zincrby(bucket, 1, report_key)
        pipe.expire(bucket, bucket_ttl_seconds(self.window_days))
        pipe.zadd(self._ns + LAST_VIEWED, {report_key: now.timestamp()})
        pipe.execute()

    def views(self, report_key: str, now: datetime | None = None) -> int:
        pipe = self._redis.pipeline(transaction=False)
        for day in self._days(now or datetime.now(UTC)):
            pipe.zscore(self._bucket(day), report_key)
        return int(sum(score or 0 for score in pipe.execute()))

    def popular(self, limit: int, *, min_views: int, now: datetime | None = None) -> list[Popular]:
        """The ``limit`` most popular report keys with at least ``min_views`` in the window."""
        now = now or datetime.now(UTC)
        days = self._days(now)
        weights = {self._bucket(day): self.decay**age for age, day in enumerate(days)}
        scratch = f"{self._ns}{SCRATCH_PREFIX}{secrets.token_hex(6)}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.zunionstore(scratch, weights)
        pipe.zrevrange(scratch, 0, max(limit * 5, 50) - 1, withscores=True)
        pipe.delete(scratch)
        _, ranked, _ = pipe.execute()
        popular: list[Popular] = []
        for member, score in cast(list[tuple[bytes, float]], ranked):
            key = member.decode()
            views = self.views(key, now)
            if views >= min_views:
                popular.append(Popular(key, views, score))
            if len(popular) >= limit:
                break
        return popular

    def not_viewed_since(self, cutoff: datetime, limit: int = 1000) -> list[str]:
        members = cast(
            list[bytes],
            self._redis.zrangebyscore(
                self._ns + LAST_VIEWED, "-inf", cutoff.timestamp(), start=0, num=limit
            ),
        )
        return [member.decode() for member in members]

    def forget(self, report_keys: list[str]) -> None:
        if report_keys:
            self._redis.zrem(self._ns + LAST_VIEWED, *report_keys)

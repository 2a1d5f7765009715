"""Keeping the per-reported-user concurrency slots of running jobs alive.

The slots themselves are Dramatiq's ``ConcurrentRateLimiter`` counters (on its Redis
backend), keyed by the limiter's key prefix + the reported username. They expire after a
short TTL so a SIGKILLed worker frees its slot; while a holder runs, the limiter middleware
(:mod:`actors.limiter`) pushes that expiry forward here, all keys in one round trip.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis


class LimiterSlots:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def renew(self, keys: Iterable[str], ttl_ms: int) -> None:
        """Set the expiry of every slot key in ``keys`` to ``ttl_ms`` from now."""
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.pexpire(key, ttl_ms)
        pipe.execute()

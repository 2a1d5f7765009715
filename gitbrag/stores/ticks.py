"""Once-per-tick guards for periodic actors.

periodiq has no leader election: with two schedulers running, each tick is sent twice. The
first caller of a tick (actor name + the tick's minute) takes a ``SET NX`` key that expires
after ``ttl_seconds``; every other caller of the same tick is told to do nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import redis

from gitbrag.stores.connection import key_prefix

TICK_PREFIX: Final = "tick:"


class TickGuard:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._ns = key_prefix(client)

    def claim(self, name: str, now: datetime, ttl_seconds: int) -> bool:
        """True for the first caller of this tick of ``name``, False for duplicates."""
        tick = f"{self._ns}{TICK_PREFIX}{name}:{now.astimezone(UTC):%Y%m%d%H%M}"
        return bool(self._redis.set(tick, b"1", nx=True, ex=ttl_seconds))

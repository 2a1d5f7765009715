"""The GitHub data cache on Redis: an :class:`~gitbrag.github.cache.ImmutableCache`.

Entries are JSON under ``gitbrag:gh:<namespace>:<key>`` (``gitbrag:``: the key prefix,
:func:`~gitbrag.stores.connection.key_prefix`) with the TTL the collector asks for.
The collector is async and runs on the worker's event loop; Redis calls go to a thread so a
slow Redis never stalls other jobs' coroutines.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final, cast

import redis

from gitbrag.stores.connection import key_prefix

CACHE_PREFIX: Final = "gh:"


class RedisImmutableCache:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self.hits = 0
        self.misses = 0

    def redis_key(self, namespace: str, key: str) -> str:
        return f"{self._ns}{CACHE_PREFIX}{namespace}:{key}"

    def get_sync(self, namespace: str, key: str) -> Any | None:
        raw = cast(bytes | None, self._redis.get(self.redis_key(namespace, key)))
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(raw)

    def get_many_sync(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        raws = cast(
            list[bytes | None], self._redis.mget([self.redis_key(namespace, k) for k in keys])
        )
        found = {key: json.loads(raw) for key, raw in zip(keys, raws, strict=True) if raw}
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def set_sync(self, namespace: str, key: str, value: Any, ttl_seconds: int) -> None:
        self._redis.set(self.redis_key(namespace, key), json.dumps(value), ex=max(1, ttl_seconds))

    async def get(self, namespace: str, key: str) -> Any | None:
        return await asyncio.to_thread(self.get_sync, namespace, key)

    async def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        return await asyncio.to_thread(self.get_many_sync, namespace, keys)

    async def set(self, namespace: str, key: str, value: Any, ttl_seconds: int) -> None:
        await asyncio.to_thread(self.set_sync, namespace, key, value, ttl_seconds)

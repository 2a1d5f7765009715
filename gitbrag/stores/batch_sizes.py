"""What each GitHub host takes in one batched document, learned by every worker together
(the :class:`~gitbrag.github.batch_sizes.BatchSizes` the GitHub client asks; the policy, pure,
is :class:`~gitbrag.github.batch_sizes.Learned`'s).

``batch-size:<host>:<kind>`` after the namespace (:data:`BATCH_SIZE_PREFIX`), a hash per host
(the GraphQL endpoint's ``host[:port]``) and kind of batch (``files``, ``stars``,
``reviews``): ``nodes``, ``ceiling``, ``ceiling_until`` (epoch seconds), ``streak``. Every
change is read, decided by the policy and written back in one optimistic transaction
(``WATCH``), so two workers learning at once never lose a refusal. A key not updated for
``TTL_SECONDS`` expires: GitHub's limits are learned again from the start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final, cast
from urllib.parse import urlsplit

import redis

from gitbrag.github.batch_sizes import Kind, Learned
from gitbrag.stores.connection import key_prefix

BATCH_SIZE_PREFIX: Final = "batch-size:"
TTL_SECONDS: Final = 7 * 86_400


def host_of(graphql_url: str) -> str:
    """The GitHub host a GraphQL endpoint names (``api.github.com``, ``ghe.example.com``)."""
    return urlsplit(graphql_url).netloc.lower() or graphql_url


class BatchSizeStore:
    """Learned batch sizes of every GitHub host, on one Redis (``for_host`` gives one)."""

    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self._clock = clock

    def for_host(self, graphql_url: str) -> RedisBatchSizes:
        return RedisBatchSizes(self, host_of(graphql_url))

    def learned(self, host: str, kind: Kind) -> Learned:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._ns + _key(host, kind)))
        return _learned(raw)

    def update(self, host: str, kind: Kind, change: Callable[[Learned, float], Learned]) -> Learned:
        """Apply ``change`` (given the learned size and now) atomically: an optimistic
        transaction (``WATCH``, through redis-py's ``transaction``, which Cluster supports
        too), tried again while another worker changes the same size."""
        name = self._ns + _key(host, kind)
        result: list[Learned] = []

        def transaction(pipe: redis.client.Pipeline) -> None:
            current = _learned(cast(dict[bytes, bytes], pipe.hgetall(name)))
            updated = change(current, self._clock())
            pipe.multi()
            pipe.hset(
                name,
                mapping={
                    "nodes": updated.nodes,
                    "ceiling": updated.ceiling if updated.ceiling is not None else "",
                    "ceiling_until": updated.ceiling_until,
                    "streak": updated.streak,
                },
            )
            pipe.expire(name, TTL_SECONDS)
            result[:] = [updated]

        self._redis.transaction(transaction, name)
        return result[0]


class RedisBatchSizes:
    """One host's :class:`~gitbrag.github.batch_sizes.BatchSizes` (calls run in a thread,
    so a slow Redis never stalls the worker's event loop)."""

    def __init__(self, store: BatchSizeStore, host: str) -> None:
        self._store = store
        self.host = host

    async def budget(self, kind: Kind) -> int:
        learned = await asyncio.to_thread(self._store.learned, self.host, kind)
        return learned.nodes

    async def accepted(self, kind: Kind, nodes: int) -> None:
        await asyncio.to_thread(
            self._store.update, self.host, kind, lambda got, now: got.accepted(nodes, now)
        )

    async def refused(self, kind: Kind, nodes: int) -> None:
        await asyncio.to_thread(
            self._store.update, self.host, kind, lambda got, now: got.refused(nodes, now)
        )


def _key(host: str, kind: Kind) -> str:
    return f"{BATCH_SIZE_PREFIX}{host}:{kind}"


def _learned(raw: dict[bytes, bytes]) -> Learned:
    if not raw or b"nodes" not in raw:
        return Learned()
    ceiling = raw.get(b"ceiling") or b""
    return Learned(
        nodes=int(raw[b"nodes"]),
        ceiling=int(ceiling) if ceiling else None,
        ceiling_until=float(raw.get(b"ceiling_until") or 0),
        streak=int(raw.get(b"streak") or 0),
    )

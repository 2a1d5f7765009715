"""Concurrent reads share Redis round trips, without ever answering from an older read.

Under load many views of the same report arrive together. :class:`Coalescer` sends at most
one batch at a time: the queries that arrive while a batch is in flight wait, then go
together (identical ones once) in the next batch. Every answer therefore comes from a read
that *started after* its request arrived, so a report version written before a request
arrives is always the one that request sees ("from the next request on"), while a popular
page costs one Redis call per round trip instead of one per view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from gitbrag.per_loop import PerLoop

Query = TypeVar("Query", bound=Hashable)
Answer = TypeVar("Answer")

Fetch = Callable[[Sequence[Query]], Awaitable[list[Answer]]]


class _Batches(Generic[Query, Answer]):
    """The waiting queries and the batch sender of one event loop."""

    def __init__(self) -> None:
        self.waiting: dict[Query, list[asyncio.Future[Answer]]] = {}
        self.sender: asyncio.Task[None] | None = None


class Coalescer(Generic[Query, Answer]):
    """``await coalescer.get(query)``: the answer of ``fetch([..., query, ...])``.

    ``fetch`` answers a batch of distinct queries in order. At most ``max_batch`` queries go
    in one call; the rest wait for the next. Errors reach every caller of the failed batch.
    """

    def __init__(self, fetch: Fetch[Query, Answer], *, max_batch: int = 64) -> None:
        self._fetch = fetch
        self._max_batch = max_batch
        self._batches: PerLoop[_Batches[Query, Answer]] = PerLoop(_Batches)
        self.batches = 0  # fetch calls made (for tests and metrics)

    async def get(self, query: Query) -> Answer:
        batches = self._batches.get()
        # One future per caller: a caller that goes away cancels only its own.
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        waiters = batches.waiting.get(query)
        if waiters is None:
            batches.waiting[query] = [future]
        else:
            waiters.append(future)
        if batches.sender is None or batches.sender.done():
            batches.sender = asyncio.create_task(self._send(batches))
        return await future

    async def _send(self, batches: _Batches[Query, Answer]) -> None:
        waiting = batches.waiting
        while waiting:
            batch: dict[Query, list[asyncio.Future[Answer]]] = {}
            for query in list(waiting)[: self._max_batch]:
                batch[query] = waiting.pop(query)
            self.batches += 1
            try:
                answers = await self._fetch(list(batch))
            except Exception as exc:
                for waiters in batch.values():
                    for future in waiters:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for waiters, answer in zip(batch.values(), answers, strict=True):
                for future in waiters:
                    if not future.done():
                        future.set_result(answer)

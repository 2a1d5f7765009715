"""Concurrent reads share batches, and no caller is ever answered by a read that started
before it asked (the store's writes are "seen from the next request on").

``fetch`` here is a function the test controls (the coalescer takes any batch reader): each
call records the batch and the "stored version" at the moment the read starts, then waits for
the test to let it finish. No sleeps: every step waits on an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from web.serving.coalesce import Coalescer


class Store:
    """A version that tests bump, read by batches the test releases one at a time."""

    def __init__(self) -> None:
        self.version = 1
        self.batches: list[list[str]] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def fetch(self, queries: Sequence[str]) -> list[tuple[str, int]]:
        version = self.version  # the read "happens" when it starts
        self.batches.append(list(queries))
        self.started.set()
        await self.release.wait()
        self.release.clear()
        return [(query, version) for query in queries]


async def _until(condition: asyncio.Event) -> None:
    await asyncio.wait_for(condition.wait(), timeout=5)
    condition.clear()


def test_callers_during_a_read_wait_for_the_next_one_and_share_it() -> None:
    async def scenario() -> None:
        store = Store()
        coalescer = Coalescer(store.fetch)
        first = asyncio.create_task(coalescer.get("a"))
        await _until(store.started)  # batch 1 is on its way, with version 1
        store.version = 2  # a new report version is written meanwhile
        later = [asyncio.create_task(coalescer.get(q)) for q in ("a", "a", "b")]
        await asyncio.sleep(0)  # let them queue
        store.release.set()
        assert await first == ("a", 1)
        await _until(store.started)  # batch 2: the three that came during batch 1
        store.release.set()
        assert [await task for task in later] == [("a", 2), ("a", 2), ("b", 2)]
        assert store.batches == [["a"], ["a", "b"]]  # identical queries asked once
        assert coalescer.batches == 2

    asyncio.run(scenario())


def test_errors_reach_every_caller_of_the_batch_and_the_next_batch_still_runs() -> None:
    calls: list[list[str]] = []

    async def flaky(queries: Sequence[str]) -> list[str]:
        calls.append(list(queries))
        if len(calls) == 1:
            raise ConnectionError("Redis is down")
        return [query.upper() for query in queries]

    async def scenario() -> None:
        coalescer = Coalescer(flaky)
        results = await asyncio.gather(
            coalescer.get("x"), coalescer.get("y"), return_exceptions=True
        )
        assert all(isinstance(result, ConnectionError) for result in results)
        assert await coalescer.get("z") == "Z"

    asyncio.run(scenario())


def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    async def scenario() -> None:
        store = Store()
        coalescer = Coalescer(store.fetch)
        blocker = asyncio.create_task(coalescer.get("warm-up"))
        await _until(store.started)
        leaving = asyncio.create_task(coalescer.get("a"))
        staying = asyncio.create_task(coalescer.get("a"))
        await asyncio.sleep(0)
        leaving.cancel()
        store.release.set()
        await blocker
        await _until(store.started)
        store.release.set()
        assert await staying == ("a", 1)
        with pytest.raises(asyncio.CancelledError):
            await leaving

    asyncio.run(scenario())


def test_batches_are_capped() -> None:
    seen: list[int] = []

    async def fetch(queries: Sequence[int]) -> list[int]:
        seen.append(len(queries))
        await asyncio.sleep(0)
        return list(queries)

    async def scenario() -> None:
        coalescer = Coalescer(fetch, max_batch=4)
        assert await asyncio.gather(*(coalescer.get(n) for n in range(10))) == list(range(10))

    asyncio.run(scenario())
    assert max(seen) <= 4 and sum(seen) == 10

"""What the refresh keeps in Redis (issue 21): each report's last collection and its cost
(gitbrag.stores.collections), and the batch sizes every worker learns together per GitHub host
(gitbrag.stores.batch_sizes), on a real Redis."""

from __future__ import annotations

import asyncio
import threading
import zlib

import httpx
import redis

from gitbrag.fakehub import FakeHub
from gitbrag.github.batch_sizes import START_NODES
from gitbrag.github.capacity import Cost
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect_snapshot
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import Snapshot
from gitbrag.stores.batch_sizes import BATCH_SIZE_PREFIX, TTL_SECONDS, BatchSizeStore, host_of
from gitbrag.stores.collections import COLLECTION_PREFIX, CollectionStore, expected_refresh

KEY = ReportKey("prolific-bot", DateRange.for_period("all_time"))


def _snapshot(hub: FakeHub, key: ReportKey) -> Snapshot:
    async def scenario() -> Snapshot:
        async with httpx.AsyncClient(timeout=30) as http:
            client = GitHubClient(
                http,
                token=hub.token(key.username),
                api_url=hub.api_url,
                graphql_url=hub.graphql_url,
            )
            return await collect_snapshot(client, key)

    return asyncio.run(scenario())


def test_a_collection_comes_back_as_it_was_kept(redis_client: redis.Redis, hub: FakeHub) -> None:
    store = CollectionStore(redis_client, ttl_seconds=3600)
    snapshot = _snapshot(hub, KEY)
    assert snapshot.left_out and snapshot.collection.reviews is not None  # every part kept
    store.put(KEY, snapshot, Cost(rest=2, points=62), incremental=False)
    assert store.get(KEY) == snapshot
    assert store.get(ReportKey("octocat", KEY.range)) is None
    name = "gitbrag:" + COLLECTION_PREFIX + str(KEY)
    assert 0 < redis_client.ttl(name) <= 3600
    kept = redis_client.hget(name, "snapshot")
    assert isinstance(kept, bytes) and len(kept) * 5 < len(zlib.decompress(kept))  # compressed
    # a cold one is expected to refresh at what a refresh of it asks: the profile, the
    # document, and the open pull requests past it in batches
    expected = expected_refresh(snapshot)
    assert expected.rest == 1 and expected.points > 1
    other = ReportKey("octocat", KEY.range)
    store.put(other, snapshot, Cost(rest=1, points=3), incremental=True)
    assert store.refresh_costs([str(KEY), "nobody:all_time:merged-open", str(other)]) == [
        expected,
        None,
        Cost(1, 3),  # a refresh: what it measured
    ]
    redis_client.hset(name, "format", 99)  # a collection kept in another format
    assert store.get(KEY) is None
    store.delete(str(KEY), str(other))
    assert store.get(other) is None and not redis_client.exists(name)


def test_workers_learn_batch_sizes_together_per_host(redis_client: redis.Redis) -> None:
    one = BatchSizeStore(redis_client, clock=lambda: 100.0).for_host(
        "https://api.github.com/graphql"
    )
    two = BatchSizeStore(redis_client, clock=lambda: 100.0).for_host(
        "https://api.github.com/graphql"
    )
    other = BatchSizeStore(redis_client).for_host("https://ghe.example.com/api/graphql")
    assert host_of("https://ghe.example.com/api/graphql") == "ghe.example.com"
    assert asyncio.run(one.budget("files")) == START_NODES
    asyncio.run(one.refused("files", 4_000))
    assert asyncio.run(two.budget("files")) == 2_000  # what one learned, the other knows
    assert asyncio.run(other.budget("files")) == START_NODES  # another host learns apart
    assert asyncio.run(two.budget("stars")) == START_NODES  # and another kind
    name = f"gitbrag:{BATCH_SIZE_PREFIX}api.github.com:files"
    assert 0 < redis_client.ttl(name) <= TTL_SECONDS


def test_concurrent_lessons_are_never_lost(redis_client: redis.Redis) -> None:
    store = BatchSizeStore(redis_client, clock=lambda: 0.0)
    barrier = threading.Barrier(8)

    def learn(index: int) -> None:
        barrier.wait()
        for _ in range(20):
            if index == 0:
                store.update("h", "files", lambda got, now: got.refused(3_000, now))
            else:
                store.update("h", "files", lambda got, now: got.accepted(got.nodes, now))

    threads = [threading.Thread(target=learn, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    learned = store.learned("h", "files")
    assert learned.ceiling == 3_000 and learned.nodes < 3_000  # the refusal stands

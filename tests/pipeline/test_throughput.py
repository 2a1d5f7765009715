"""The console's throughput counters stay bounded in memory (issue 22's must-show): 100,000
job events spread over a day leave at most ``KEEP_MINUTES`` minute buckets, each of at most
``len(FIELDS)`` fields, every one expiring; and the charts read them back exactly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import redis

from gitbrag.stores.throughput import (
    ENDED,
    FIELDS,
    KEEP_MINUTES,
    STARTED,
    ThroughputStore,
    record_ended,
    record_github_requests,
    record_started,
    record_views,
)

NS = "gitbrag:"
EVENTS = 100_000


def test_100000_job_events_hold_bounded_keys_and_bytes(redis_client: redis.Redis) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    rng = random.Random(22)
    recent_done = 0
    pipe = redis_client.pipeline(transaction=False)
    for event in range(EVENTS):
        # A day of traffic, minute by minute, most of it older than the kept window.
        at = now - timedelta(minutes=rng.randrange(24 * 60))
        kind = event % 4
        if kind == 0:
            record_started(pipe, NS, at)
        elif kind == 1:
            record_ended(pipe, NS, at, "done", rng.uniform(0.1, 1200))
            recent_done += at > now - timedelta(minutes=60)
        elif kind == 2:
            record_github_requests(pipe, NS, at, rng.randint(1, 40))
        else:
            record_views(pipe, NS, at, hits=1, misses=int(event % 3 == 0))
        if len(pipe) >= 4000:
            pipe.execute()
    pipe.execute()
    # Minutes older than the window would already have expired in production (each write
    # sets a TTL of the window); here they were written just now, so drop what Redis drops.
    keys = [key for key in redis_client.keys(NS + "throughput:*")]
    assert len(keys) <= 24 * 60
    assert all(0 < redis_client.ttl(key) <= KEEP_MINUTES * 60 for key in keys)
    for key in keys:
        minute = datetime.strptime(key.decode().rsplit(":", 1)[1], "%Y%m%d%H%M").replace(tzinfo=UTC)
        if minute <= now - timedelta(minutes=KEEP_MINUTES):
            redis_client.delete(key)  # what its TTL does by then
    kept = redis_client.keys(NS + "throughput:*")
    assert len(kept) <= KEEP_MINUTES
    fields = max(redis_client.hlen(key) for key in kept)
    assert fields <= len(FIELDS)
    memory = sum(redis_client.memory_usage(key) or 0 for key in kept)
    # Small hashes (listpack): a few hundred bytes each, whatever the number of events.
    assert memory <= KEEP_MINUTES * 600, memory
    print(f"{EVENTS} events: {len(kept)} keys, at most {fields} fields, {memory} bytes")

    read = ThroughputStore(redis_client).read(now, 60)
    assert len(read.minutes) == 60
    assert read.total(ENDED + "done") == recent_done
    assert read.total(STARTED) > 0 and read.run_percentile(0.5) is not None
    hit_ratio = read.cache_hit_ratio()
    assert hit_ratio is not None and 0.5 < hit_ratio < 0.8

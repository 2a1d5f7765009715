"""gitbrag on a Sentinel-managed primary (``redis+sentinel://``): the stores' clients, sync and
asyncio, follow a failover by themselves, and writes that must survive one wait for the
replica (``GITBRAG_REDIS_MIN_REPLICAS``). The chaos suite runs the whole stack through
planned, crashed and frozen primaries under load (``make chaos``); these are the lean checks.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from gitbrag.errors import StoreUnavailable
from gitbrag.runtime.healthcheck import check_broker
from gitbrag.settings import Settings
from gitbrag.stores.connection import async_connect, connect, replicated, verify_server
from gitbrag.stores.jobs import JobStore
from tests.fixtures.sentinel import SentinelTopology
from tests.harness import wait_for

T = TypeVar("T")


def _settings(topology: SentinelTopology, tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        redis_url=topology.url,
        data_dir=tmp_path,
        redis_namespace="ha",
        redis_min_replicas=1,
        **overrides,  # type: ignore[arg-type]
    )


def _pair_whole(topology: SentinelTopology) -> None:
    """A planned failover promotes the replica: it must have caught up (an operator checks
    the same before running SENTINEL FAILOVER); after an earlier test's failover, the old
    primary takes a few seconds to become the replica."""
    topology.wait_replica_of_primary(topology.replica())


def _once_it_answers(call: Callable[[], T]) -> T:
    """``call()`` as a user retrying after a 503 would: again until Redis answers."""
    answer: list[T] = []

    def attempt() -> bool:
        try:
            answer.append(call())
        except StoreUnavailable:
            return False
        return True

    wait_for(attempt, 30, interval=0.2, what="the store answering again")
    return answer[0]


def test_the_clients_follow_a_planned_failover(
    sentinel_topology: SentinelTopology, tmp_path: Path
) -> None:
    """The stores' sync client (with its Lua scripts) and the web's asyncio client, both made
    before the failover, write to the new primary after it."""
    settings = _settings(sentinel_topology, tmp_path)
    _pair_whole(sentinel_topology)
    info = verify_server(settings)
    assert info is not None and not info.cluster
    assert check_broker(settings) is None  # the healthcheck reaches the primary too
    client = connect(settings)
    jobs = JobStore(client, claim_ttl_seconds=60, record_ttl_seconds=600)
    before = jobs.claim("octocat:2024", "job-before", credential="c")
    assert before.created
    replicated(client)  # the claim is on the replica
    old = sentinel_topology.primary()

    async def scenario() -> bytes | None:
        aclient = async_connect(settings)
        try:
            await aclient.set("ha:probe", b"before")
            await asyncio.to_thread(replicated, client)  # "before" is on the replica too
            await asyncio.to_thread(sentinel_topology.failover)
            await asyncio.to_thread(sentinel_topology.wait_new_primary, old.port)
            for _ in range(150):
                try:
                    await aclient.set("ha:probe-after", b"after")
                    break
                except StoreUnavailable:
                    await asyncio.sleep(0.2)
            return await aclient.get("ha:probe")
        finally:
            await aclient.aclose()

    assert asyncio.run(scenario()) == b"before"
    # The same client and scripts, on the new primary: re-resolved through the Sentinels,
    # scripts loaded again there (NOSCRIPT), the claim made before the failover still there.
    after = _once_it_answers(lambda: jobs.claim("octocat:2025", "job-after", credential="c"))
    assert after.created
    assert jobs.owner("octocat:2024") == "job-before"
    new = sentinel_topology.primary()
    assert new.port != old.port
    on_new = sentinel_topology.client(new)
    assert on_new.get("ha:job-claim:octocat:2025") == b"job-after"
    assert on_new.get("ha:probe-after") == b"after"
    _once_it_answers(lambda: replicated(client))  # a lone new primary is not waited on
    client.close()


def test_a_write_no_replica_has_is_refused_rather_than_acknowledged(
    sentinel_topology: SentinelTopology, tmp_path: Path
) -> None:
    settings = _settings(sentinel_topology, tmp_path, redis_replica_wait_ms=300)
    client = connect(settings)
    _pair_whole(sentinel_topology)
    replicated(client)  # the pair is whole: nothing to wait for
    replica = sentinel_topology.replica()
    replica.signal(signal.SIGSTOP)  # shorter than the Sentinels' down-after: no failover
    try:
        client.set("ha:unreplicated", b"x")
        with pytest.raises(StoreUnavailable, match="0 of 1 replicas"):
            replicated(client)
    finally:
        replica.signal(signal.SIGCONT)
    _once_it_answers(lambda: replicated(client))
    client.close()


def test_a_primary_left_alone_keeps_acknowledging_writes(
    sentinel_topology: SentinelTopology, tmp_path: Path
) -> None:
    """Its replica is gone (not promoted: the Sentinels still name this primary), so nothing
    can be promoted over it: waiting for a replica would only turn every new job into a 503
    until the replica is back."""
    client = connect(_settings(sentinel_topology, tmp_path))
    _pair_whole(sentinel_topology)
    replica = sentinel_topology.replica()
    replica.stop()
    try:
        client.set("ha:alone", b"x")
        replicated(client)
    finally:
        sentinel_topology.restart(replica)
    _pair_whole(sentinel_topology)
    client.close()

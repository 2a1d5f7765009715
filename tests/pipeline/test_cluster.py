"""gitbrag on Redis Cluster (``redis+cluster://``), shown on a loopback cluster of six nodes.

Cluster gives failover, not more room: Dramatiq's Lua scripts (and gitbrag's) build keys
inside themselves, which Cluster allows only within one slot, so every key must share one
hash slot. The namespace must therefore be a hash tag (``{gitbrag}``), which puts all of
gitbrag on one shard; gitbrag refuses to start with any other, and refuses a Cluster reached
as a plain server (its keys would be spread over slots the plain client cannot follow).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gitbrag.errors import ConfigError
from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings
from gitbrag.stores.connection import broker_namespace, connect, verify_server
from tests.fixtures.cluster import RedisCluster
from tests.harness import Worker, test_settings, worker_env
from tests.pipeline.helpers import credential_for, wait_finished


def test_cluster_needs_a_hash_tag_namespace(redis_cluster: RedisCluster) -> None:
    with pytest.raises(
        ValidationError, match=r"hash-tag namespace.*GITBRAG_REDIS_NAMESPACE=\{gitbrag\}"
    ):
        Settings(redis_url=redis_cluster.url)
    with pytest.raises(ValidationError, match="hash-tag"):
        Settings(redis_url=redis_cluster.url, redis_namespace="{}gitbrag")


def test_a_cluster_reached_as_one_server_is_refused(redis_cluster: RedisCluster) -> None:
    with pytest.raises(
        ConfigError, match=r"is a Redis Cluster node: use GITBRAG_REDIS_URL=redis\+cluster"
    ):
        verify_server(Settings(redis_url=redis_cluster.node_url))


def test_a_report_generated_on_the_cluster_keeps_every_key_in_one_slot(
    redis_cluster: RedisCluster, hub: FakeHub, tmp_path: Path
) -> None:
    settings = test_settings(redis_cluster.url, tmp_path, hub=hub, redis_namespace="{gitbrag}")
    info = verify_server(settings)
    assert info is not None and info.cluster
    service = ReportService.from_settings(settings)
    worker = Worker(worker_env(settings), tmp_path / "worker", threads=2).start()
    try:
        key = ReportKey("octocat", DateRange.for_period("1_year"))
        job = service.request_report(key, credential_for(service, hub.token("octocat")))
        (finished,) = wait_finished(service, [job.id], timeout=60)
        assert finished.status == "done", finished.error
        stored = service.get_report(key)
        assert stored is not None and stored.report.username == "octocat"
    finally:
        worker.stop()
        service.redis.close()
    keys = redis_cluster.keys()
    assert any(k.startswith(broker_namespace(connect(settings)).encode()) for k in keys)
    assert keys and all(k.startswith(b"{gitbrag}:") for k in keys), sorted(keys)[:10]
    slots = {
        int(redis_cluster.client(redis_cluster.nodes[0]).execute_command("CLUSTER", "KEYSLOT", k))
        for k in keys
    }
    assert len(slots) == 1  # one slot, so one shard: failover, not more room

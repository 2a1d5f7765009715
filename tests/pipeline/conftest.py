"""Pipeline fixtures: settings and a service on the test Redis, and real worker processes.

Workers are ``dramatiq actors`` (or ``gitbrag worker``) subprocesses from the harness
(:mod:`tests.harness`): their own process group, a temporary working directory, and exactly
the test's settings in a ``GITBRAG_*``-scrubbed environment; every one is killed in teardown.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis
from dramatiq.asyncio import EventLoopThread, set_event_loop_thread

from gitbrag.fakehub import DataSet, FakeHub
from gitbrag.jobs.service import ReportService, Stores
from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.settings import Settings
from gitbrag.stores.batch_sizes import BatchSizeStore
from gitbrag.stores.cache import RedisImmutableCache
from gitbrag.stores.worker_metrics import WorkerMetricsStore
from tests.harness import ROOT, Worker, test_settings, values_in_redis, worker_env

if TYPE_CHECKING:
    from actors.worker import WorkerContext

__all__ = ["ROOT", "Pipeline", "Worker", "pipeline_settings"]

# Importing ``actors`` in this process (pre-warm and middleware tests) builds the StubBroker
# variant; worker subprocesses get exactly their settings (``worker_env``).
os.environ.setdefault("GITBRAG_STUB_BROKER", "1")


@dataclass
class Pipeline:
    settings: Settings
    service: ReportService
    env: dict[str, str]
    tmp: Path
    workers: list[Worker] = field(default_factory=list)

    def start_worker(
        self,
        *,
        threads: int = 8,
        via_gitbrag: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> Worker:
        """``dramatiq actors -p 1 -t N`` (or ``gitbrag worker --processes 1 --threads N``)."""
        env = {**self.env, **(extra_env or {})}
        worker = Worker(env, self.tmp / "workers", threads=threads, via_gitbrag=via_gitbrag)
        self.workers.append(worker)
        return worker.start()


def pipeline_settings(redis_url: str, tmp: Path, **overrides: object) -> Settings:
    return test_settings(redis_url, tmp, **overrides)


TEST_TOKENS = ("ghp_pipeline_test_token_0001", "ghp_limiter")


@pytest.fixture(autouse=True)
def no_plaintext_tokens(fakehub_data: DataSet, redis_server: object) -> Iterator[None]:
    """After every pipeline test, scan all of Redis: no GitHub token may appear in plaintext."""
    yield
    assert isinstance(redis_server, EmbeddedRedis)
    tokens = [token.encode() for token in (*fakehub_data.tokens, *TEST_TOKENS)]
    client = redis.Redis.from_url(redis_server.url)
    try:
        leaks = [key for key, value in values_in_redis(client) if any(t in value for t in tokens)]
    finally:
        client.close()
    assert not leaks, f"plaintext GitHub tokens in Redis keys {sorted(set(leaks))[:5]}"


@pytest.fixture
def pipeline(redis_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    yield from _pipeline(pipeline_settings(redis_url, tmp_path), tmp_path)


@pytest.fixture
def hub_pipeline(redis_url: str, tmp_path: Path, hub: FakeHub) -> Iterator[Pipeline]:
    """A pipeline whose workers talk to the simulated GitHub."""
    yield from _pipeline(test_settings(redis_url, tmp_path, hub=hub), tmp_path)


def _pipeline(settings: Settings, tmp_path: Path) -> Iterator[Pipeline]:
    service = ReportService.from_settings(settings)
    state = Pipeline(settings, service, worker_env(settings), tmp_path)
    try:
        yield state
    finally:
        for worker in state.workers:
            worker.stop()
        service.redis.close()


@pytest.fixture
def job_context(hub_pipeline: Pipeline) -> Iterator[WorkerContext]:
    """A worker's context on the test Redis, and the event-loop thread the AsyncIO
    middleware would start: for running a job's body in this process
    (``tests.pipeline.helpers.run_in_process``)."""
    from actors.worker import WorkerContext, collections_of  # after GITBRAG_STUB_BROKER

    settings, client = hub_pipeline.settings, hub_pipeline.service.redis
    loop = EventLoopThread(logging.getLogger("tests.event_loop"))
    loop.start(timeout=5)
    set_event_loop_thread(loop)
    try:
        yield WorkerContext(
            settings,
            Stores(client, settings),
            RedisImmutableCache(client),
            WorkerMetricsStore(client),
            collections_of(client, settings),
            BatchSizeStore(client),
        )
    finally:
        set_event_loop_thread(None)
        loop.stop()

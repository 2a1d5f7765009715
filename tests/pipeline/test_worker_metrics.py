"""Worker metrics: the store on real Redis, and a real job's GitHub usage on the web's
``/metrics`` (a real worker, the simulated GitHub, the web app in-process)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from gitbrag.errors import StoreUnavailable
from gitbrag.fakehub import FakeHub
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.stores.connection import StoreClient
from gitbrag.stores.worker_metrics import WORKER_METRICS, WorkerMetrics, WorkerMetricsStore
from tests.harness import test_settings
from tests.pipeline.conftest import Pipeline, _pipeline
from tests.pipeline.helpers import scrape_metrics, wait_finished

NS = "gitbrag:"  # the default key namespace (GITBRAG_REDIS_NAMESPACE)


def test_store_round_trip(redis_client: redis.Redis) -> None:
    store = WorkerMetricsStore(redis_client)
    assert store.snapshot() == WorkerMetrics()

    store.incr_github_requests(7)
    store.incr_github_requests(5)
    store.incr_github_requests(0)
    store.incr_limiter_waits()
    store.incr_limiter_waits()
    store.incr_jobs_finished("done")
    store.incr_jobs_finished("done")
    store.incr_jobs_finished("failed")

    assert WorkerMetricsStore(redis_client).snapshot() == WorkerMetrics(
        github_requests=12, limiter_waits=2, jobs_finished={"done": 2, "failed": 1}
    )
    # The counters, and the minute buckets of the console's charts (at most two minutes).
    keys = sorted(key.decode() for key in redis_client.keys("*"))
    assert keys[-1] == NS + WORKER_METRICS
    assert 1 <= len(keys) - 1 <= 2 and all(k.startswith(NS + "throughput:") for k in keys[:-1])


def test_recording_never_raises_when_redis_is_away(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="gitbrag.stores.worker_metrics")
    # Nothing listens on port 1; no retries, so the refusals are immediate.
    unreachable = StoreClient(port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    store = WorkerMetricsStore(unreachable)
    try:
        store.incr_github_requests(3)
        store.incr_limiter_waits()
        store.incr_jobs_finished("done")
        with pytest.raises(StoreUnavailable):
            store.snapshot()  # reads do raise: the web's collector handles it
    finally:
        unreachable.close()
    assert len([r for r in caplog.records if r.getMessage().startswith("could not record")]) == 3


@pytest.fixture
def server_pipeline(redis_url: str, tmp_path: Path, hub: FakeHub) -> Iterator[Pipeline]:
    """Workers whose server token is octocat's (its budget is the one /metrics shows)."""
    settings = test_settings(redis_url, tmp_path, hub=hub, github_token=hub.token("octocat"))
    yield from _pipeline(settings, tmp_path)


def test_a_real_jobs_github_usage_shows_on_the_web_metrics(
    server_pipeline: Pipeline, hub: FakeHub
) -> None:
    token = hub.token("octocat")
    hub.set_budget(token, 4000, reset_in=1800)  # REST and GraphQL
    reset_expected = time.time() + 1800
    server_pipeline.start_worker(threads=2)
    service = server_pipeline.service
    credential = service.server_credential()
    assert credential is not None
    job = service.request_report(ReportKey("octocat", DateRange.for_period("1_year")), credential)

    (done,) = wait_finished(service, [job.id], timeout=30)
    assert done.status == "done", done.error
    requests = hub.request_count()
    assert requests > 0

    metrics = scrape_metrics(server_pipeline.settings)
    assert metrics["gitbrag_github_requests_total"] == requests
    remaining = metrics['gitbrag_github_rate_limit_remaining{resource="graphql"}']
    assert 4000 - requests <= remaining < 4000
    reset = metrics['gitbrag_github_rate_limit_reset_timestamp_seconds{resource="graphql"}']
    assert abs(reset - reset_expected) < 60, datetime.fromtimestamp(reset, UTC)
    assert metrics['gitbrag_jobs_finished_total{status="done"}'] == 1
    assert metrics['gitbrag_jobs_finished_total{status="failed"}'] == 0
    assert metrics['gitbrag_jobs_ended_total{status="done"}'] == 1
    assert metrics["gitbrag_job_run_seconds_count"] == 1
    assert metrics["gitbrag_limiter_waits_total"] == 0  # one job: nobody waited
    assert datetime.fromtimestamp(reset, UTC) - datetime.now(UTC) > timedelta(minutes=25)


def test_a_viewers_budget_never_shows_on_the_metrics(hub_pipeline: Pipeline, hub: FakeHub) -> None:
    """Only the server token's budget is anyone's business on /metrics (none configured)."""
    token = hub.token("octocat")
    hub.set_budget(token, 4000, reset_in=1800)
    hub_pipeline.start_worker(threads=2)
    service = hub_pipeline.service
    credential = service.store_credential(token, viewer_id="v", ttl_seconds=600)
    job = service.request_report(ReportKey("octocat", DateRange.for_period("1_year")), credential)
    (done,) = wait_finished(service, [job.id], timeout=30)
    assert done.status == "done", done.error
    metrics = scrape_metrics(hub_pipeline.settings)
    assert not any(name.startswith("gitbrag_github_rate_limit") for name in metrics)

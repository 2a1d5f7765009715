"""``gitbrag scheduler`` (periodiq) and the pre-warm actor running on a real worker."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.stores.connection import broker_namespace
from tests.pipeline.conftest import Pipeline, _pipeline, pipeline_settings
from tests.pipeline.helpers import record_view, wait_finished, wait_for


def test_scheduler_registers_the_periodic_actors(pipeline: Pipeline, tmp_path: Path) -> None:
    log = tmp_path / "scheduler.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gitbrag", "scheduler"],
            cwd=tmp_path,
            env=pipeline.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    listed = (
        "*/10 * * * *",
        "actors.prewarm:prewarm_popular_reports",
        "actors.prewarm:housekeeping",
    )

    def announced() -> bool:
        assert process.poll() is None, f"the scheduler exited:\n{log.read_text()}"
        return all(part in log.read_text() for part in listed)

    try:
        # periodiq lists its schedule once it has loaded the actors, then keeps running.
        wait_for(announced, timeout=60)
        assert process.poll() is None, "the scheduler exited"
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def server_token_pipeline(redis_url: str, tmp_path: Path, hub: FakeHub) -> Iterator[Pipeline]:
    settings = pipeline_settings(
        redis_url,
        tmp_path,
        github_api_url=hub.api_url,
        github_graphql_url=hub.graphql_url,
        github_token=hub.token("octocat"),
    )
    yield from _pipeline(settings, tmp_path)


def test_prewarm_tick_regenerates_a_popular_report_with_the_server_token(
    server_token_pipeline: Pipeline,
) -> None:
    pipeline = server_token_pipeline
    service: ReportService = pipeline.service
    key = ReportKey("big-diff", DateRange.for_period("1_year"))
    for _ in range(pipeline.settings.prewarm_min_views):
        record_view(service, key)
    pipeline.start_worker()
    tick: Message[None] = Message(
        queue_name="default",
        actor_name="prewarm_popular_reports",
        args=(),
        kwargs={},
        options={"scheduled_at": datetime.now(UTC).isoformat()},
    )
    # What periodiq's scheduler sends at a tick.
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        client=service.redis, namespace=broker_namespace(service.redis), middleware=[]
    )
    broker.enqueue(tick)

    def job_started() -> bool:
        return service.stores.jobs.owner(str(key)) is not None

    wait_for(job_started, timeout=20)
    job_id = service.stores.jobs.owner(str(key))
    assert job_id is not None
    (job,) = wait_finished(service, [job_id], timeout=30)
    assert job.status == "done", job.error
    stored = service.get_report(key)
    assert stored is not None and stored.report.username == "big-diff"
    assert service.stores.jobs.credential(job_id) == "server"

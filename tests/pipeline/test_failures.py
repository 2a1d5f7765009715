"""Failure paths of the report actor on a real worker: GitHub outages and the time limit."""

from __future__ import annotations

from gitbrag.fakehub import FakeHub
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import wait_finished, wait_for

KEY = ReportKey("octocat", DateRange.for_period("1_year"))


def test_github_outage_is_retried_then_the_job_finishes(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    hub_pipeline.start_worker()
    service = hub_pipeline.service
    credential = service.store_credential(hub.token("octocat"), viewer_id=None, ttl_seconds=600)
    hub.faults.inject(*["502"] * 12)  # more than the client's own retries: the profile fails
    job = service.request_report(KEY, credential)

    def requeued() -> bool:
        current = service.get_job(job.id)
        return current is not None and current.status == "queued" and current.error is not None

    wait_for(requeued, timeout=20, interval=0.05)
    (done,) = wait_finished(service, [job.id], timeout=30)
    assert done.status == "done" and done.error is None
    stored = service.get_report(KEY)
    assert stored is not None and stored.complete


def test_time_limit_fails_the_job_without_retry(hub_pipeline: Pipeline, hub: FakeHub) -> None:
    hub_pipeline.start_worker(
        extra_env={"GITBRAG_JOB_TIME_LIMIT_SECONDS": "3", "GITBRAG_HTTP_TIMEOUT_SECONDS": "2.5"}
    )
    hub.faults.configure(latency_ms=1200)
    service = hub_pipeline.service
    credential = service.store_credential(hub.token("octocat"), viewer_id=None, ttl_seconds=600)
    job = service.request_report(KEY, credential)
    (failed,) = wait_finished(service, [job.id], timeout=20)
    assert failed.status == "failed" and failed.error and "too long" in failed.error
    assert failed.finished_at is not None and failed.started_at is not None
    assert (failed.finished_at - failed.started_at).total_seconds() < 6
    assert service.current_job(KEY) is None
    assert service.get_report(KEY) is None
    wait_for(lambda: service.redis.hlen("gitbrag:dramatiq:reports.msgs") == 0, timeout=5)
    assert service.redis.hlen("gitbrag:dramatiq:reports.DQ.msgs") == 0  # not retried

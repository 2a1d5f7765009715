"""Cancelling queued jobs and aborting running ones (dramatiq-abort) on a real worker."""

from __future__ import annotations

import pytest

from gitbrag.fakehub import FakeHub
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import wait_finished, wait_for

KEY = ReportKey("octocat", DateRange.for_period("1_year"))


def _queue_empty(pipeline: Pipeline) -> bool:
    """No report message left, acknowledged or delayed: the worker is done with every message
    (it acknowledges only after the actor returned and Retries had its say)."""
    redis = pipeline.service.redis
    return (
        redis.hlen("gitbrag:dramatiq:reports.msgs") == 0
        and redis.hlen("gitbrag:dramatiq:reports.DQ.msgs") == 0
    )


def test_cancelled_queued_job_never_calls_github(hub_pipeline: Pipeline, hub: FakeHub) -> None:
    service = hub_pipeline.service
    credential = service.store_credential(hub.token("octocat"), viewer_id="v", ttl_seconds=600)
    job = service.request_report(KEY, credential, viewer_id="v")
    cancelled = service.cancel_job(job.id)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.finished
    assert service.current_job(KEY) is None

    hub_pipeline.start_worker()
    wait_for(lambda: _queue_empty(hub_pipeline), timeout=30)
    assert hub.request_count() == 0  # the message was handled without calling GitHub
    after = service.get_job(job.id)
    assert after is not None and after.status == "cancelled" and after.started_at is None

    # The key is free again: a new request starts a new job.
    assert service.request_report(KEY, credential).id != job.id


def test_logout_cancels_the_viewers_queued_jobs(hub_pipeline: Pipeline, hub: FakeHub) -> None:
    service = hub_pipeline.service
    credential = service.store_credential(hub.token("octocat"), viewer_id="v", ttl_seconds=600)
    job = service.request_report(KEY, credential, viewer_id="v")
    service.delete_viewer_credentials("v")
    after = service.get_job(job.id)
    assert after is not None and after.status == "cancelled"
    assert service.stores.credentials.token(credential) is None


def test_aborted_running_job_stops_and_keeps_the_old_report(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    hub_pipeline.start_worker()
    service = hub_pipeline.service
    credential = service.store_credential(hub.token("octocat"), viewer_id="v", ttl_seconds=600)
    (first,) = wait_finished(service, [service.request_report(KEY, credential).id], timeout=30)
    assert first.status == "done"
    previous = service.get_report(KEY)
    assert previous is not None

    hub.faults.configure(latency_ms=1500)  # every request now takes 1.5 s
    hub.reset_counters()
    running = service.request_report(KEY, credential)
    assert running.id != first.id

    def started() -> bool:
        job = service.get_job(running.id)
        return job is not None and job.status == "running" and hub.request_count() > 0

    wait_for(started, timeout=30)
    service.cancel_job(running.id)

    # Only the worker can mark a running job cancelled: the abort reached it, and it stopped
    # before storing a report (the previous one is still there).
    def cancelled() -> bool:
        job = service.get_job(running.id)
        return job is not None and job.status == "cancelled"

    wait_for(cancelled, timeout=30, interval=0.05)
    assert service.get_report(KEY) == previous

    # Not retried: the worker acknowledged the message with no retry scheduled. Dramatiq
    # cancels the collection and waits for it before the actor returns, so no GitHub call
    # can follow the acknowledgement.
    wait_for(lambda: _queue_empty(hub_pipeline), timeout=30)
    final = service.get_job(running.id)
    assert final is not None and final.status == "cancelled"
    kept = service.get_report(KEY)
    assert kept is not None and kept.generated_at == previous.generated_at
    assert service.current_job(KEY) is None
    # The key and the worker are free again: a new job for the report runs to the end.
    hub.faults.configure(latency_ms=0)
    (again,) = wait_finished(service, [service.request_report(KEY, credential).id], timeout=30)
    assert again.status == "done" and again.id != running.id


@pytest.mark.slow
def test_a_running_job_cancelled_as_its_worker_dies_ends_cancelled(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    """The abort never reaches the dead worker; the broker redelivers the message, Abortable
    skips it (cancelled), and the job still ends ``cancelled`` (not ``running`` until its
    claim expires)."""
    hub.faults.configure(latency_ms=400)
    service = hub_pipeline.service
    credential = service.store_credential(hub.token("octocat"), viewer_id="v", ttl_seconds=600)
    first = hub_pipeline.start_worker()
    job = service.request_report(KEY, credential)

    def running() -> bool:
        current = service.get_job(job.id)
        return current is not None and current.status == "running" and hub.request_count() > 0

    wait_for(running, timeout=30)
    first.stop()  # SIGKILL, master and worker process: nothing of the job runs any more
    cancelling = service.cancel_job(job.id)
    assert cancelling is not None and cancelling.status == "running"  # only a worker ends it

    hub_pipeline.start_worker()  # redelivered after the dead worker's heartbeat times out
    (ended,) = wait_finished(service, [job.id], timeout=120)
    assert ended.status == "cancelled", ended.error
    assert service.current_job(KEY) is None  # the claim is free
    assert service.get_report(KEY) is None  # it never ran to the end

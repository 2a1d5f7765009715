"""Per-reported-user limiter: a real worker with 8 threads, real Redis, the simulated GitHub."""

from __future__ import annotations

import itertools
from datetime import timedelta

from gitbrag.fakehub import FakeHub
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import five_keys, scrape_metrics, wait_finished


def test_one_users_jobs_never_overlap_and_start_promptly(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    hub.faults.configure(latency_ms=60)  # each report takes about a second
    worker = hub_pipeline.start_worker(threads=8)
    service = hub_pipeline.service
    credential = service.store_credential(hub.token("octocat"), viewer_id=None, ttl_seconds=600)

    same_user = [service.request_report(key, credential) for key in five_keys("octocat")]
    other_key = ReportKey("big-diff", DateRange.for_period("5_years"))
    other_user = service.request_report(other_key, credential)

    jobs = wait_finished(service, [job.id for job in [*same_user, other_user]], timeout=90)
    assert [job.status for job in jobs] == ["done"] * 6, [job.error for job in jobs]
    octocat = sorted(jobs[:5], key=lambda job: job.started_at or job.created_at)
    gaps = []
    for previous, current in itertools.pairwise(octocat):
        assert previous.finished_at is not None and current.started_at is not None
        assert current.started_at >= previous.finished_at, "two jobs for one user overlapped"
        gaps.append(current.started_at - previous.finished_at)
    assert max(gaps) < timedelta(seconds=5), gaps

    other = jobs[5]
    assert other.started_at is not None and other.finished_at is not None
    overlapping = [
        job
        for job in octocat
        if job.started_at is not None
        and job.finished_at is not None
        and job.started_at < other.finished_at
        and other.started_at < job.finished_at
    ]
    assert overlapping, "jobs for different users should run in parallel"
    assert "was skipped" not in worker.log()  # deferrals are routine, not warnings

    # The web's /metrics counts the deferrals and every GitHub request of the six jobs.
    metrics = scrape_metrics(hub_pipeline.settings)
    assert metrics["gitbrag_limiter_waits_total"] >= 1
    assert metrics["gitbrag_github_requests_total"] == hub.request_count()
    assert metrics['gitbrag_jobs_finished_total{status="done"}'] == 6

"""The real report actor on a real worker against the simulated GitHub."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import CredentialRef, Job
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.stores.cache import CACHE_PREFIX
from gitbrag.stores.collections import COLLECTION_PREFIX
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import wait_finished, wait_for
from web.presenters.jobs import job_api

NS = "gitbrag:"  # the default key namespace (GITBRAG_REDIS_NAMESPACE)

ONE_YEAR = DateRange.for_period("1_year")


def _viewer(hub: FakeHub, pipeline: Pipeline, login: str = "octocat") -> CredentialRef:
    return pipeline.service.store_credential(hub.token(login), viewer_id=login, ttl_seconds=600)


def test_generates_and_stores_a_report_with_progress(hub_pipeline: Pipeline, hub: FakeHub) -> None:
    hub_pipeline.start_worker()
    service = hub_pipeline.service
    key = ReportKey("Octocat", ONE_YEAR)
    job = service.request_report(key, _viewer(hub, hub_pipeline), viewer_id="octocat")
    assert job.status == "queued" and job.report_key == str(key)

    (done,) = wait_finished(service, [job.id], timeout=30)
    assert done.status == "done", done.error
    assert done.started_at is not None and done.finished_at is not None
    assert done.progress is not None and done.progress.phase == "build"
    stored = service.get_report(key)
    assert stored is not None and stored.complete
    assert stored.report.username == "octocat" and stored.report.totals.pull_requests > 0
    assert stored.age_seconds() < 60
    assert service.current_job(key) is None


def test_two_hundred_concurrent_requests_start_one_generation(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    service = hub_pipeline.service
    key = ReportKey("octocat", ONE_YEAR)
    credential = _viewer(hub, hub_pipeline)
    jobs: list[Job] = []
    lock = threading.Lock()
    barrier = threading.Barrier(200)

    def request() -> None:
        barrier.wait()
        job = service.request_report(key, credential)
        with lock:
            jobs.append(job)

    threads = [threading.Thread(target=request) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(jobs) == 200 and len({job.id for job in jobs}) == 1
    assert service.redis.hlen("gitbrag:dramatiq:reports.msgs") == 1  # exactly one message sent

    hub_pipeline.start_worker()
    (first,) = wait_finished(service, [jobs[0].id], timeout=30)
    assert first.status == "done", first.error
    deduplicated = hub.request_count()

    # One report's worth: the same report generated alone, from a cold GitHub cache and
    # nothing kept to refresh from.
    for cached in service.redis.scan_iter(f"{NS + CACHE_PREFIX}*"):
        service.redis.delete(cached)
    service.redis.delete(NS + COLLECTION_PREFIX + str(key))
    hub.reset_counters()
    (alone,) = wait_finished(service, [service.request_report(key, credential).id], timeout=30)
    assert alone.status == "done" and alone.id != first.id
    assert (first.collected, alone.collected) == ("cold", "cold")
    assert deduplicated == hub.request_count() > 0


def test_second_period_costs_at_most_half_the_requests(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    hub_pipeline.start_worker()
    service = hub_pipeline.service
    credential = _viewer(hub, hub_pipeline)

    def cost(key: ReportKey) -> int:
        before = hub.request_count()
        (job,) = wait_finished(service, [service.request_report(key, credential).id], timeout=30)
        assert job.status == "done", job.error
        return hub.request_count() - before

    first = cost(ReportKey("octocat", DateRange.for_period("2_years")))
    second = cost(ReportKey("octocat", DateRange.for_period("1_year")))
    assert second * 2 <= first, (first, second)


def test_unknown_user_is_not_found_and_remembered(hub_pipeline: Pipeline, hub: FakeHub) -> None:
    hub_pipeline.start_worker()
    service = hub_pipeline.service
    key = ReportKey("no-such-user-here", ONE_YEAR)
    credential = _viewer(hub, hub_pipeline)
    (job,) = wait_finished(service, [service.request_report(key, credential).id], timeout=30)
    assert job.status == "not_found"
    assert service.is_unknown_user("No-Such-User-Here")
    assert service.get_report(key) is None


def test_revoked_token_fails_without_retry_and_marks_the_credential(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    hub_pipeline.start_worker()
    service = hub_pipeline.service
    credential = _viewer(hub, hub_pipeline)
    hub.revoke(hub.token("octocat"))
    key = ReportKey("octocat", ONE_YEAR)
    (job,) = wait_finished(service, [service.request_report(key, credential).id], timeout=30)
    assert job.status == "failed" and job.error and "log in" in job.error.lower()
    assert service.credential_is_invalid(credential)
    calls = hub.request_count()
    wait_for(lambda: service.redis.hlen("gitbrag:dramatiq:reports.msgs") == 0, timeout=5)
    assert hub.request_count() == calls, "a 401 must not be retried"


def test_exhausted_budget_waits_for_the_reset_then_finishes(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    # Waits longer than a second go back to the queue instead of being slept through.
    hub_pipeline.start_worker(extra_env={"GITBRAG_GITHUB_MAX_WAIT_SECONDS": "1"})
    service = hub_pipeline.service
    hub.set_budget(hub.token("octocat"), remaining=0, reset_in=4)
    job = service.request_report(ReportKey("octocat", ONE_YEAR), _viewer(hub, hub_pipeline))

    def status_is(expected: str) -> Callable[[], bool]:
        def check() -> bool:
            current = service.get_job(job.id)
            return current is not None and current.status == expected

        return check

    wait_for(status_is("waiting_rate_limit"), timeout=20)
    waiting = service.get_job(job.id)
    assert waiting is not None and waiting.retry_at is not None
    assert waiting.retry_at - datetime.now(UTC) < timedelta(seconds=10)
    assert job_api(waiting)["retry_at"] == waiting.retry_at.isoformat()
    # Deduplication holds while waiting.
    again = service.request_report(ReportKey("octocat", ONE_YEAR), _viewer(hub, hub_pipeline))
    assert again.id == job.id
    (done,) = wait_finished(service, [job.id], timeout=30)
    assert done.status == "done", done.error

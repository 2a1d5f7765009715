"""One GitHub token shared by several processes (issue 10's "must show"): real worker
processes, the scheduler's pre-warming, the simulated GitHub counting what arrives."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from actors.prewarm import prewarm_once
from gitbrag.fakehub import FakeHub
from gitbrag.github.budget import Seen
from gitbrag.jobs.service import Job
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.pipeline.conftest import Pipeline, _pipeline, pipeline_settings
from tests.pipeline.helpers import record_view, wait_finished, wait_for

ONE_YEAR = DateRange.for_period("1_year")
IN_FLIGHT = 2


@pytest.fixture
def server_pipeline(redis_url: str, tmp_path: Path, hub: FakeHub) -> Iterator[Pipeline]:
    """Workers and a scheduler whose server token is octocat's, at most 2 requests in flight."""
    settings = pipeline_settings(
        redis_url,
        tmp_path,
        github_api_url=hub.api_url,
        github_graphql_url=hub.graphql_url,
        github_token=hub.token("octocat"),
        github_max_in_flight=IN_FLIGHT,
        prewarm_min_views=1,
    )
    yield from _pipeline(settings, tmp_path)


def _overlapping(jobs: list[Job]) -> int:
    pairs = 0
    for a, b in itertools.combinations(jobs, 2):
        assert a.started_at and a.finished_at and b.started_at and b.finished_at
        pairs += a.started_at < b.finished_at and b.started_at < a.finished_at
    return pairs


def test_workers_and_scheduler_sharing_a_token_keep_its_in_flight_limit(
    server_pipeline: Pipeline, hub: FakeHub
) -> None:
    env = {"GITBRAG_GITHUB_MAX_IN_FLIGHT": str(IN_FLIGHT)}
    server_pipeline.start_worker(extra_env=env)
    server_pipeline.start_worker(extra_env=env)
    hub.faults.configure(latency_ms=15)  # answers take a moment: requests pile up
    service, settings = server_pipeline.service, server_pipeline.settings
    credential = service.server_credential()
    assert credential is not None
    users = ("octocat", "Mixed-Case-Dev", "big-diff", "private-eye", "giant-diff", "artur-")
    jobs = [service.request_report(ReportKey(user, ONE_YEAR), credential) for user in users]
    # The scheduler pre-warms two popular reports with the same token meanwhile.
    for user in ("star-gazer", "gil--dev"):
        record_view(service, ReportKey(user, DateRange.for_period("all_time")))
    sent = prewarm_once(service, settings)
    assert len(sent) == 2
    jobs += [job for key in sent if (job := service.current_job(ReportKey.parse(key)))]

    finished = wait_finished(service, [job.id for job in jobs], timeout=120)
    assert [job.status for job in finished] == ["done"] * len(finished)
    assert len(finished) == 8
    assert _overlapping(finished) > 0  # jobs really ran at the same time
    assert hub.max_in_flight(hub.token("octocat")) == IN_FLIGHT  # reached, never passed
    # What GitHub said of the token's budget is shared state now, for the next tick.
    snapshot = service.stores.token_budgets.snapshot(settings.github_token or "", 0)
    assert snapshot.resources["graphql"][0] < 5000


def test_a_spent_token_waits_without_retries_while_another_viewers_job_proceeds(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    # No retries at all: only a wait that spends none can let the job finish.
    hub_pipeline.start_worker(
        extra_env={"GITBRAG_MAX_RETRIES": "0", "GITBRAG_GITHUB_MAX_WAIT_SECONDS": "1"}
    )
    service = hub_pipeline.service
    spent, fine = hub.token("star-gazer"), hub.token("big-diff")
    hub.set_budget(spent, remaining=0, reset_in=8)
    spent_ref = service.store_credential(spent, viewer_id="star-gazer", ttl_seconds=600)
    fine_ref = service.store_credential(fine, viewer_id="big-diff", ttl_seconds=600)

    def status(job: Job) -> str:
        current = service.get_job(job.id)
        assert current is not None
        return current.status

    waiting = service.request_report(ReportKey("star-gazer", ONE_YEAR), spent_ref)
    wait_for(lambda: status(waiting) == "waiting_rate_limit", timeout=20)

    other = service.request_report(ReportKey("big-diff", ONE_YEAR), fine_ref)
    (done,) = wait_finished(service, [other.id], timeout=30)
    assert done.status == "done"
    assert status(waiting) == "waiting_rate_limit"

    # The token is known to be spent: a second job with it waits without asking GitHub.
    before = hub.request_count()
    second = service.request_report(ReportKey("octocat", ONE_YEAR), spent_ref)
    wait_for(lambda: status(second) == "waiting_rate_limit", timeout=20)
    assert hub.request_count() == before

    resumed = wait_finished(service, [waiting.id, second.id], timeout=60)
    assert [job.status for job in resumed] == ["done", "done"], [j.error for j in resumed]
    assert service.redis.hlen("gitbrag:dramatiq:reports.DQ.msgs") == 0  # nothing dead-lettered


def test_prewarming_with_the_budget_nearly_spent_sends_nothing_and_says_why(
    server_pipeline: Pipeline, hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    service, settings = server_pipeline.service, server_pipeline.settings
    token = settings.github_token or ""
    key = ReportKey("octocat", DateRange.for_period("all_time"))
    record_view(service, key)
    now = datetime.now(UTC)
    budget = service.stores.token_budgets.for_token(token)

    asyncio.run(budget.observe(Seen("graphql", 120, now.timestamp() + 1800)))
    caplog.set_level(logging.INFO, logger="actors.prewarm")
    assert prewarm_once(service, settings, now) == []
    assert "needs about 50 GitHub requests" in caplog.text
    assert "may spend 12 more of the server token's budget" in caplog.text
    assert service.current_job(key) is None

    caplog.clear()
    asyncio.run(budget.pause(now.timestamp() + 120))  # a secondary limit: nothing at all
    assert prewarm_once(service, settings, now) == []
    assert "the server token is rate limited until" in caplog.text

    # With most of the budget left, the same tick sends the report.
    asyncio.run(budget.observe(Seen("graphql", 4800, now.timestamp() + 3600)))
    later = now.timestamp() + 121
    assert prewarm_once(service, settings, datetime.fromtimestamp(later, UTC)) == [str(key)]

"""Pre-warming and housekeeping decisions (the periodic actors' bodies) on a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import actors.prewarm as actors_prewarm
from actors.prewarm import claim_tick, housekeep_once, prewarm_once
from gitbrag.github.capacity import Cost
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings
from gitbrag.stores.collections import COLLECTION_PREFIX
from gitbrag.stores.connection import key_prefix
from tests.pipeline.conftest import pipeline_settings
from tests.pipeline.helpers import record_view
from tests.pipeline.reports_for_tests import empty_report

SERVER_TOKEN = "ghp_pipeline_test_token_0001"
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _now() -> None:
    """``NOW`` when each test starts: views are recorded by the clock, so a ``NOW`` taken
    when the module was imported, minutes earlier, can fall on the day before midnight."""
    global NOW
    NOW = datetime.now(UTC)


def _key(username: str) -> ReportKey:
    return ReportKey(username, DateRange.for_period("1_year", NOW.date()))


@pytest.fixture
def settings(redis_url: str, tmp_path: Path) -> Settings:
    return pipeline_settings(
        redis_url,
        tmp_path,
        github_token=SERVER_TOKEN,
        prewarm_top_k=10,
        prewarm_min_views=3,
        prewarm_budget_requests=1000,
        prewarm_estimated_requests_per_report=100,
        report_fresh_seconds=86_400,
    )


@pytest.fixture
def service(settings: Settings) -> Iterator[ReportService]:
    service = ReportService.from_settings(settings)
    yield service
    service.redis.close()


def _views(service: ReportService, key: ReportKey, count: int) -> None:
    for _ in range(count):
        record_view(service, key)


def test_prewarm_sends_only_popular_reports_that_turn_stale(
    service: ReportService, settings: Settings
) -> None:
    missing, stale, fresh, unpopular = (
        _key(name) for name in ("missing", "stale", "fresh", "rare")
    )
    service.stores.reports.put(
        stale, empty_report(stale, generated_at=NOW - timedelta(hours=23, minutes=55))
    )
    service.stores.reports.put(fresh, empty_report(fresh, generated_at=NOW - timedelta(hours=1)))
    _views(service, missing, 4)
    _views(service, stale, 6)
    _views(service, fresh, 9)
    _views(service, unpopular, 2)

    sent = prewarm_once(service, settings, NOW)
    assert sent == [str(stale), str(missing)]  # most popular first
    for key in (stale, missing):
        job = service.current_job(key)
        assert job is not None and job.status == "queued"
    assert service.current_job(fresh) is None and service.current_job(unpopular) is None
    assert service.redis.hlen("gitbrag:dramatiq:reports.msgs") == 2
    # Deduplication applies: the next tick finds the jobs and sends nothing new.
    assert prewarm_once(service, settings, NOW) == []


def test_prewarm_respects_the_request_budget(service: ReportService, settings: Settings) -> None:
    for name, count in (("alpha", 9), ("beta", 7), ("gamma", 5)):
        _views(service, _key(name), count)
    tight = settings.model_copy(update={"prewarm_budget_requests": 250})
    assert prewarm_once(service, tight, NOW) == [str(_key("alpha")), str(_key("beta"))]


def test_prewarm_needs_the_server_token(redis_url: str, tmp_path: Path) -> None:
    settings = pipeline_settings(redis_url, tmp_path)
    service = ReportService.from_settings(settings)
    _views(service, _key("alpha"), 9)
    assert prewarm_once(service, settings, NOW) == []


def test_each_tick_runs_once_even_with_two_schedulers(service: ReportService) -> None:
    tick = datetime(2026, 11, 29, 12, 10, 3, tzinfo=UTC)
    assert claim_tick(service, "prewarm", tick, 600)
    assert not claim_tick(service, "prewarm", tick + timedelta(seconds=20), 600)
    assert claim_tick(service, "prewarm", tick + timedelta(minutes=10), 600)


def test_housekeeping_drops_reports_nobody_viewed_for_long(
    service: ReportService, settings: Settings
) -> None:
    forgotten, popular = _key("forgotten"), _key("popular")
    for key in (forgotten, popular):
        service.stores.reports.put(key, empty_report(key))
    long_ago = NOW - timedelta(days=settings.report_retention_days + 1)
    service.stores.views.record(str(forgotten), long_ago)
    record_view(service, popular)

    assert housekeep_once(service, settings, NOW) == [str(forgotten)]
    assert service.get_report(forgotten) is None
    assert service.get_report(popular) is not None
    assert housekeep_once(service, settings, NOW) == []


def test_the_top_k_is_what_the_token_keeps_fresh_from_measured_costs(
    service: ReportService, settings: Settings
) -> None:
    """Pre-warming's share pays 12 REST requests and 12 GraphQL points a day here: of three
    stale popular reports refreshing at 1 request and 5 points each, the two most viewed."""
    share = settings.model_copy(update={"prewarm_budget_share": 0.0001})
    keys = [_key(name) for name in ("first", "second", "third")]
    for count, key in zip((9, 7, 5), keys, strict=True):
        _views(service, key, count)
        service.redis.hset(
            key_prefix(service.redis) + COLLECTION_PREFIX + str(key),
            mapping={"refresh_rest": 1, "refresh_points": 5},
        )
    assert actors_prewarm.top_k([Cost(1, 5)] * 3, share) == 2
    assert prewarm_once(service, share, NOW) == [str(keys[0]), str(keys[1])]


def test_prewarm_keeps_its_choices_and_obeys_a_pause(
    service: ReportService, settings: Settings
) -> None:
    from gitbrag.stores.prewarm_state import PrewarmState

    stale, fresh = _key("stale"), _key("fresh")
    service.stores.reports.put(fresh, empty_report(fresh, generated_at=NOW - timedelta(hours=1)))
    _views(service, stale, 6)
    _views(service, fresh, 9)
    state = PrewarmState(service.redis)
    assert state.set_paused(True, "octocat") is True
    assert state.set_paused(True, "someone") is False  # a second admin: nothing changes
    assert prewarm_once(service, settings, NOW) == []
    last = state.last()
    assert last is not None and last.skipped == [("*", "paused")] and last.sent == []
    assert service.current_job(stale) is None
    assert state.set_paused(False, "octocat") is True
    assert prewarm_once(service, settings, NOW) == [str(stale)]
    last = state.last()
    assert last is not None and last.sent == [str(stale)] and last.budget is not None
    assert (str(fresh), "fresh") in last.skipped
    control = state.control()
    assert control.paused is False and control.by == "octocat"
